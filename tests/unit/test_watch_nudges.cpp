// watch's nudges (sync/watch/): what ends its wait before a reconnection at once -- a local change,
// a `mailsync sync` asking through the control socket, the network coming back (netlink messages
// parsed) -- and the cap on its backoff.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "store/store.hpp"
#include "sync/local/local_changes.hpp"
#include "sync/watch/control_socket.hpp"
#include "sync/watch/network_events.hpp"
#include "sync/watch/watch.hpp"
#include "tests/unit/store_test_support.hpp"

using namespace mailsync;
using namespace std::chrono_literals;

namespace {

// One netlink message of `type` with a payload of `payload` zero bytes, as the kernel aligns it.
void append_message(std::vector<std::byte>& buffer, std::uint16_t type, std::size_t payload) {
    nlmsghdr header{};
    header.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(payload));
    header.nlmsg_type = type;
    const std::size_t at = buffer.size();
    buffer.resize(at + NLMSG_SPACE(payload));
    std::memcpy(buffer.data() + at, &header, sizeof header);
}

}  // namespace

TEST_CASE("netlink messages that announce the network: an address or a route added", "[watch][netlink]") {
    std::vector<std::byte> buffer;
    append_message(buffer, RTM_NEWADDR, sizeof(ifaddrmsg) + 8);
    CHECK(sync::announces_network(buffer));

    buffer.clear();
    append_message(buffer, RTM_NEWROUTE, sizeof(rtmsg) + 24);
    CHECK(sync::announces_network(buffer));

    // Removals and links say nothing a retry could use.
    buffer.clear();
    append_message(buffer, RTM_DELADDR, sizeof(ifaddrmsg));
    append_message(buffer, RTM_DELROUTE, sizeof(rtmsg));
    append_message(buffer, RTM_NEWLINK, sizeof(ifinfomsg));
    CHECK_FALSE(sync::announces_network(buffer));

    // Several in one read: the one after the others counts.
    append_message(buffer, RTM_NEWADDR, sizeof(ifaddrmsg));
    CHECK(sync::announces_network(buffer));

    CHECK_FALSE(sync::announces_network({}));
}

TEST_CASE("malformed netlink messages end the walk without reading past the buffer", "[watch][netlink]") {
    std::vector<std::byte> buffer;
    append_message(buffer, RTM_NEWADDR, sizeof(ifaddrmsg));
    // Cut in the middle of its header, or its payload.
    CHECK_FALSE(sync::announces_network(std::span(buffer.data(), sizeof(nlmsghdr) - 1)));
    CHECK_FALSE(sync::announces_network(std::span(buffer.data(), sizeof(nlmsghdr) + 2)));

    // A length beyond the buffer, or shorter than a header (which would never advance).
    for (const std::uint32_t length : {std::uint32_t(1) << 30, std::uint32_t(4), std::uint32_t(0)}) {
        std::vector<std::byte> lying;
        append_message(lying, RTM_NEWADDR, 0);
        nlmsghdr header;
        std::memcpy(&header, lying.data(), sizeof header);
        header.nlmsg_len = length;
        std::memcpy(lying.data(), &header, sizeof header);
        CHECK_FALSE(sync::announces_network(lying));
    }

    // What follows a DONE is not looked at.
    std::vector<std::byte> done;
    append_message(done, NLMSG_DONE, 4);
    append_message(done, RTM_NEWADDR, sizeof(ifaddrmsg));
    CHECK_FALSE(sync::announces_network(done));
}

TEST_CASE("the netlink socket opens for an unprivileged process and reads nothing when nothing changed",
          "[watch][netlink]") {
    sync::NetworkEvents events;
    // Where netlink is forbidden (some sandboxes) watch goes without: fd -1, never an error.
    if (events.fd() < 0) SUCCEED("netlink unavailable here");
    CHECK_FALSE(events.drain());
}

TEST_CASE("backoff stays below its cap, jitter included", "[watch]") {
    const auto initial = std::chrono::milliseconds(1000);
    const auto cap = std::chrono::milliseconds(5000);
    for (unsigned attempt = 0; attempt < 40; ++attempt)
        for (const double jitter : {0.0, 0.5, 0.999})
            CHECK(sync::backoff_delay(attempt, initial, cap, jitter) <= cap);
    // Below the cap, jitter still spreads retries (the cap is not reached by attempt 1).
    CHECK(sync::backoff_delay(1, initial, cap, 0.0) == std::chrono::milliseconds(1500));
    CHECK(sync::backoff_delay(1, initial, cap, 0.999) > std::chrono::milliseconds(2400));
    // The default is a minute.
    CHECK(sync::WatchOptions{}.backoff_max == std::chrono::seconds(60));
}

TEST_CASE("the control socket: 0600, one reply to each waiting client, gone when watch ends", "[watch][control]") {
    store::testing::TempDir dir;
    std::filesystem::create_directories(dir.path());
    const auto socket_file = dir.path() / std::string(sync::watch_socket_file_name);
    {
        sync::ControlSocket control(dir.path());
        CHECK(store::testing::permissions_of(socket_file) == 0600);
        auto first = std::async(std::launch::async, [&] { return sync::ask_watch_to_sync(dir.path()); });
        auto second = std::async(std::launch::async, [&] { return sync::ask_watch_to_sync(dir.path()); });
        // Both are waiting once their requests are read.
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (control.waiting() < 2 && std::chrono::steady_clock::now() < until) {
            pollfd ready{control.fd(), POLLIN, 0};
            if (::poll(&ready, 1, 100) > 0) control.accept_requests();
        }
        REQUIRE(control.waiting() == 2);
        control.answer_waiting("exit 0\nnote done\n");
        CHECK(first.get() == std::optional<std::string>("exit 0\nnote done\n"));
        CHECK(second.get() == std::optional<std::string>("exit 0\nnote done\n"));
        CHECK_FALSE(control.has_waiting());
    }
    CHECK_FALSE(std::filesystem::exists(socket_file));
    // Nobody listens: the asking sync learns it (it then says the account is busy).
    CHECK_FALSE(sync::ask_watch_to_sync(dir.path()));
}

TEST_CASE("a stale control socket (a watch killed with -9) is refused, then replaced by the next watch",
          "[watch][control]") {
    store::testing::TempDir dir;
    std::filesystem::create_directories(dir.path());
    const auto socket_file = dir.path() / std::string(sync::watch_socket_file_name);
    // A socket file bound and left behind with no process listening.
    const int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_file.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(stale, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    ::close(stale);
    REQUIRE(std::filesystem::exists(socket_file));
    CHECK_FALSE(sync::ask_watch_to_sync(dir.path()));

    sync::ControlSocket control(dir.path());
    auto asked = std::async(std::launch::async, [&] { return sync::ask_watch_to_sync(dir.path()); });
    pollfd ready{control.fd(), POLLIN, 0};
    REQUIRE(::poll(&ready, 1, 10000) == 1);
    REQUIRE(control.accept_requests());
    control.answer_waiting("exit 75\n");
    CHECK(asked.get() == std::optional<std::string>("exit 75\n"));
}

TEST_CASE("a client that sends something other than a sync request is dropped without an answer", "[watch][control]") {
    store::testing::TempDir dir;
    std::filesystem::create_directories(dir.path());
    sync::ControlSocket control(dir.path());
    const int client = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, (dir.path() / std::string(sync::watch_socket_file_name)).c_str(),
                 sizeof address.sun_path - 1);
    REQUIRE(::connect(client, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::write(client, "delete everything\n", 18) == 18);
    CHECK_FALSE(control.accept_requests());
    char byte;
    CHECK(::read(client, &byte, 1) <= 0);   // closed (or reset: what it sent was not all read)
    ::close(client);
}

namespace {

// watch() in a thread of its own against a server that cannot be reached: every connect() throws
// Error(unavailable), counted; the backoff is long (a minute) so that only a nudge can explain a
// second attempt within seconds.
struct UnreachableWatch {
    store::testing::TempDir dir;
    store::Store store = store::Store::open(dir.store(), store::Access::exclusive);
    int stop[2] = {-1, -1};
    std::atomic<int> attempts{0};
    std::vector<std::string> answers;   // the outcomes answered, in words
    sync::WatchHooks hooks;
    sync::WatchOptions options;
    std::thread thread;

    UnreachableWatch() {
        REQUIRE(::pipe2(stop, O_CLOEXEC | O_NONBLOCK) == 0);
        hooks.connect = [this]() -> sync::Connection {
            ++attempts;
            throw Error(ErrorCategory::unavailable, "connection refused (test)");
        };
        hooks.pull = [] { return sync::PullReport{}; };
        hooks.answer_sync_request = [this](const sync::RequestedSync& outcome) {
            const std::string text = outcome.error ? std::string("failed: ") + outcome.error->what() : "synced";
            answers.push_back(text);
            return text + "\n";
        };
        options.backoff_initial = std::chrono::minutes(1);
        options.backoff_max = std::chrono::minutes(1);
    }
    void start() {
        thread = std::thread([this] { sync::watch(store, hooks, stop[0], options); });
    }
    bool attempts_reach(int count, std::chrono::milliseconds limit) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (attempts < count && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
        return attempts >= count;
    }
    ~UnreachableWatch() {
        [[maybe_unused]] const auto written = ::write(stop[1], "s", 1);
        if (thread.joinable()) thread.join();
        ::close(stop[0]);
        ::close(stop[1]);
    }
};

}  // namespace

TEST_CASE("a local change while the server is away makes watch retry at once", "[watch][nudge]") {
    UnreachableWatch watch;
    watch.start();
    REQUIRE(watch.attempts_reach(1, 10s));
    std::this_thread::sleep_for(300ms);
    CHECK(watch.attempts == 1);   // waiting its minute
    const auto before = std::chrono::steady_clock::now();
    sync::notify_queue_changed(watch.store.directory(), 1);   // what every local command does
    CHECK(watch.attempts_reach(2, 5s));
    CHECK(std::chrono::steady_clock::now() - before < 5s);
}

TEST_CASE("in pull mode a local change does not make watch retry: nothing would be pushed", "[watch][nudge]") {
    UnreachableWatch watch;
    watch.options.push = false;
    watch.start();
    REQUIRE(watch.attempts_reach(1, 10s));
    sync::notify_queue_changed(watch.store.directory(), 1);
    std::this_thread::sleep_for(1500ms);
    CHECK(watch.attempts == 1);
}

TEST_CASE("a sync request while the server is away makes watch retry at once and answers with the failure",
          "[watch][nudge][control]") {
    UnreachableWatch watch;
    watch.start();
    REQUIRE(watch.attempts_reach(1, 10s));
    const auto before = std::chrono::steady_clock::now();
    const std::optional<std::string> reply = sync::ask_watch_to_sync(watch.store.directory());
    CHECK(std::chrono::steady_clock::now() - before < 10s);
    CHECK(watch.attempts == 2);
    CHECK(reply == std::optional<std::string>("failed: connection refused (test)\n"));
}

TEST_CASE("a mail client's change in the Maildir view while the server is away makes watch retry at once",
          "[watch][nudge]") {
    UnreachableWatch watch;
    const auto folder = watch.dir.path() / "view" / "cur";
    std::filesystem::create_directories(folder);
    watch.hooks.local_directories = [&] { return std::vector<std::filesystem::path>{folder}; };
    // As the CLI's hook does: the view's scan turns the client's change into a queued change, which
    // (like every local change) rewrites the queue-changed file.
    std::atomic<int> scans{0};
    watch.hooks.local_files_changed = [&] {
        ++scans;
        sync::notify_queue_changed(watch.store.directory(), 1);
    };
    watch.start();
    REQUIRE(watch.attempts_reach(1, 10s));
    std::this_thread::sleep_for(300ms);
    REQUIRE(watch.attempts == 1);
    std::ofstream(folder / "1.mail:2,S") << "a client marked it seen\n";
    CHECK(watch.attempts_reach(2, 5s));
    CHECK(scans >= 1);
}

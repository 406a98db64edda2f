// watch (sync/watch/watch.hpp) against a scripted server in memory: the exact commands it sends, NOTIFY
// asked for where offered, every kind of report that makes it pull, and the fall back to IDLE on
// INBOX when the server refuses NOTIFY.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <deque>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "store/store.hpp"
#include "sync/imap/memory_transport.hpp"
#include "sync/watch/watch.hpp"
#include "tests/unit/store_test_support.hpp"

using namespace mailsync;
using namespace mailsync::imap;

namespace {

const std::string notify_line =
    "NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) "
    "(personal (MessageNew MessageExpunge FlagChange MailboxName))";

// A server answering each command line by its verb ("$TAG" in a reply is the command's tag): for a
// verb with several replies, one per use, the last one repeating. "DONE" is answered with the tagged
// OK of the IDLE it ends. Every line the client sent is kept, without its tag.
class WatchServer {
public:
    std::vector<std::pair<std::string, std::deque<std::string>>> replies;
    std::vector<std::string> lines;
    MemoryTransport* transport = nullptr;   // of the last connection

    sync::Connection connect() {
        auto owned = std::make_unique<MemoryTransport>();
        transport = owned.get();
        owned->set_responder([this](std::string_view written, MemoryTransport& t) { on_written(written, t); });
        owned->push_incoming("* PREAUTH [CAPABILITY IMAP4rev1 IDLE NOTIFY ENABLE QRESYNC UNSELECT] ready\r\n");
        sync::Connection connection;
        connection.session = std::make_unique<Session>(std::move(owned));
        connection.session->read_greeting();
        return connection;
    }

    std::size_t count(std::string_view prefix) const {
        std::size_t n = 0;
        for (const auto& line : lines)
            if (line.rfind(prefix, 0) == 0) ++n;
        return n;
    }

private:
    void on_written(std::string_view written, MemoryTransport& t) {
        buffer_ += written;
        std::size_t end;
        while ((end = buffer_.find("\r\n")) != std::string::npos) {
            const std::string line = buffer_.substr(0, end);
            buffer_.erase(0, end + 2);
            if (line == "DONE") {
                lines.push_back(line);
                t.push_incoming(idle_tag_ + " OK Idle completed.\r\n");
                continue;
            }
            const auto space = line.find(' ');
            const std::string tag = line.substr(0, space);
            const std::string rest = line.substr(space + 1);
            lines.push_back(rest);
            if (rest == "IDLE") idle_tag_ = tag;
            for (auto& [prefix, answers] : replies) {
                if (rest.rfind(prefix, 0) != 0) continue;
                const std::string reply = answers.front();
                if (answers.size() > 1) answers.pop_front();
                t.push_incoming(std::regex_replace(reply, std::regex("\\$TAG"), tag));
                break;
            }
        }
    }

    std::string buffer_;
    std::string idle_tag_;
};

struct StopPipe {
    int fds[2] = {-1, -1};
    StopPipe() { REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0); }
    ~StopPipe() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    void stop() const { REQUIRE(::write(fds[1], "s", 1) == 1); }
};

struct Run {
    store::testing::TempDir dir;
    store::Store store = store::Store::open(dir.store(), store::Access::exclusive);
    WatchServer server;
    StopPipe stop;
    std::size_t pulls = 0;
    std::vector<std::string> idling;   // the texts of the `idling` events
    // Called at each pull (1-based count) before it returns.
    std::function<void(std::size_t)> on_pull;

    void watch() {
        sync::WatchHooks hooks;
        hooks.connect = [&] { return server.connect(); };
        hooks.pull = [&] {
            ++pulls;
            if (on_pull) on_pull(pulls);
            return sync::PullReport{};
        };
        hooks.on_event = [&](const sync::WatchEvent& event) {
            // The scripts end in a stop: a lost connection would be a script the watch did not follow.
            CHECK(event.kind != sync::WatchEvent::Kind::connection_lost);
            if (event.kind == sync::WatchEvent::Kind::connection_lost) stop.stop();
            if (event.kind == sync::WatchEvent::Kind::idling) idling.push_back(event.text);
        };
        sync::WatchOptions options;
        options.push = false;
        sync::watch(store, hooks, stop.fds[0], options);
    }
};

const std::pair<std::string, std::deque<std::string>> examine{
    "EXAMINE INBOX",
    {"* 3 EXISTS\r\n* OK [UIDVALIDITY 7] UIDs valid\r\n* OK [UIDNEXT 4] Predicted next UID\r\n"
     "$TAG OK [READ-ONLY] Examine completed.\r\n"}};
const std::pair<std::string, std::deque<std::string>> noop{"NOOP", {"$TAG OK NOOP completed.\r\n"}};
const std::pair<std::string, std::deque<std::string>> logout{"LOGOUT",
                                                              {"* BYE Logging out\r\n$TAG OK Logout completed.\r\n"}};

}  // namespace

TEST_CASE("watch asks for NOTIFY and pulls on every report of another mailbox", "[watch][notify]") {
    Run run;
    run.server.replies = {
        examine,
        {"NOTIFY SET", {"$TAG OK NOTIFY completed.\r\n"}},
        {"IDLE",
         {// a message arrived in another mailbox
          "+ idling\r\n* STATUS Work (MESSAGES 2 UIDNEXT 3 UNSEEN 1 HIGHESTMODSEQ 9)\r\n",
          // (a report that came while watch was pulling: read with the continuation)
          "+ idling\r\n",
          // a mailbox was renamed
          "+ idling\r\n* LIST () \"/\" \"New Name\" (\"OLDNAME\" (\"Old Name\"))\r\n",
          // the server gives up notifying: pull everything, ask again
          "+ idling\r\n* OK [NOTIFICATIONOVERFLOW] ...A large number of changes\r\n"}},
        noop,
        logout,
    };
    run.on_pull = [&](std::size_t pull) {
        if (pull == 2) run.server.transport->push_incoming("* STATUS Archive (HIGHESTMODSEQ 10)\r\n");
        if (pull == 5) run.stop.stop();
    };
    run.watch();

    CHECK(run.pulls == 5);   // at connect, then one per report
    const std::vector<std::string> idle_round = {"IDLE", "DONE", "NOOP"};
    std::vector<std::string> expected = {"EXAMINE INBOX", notify_line};
    for (int i = 0; i < 4; ++i) expected.insert(expected.end(), idle_round.begin(), idle_round.end());
    expected.push_back(notify_line);   // again after the overflow
    expected.push_back("LOGOUT");
    CHECK(run.server.lines == expected);
    REQUIRE_FALSE(run.idling.empty());
    CHECK(run.idling.front() == "idling on INBOX; the server reports changes in every mailbox (NOTIFY)");
}

TEST_CASE("watch falls back to IDLE on INBOX and full pulls when the server refuses NOTIFY", "[watch][notify]") {
    const char* refusals[] = {
        "$TAG NO [BADEVENT (MessageNew MessageExpunge)] Unsupported NOTIFY events.\r\n",
        "$TAG NO [NOTIFICATIONOVERFLOW] Too many mailbox names\r\n",
        "$TAG BAD Error in IMAP command NOTIFY: Invalid arguments.\r\n",
    };
    for (const char* refusal : refusals) {
        INFO(refusal);
        Run run;
        run.server.replies = {
            examine,
            {"NOTIFY SET", {refusal}},
            // INBOX still reports (an EXISTS after EXAMINE is news); the next round idles quietly
            {"IDLE", {"+ idling\r\n* 4 EXISTS\r\n* 1 RECENT\r\n", "+ idling\r\n* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n"}},
            noop,
            logout,
        };
        run.on_pull = [&](std::size_t pull) {
            if (pull == 3) run.stop.stop();
        };
        run.watch();

        CHECK(run.pulls == 3);
        // NOTIFY is asked for once on this connection, never again after the refusal.
        CHECK(run.server.lines == std::vector<std::string>{"EXAMINE INBOX", notify_line, "IDLE", "DONE", "NOOP",
                                                           "IDLE", "DONE", "NOOP", "LOGOUT"});
        REQUIRE(run.idling.size() == 2);
        CHECK(run.idling[0].rfind("idling on INBOX; the server refused NOTIFY (", 0) == 0);
        CHECK(run.idling[0].find("): other mailboxes are pulled every 15 min") != std::string::npos);
    }
}

TEST_CASE("watch without NOTIFY on the server idles on INBOX and says how often the rest is pulled", "[watch]") {
    Run run;
    run.server.replies = {examine, {"IDLE", {"+ idling\r\n* 4 EXISTS\r\n"}}, noop, logout};
    // The server's capabilities without NOTIFY.
    run.server.replies.insert(run.server.replies.begin(), {"CAPABILITY", {"* CAPABILITY IMAP4rev1 IDLE\r\n$TAG OK\r\n"}});
    run.on_pull = [&](std::size_t pull) {
        if (pull == 2) run.stop.stop();
    };
    sync::WatchHooks hooks;
    hooks.connect = [&] {
        auto connection = run.server.connect();
        connection.session->run_ok(cmd::Capability{});
        return connection;
    };
    hooks.pull = [&] {
        ++run.pulls;
        run.on_pull(run.pulls);
        return sync::PullReport{};
    };
    std::vector<std::string> idling;
    hooks.on_event = [&](const sync::WatchEvent& event) {
        if (event.kind == sync::WatchEvent::Kind::idling) idling.push_back(event.text);
    };
    sync::WatchOptions options;
    options.push = false;
    options.full_pull_interval = std::chrono::minutes(90);
    sync::watch(run.store, hooks, run.stop.fds[0], options);

    CHECK(run.pulls == 2);
    CHECK(run.server.count("NOTIFY") == 0);
    REQUIRE(idling.size() == 1);
    CHECK(idling[0] == "idling on INBOX; the server has no NOTIFY: other mailboxes are pulled every 90 min");
}

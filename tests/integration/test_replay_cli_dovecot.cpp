// The push side through the mailsync program: `sync` with the server down exits 75 and keeps the
// queue; `sync --push-only` SIGKILLed at many moments loses and duplicates nothing; `watch` pushes
// changes queued while its (private) Dovecot was down once it is back, and ends cleanly on SIGTERM.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "sync/local/local_changes.hpp"
#include "sync/push/replay.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/masked_dovecot.hpp"
#include "tests/integration/cli_account.hpp"
#include "tests/support/program.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/private_dovecot.hpp"

using namespace mailsync;
using test::DovecotFixture;
using namespace std::chrono_literals;

namespace {

constexpr store::UnixTime now = 1'760'000'000;
using test::Program;

using test::closed_port;

using Cli = test::CliAccount;
using test::PrivateDovecot;

std::string sha_of(const std::string& tag, std::size_t padding = 0) {
    store::Sha256 hasher;
    hasher.update(test::make_message(tag, padding));
    return hasher.finish().hex();
}

// body SHA-256 → how many times the server has it.
std::map<std::string, int> server_counts(const DovecotFixture::User& user, const std::string& mailbox) {
    std::map<std::string, int> counts;
    for (const auto& [uid, message] : test::server_messages(user, mailbox)) ++counts[message.sha256];
    return counts;
}

}  // namespace

TEST_CASE("sync with the server down exits 75 and keeps the queue", "[replay][cli]") {
    Cli cli(DovecotFixture::get().imap_port);
    test::seed(cli.user.name, "INBOX", test::make_message(cli.user.name + "-d1"));
    REQUIRE(cli.run({"sync"}) == 0);
    REQUIRE(cli.run({"append", "INBOX", cli.message_file(cli.user.name + "-d2").string()}) == 0);
    REQUIRE(cli.run({"mkdir", "Offline"}) == 0);
    const auto queue_before = [&] {
        auto store = store::Store::open(cli.store_dir, store::Access::shared);
        return store.read([](const store::ReadTxn& txn) { return txn.queue(); });
    }();
    REQUIRE(queue_before.size() == 2);
    cli.write_config(closed_port());
    CHECK(cli.run({"sync"}) == 75);
    CHECK(cli.run({"sync", "--push-only"}) == 75);
    auto store = store::Store::open(cli.store_dir, store::Access::shared);
    CHECK(store.read([](const store::ReadTxn& txn) { return txn.queue(); }) == queue_before);
}

TEST_CASE("sync --push-only killed at many moments loses and duplicates nothing", "[replay][cli][fault]") {
    Cli cli(DovecotFixture::get().imap_port);
    const std::string u = cli.user.name;
    std::vector<std::uint32_t> uids;
    for (int i = 0; i < 4; ++i) uids.push_back(test::seed(u, "INBOX", test::make_message(u + "-k" + std::to_string(i))));
    REQUIRE(cli.run({"sync"}) == 0);
    constexpr int appends = 30;
    constexpr std::size_t padding = 100000;
    {
        auto store = store::Store::open(cli.store_dir, store::Access::shared);
        const auto id = [&](std::uint32_t uid) {
            return store.read([&](const store::ReadTxn& txn) {
                return txn.message_by_uid(txn.mailbox_by_name("INBOX")->id, uid)->id;
            });
        };
        const std::vector<store::MessageId> first{id(uids[0])}, second{id(uids[1])}, third{id(uids[2])};
        sync::change_flags(store, "INBOX", first, {"\\Seen"}, {}, now);
        sync::move_messages(store, "INBOX", second, "Archive", now);
        sync::copy_messages(store, "INBOX", third, "Archive", now);
        for (int i = 0; i < appends; ++i) {
            sync::AppendRequest request;
            request.mailbox = i % 2 ? "INBOX" : "Archive";
            request.file = cli.message_file(u + "-a" + std::to_string(i), padding);
            sync::append_message(store, request, now);
        }
    }
    int kills = 0;
    int completed_at = -1;
    for (int delay : {1, 3, 6, 10, 15, 25, 40, 60, 90, 130, 200, 300}) {
        Program program(cli.args({"sync", "--push-only"}), cli.log);
        const int status = program.wait(std::chrono::milliseconds(delay));
        if (status >= 0) {
            completed_at = delay;
            CHECK(status == 0);
            break;
        }
        program.signal(SIGKILL);
        CHECK(program.wait(10s) == 128 + SIGKILL);
        ++kills;
    }
    INFO(cli.output());
    CHECK(kills > 0);
    REQUIRE(cli.run({"sync"}) == 0);
    std::cout << "push-only: killed " << kills << " times, completed at " << completed_at << " ms\n";

    const auto inbox = server_counts(cli.user, "INBOX");
    const auto archive = server_counts(cli.user, "Archive");
    std::map<std::string, int> expected_inbox = {{sha_of(u + "-k0"), 1}, {sha_of(u + "-k2"), 1}, {sha_of(u + "-k3"), 1}};
    std::map<std::string, int> expected_archive = {{sha_of(u + "-k1"), 1}, {sha_of(u + "-k2"), 1}};
    for (int i = 0; i < appends; ++i)
        (i % 2 ? expected_inbox : expected_archive)[sha_of(u + "-a" + std::to_string(i), padding)] = 1;
    CHECK(inbox == expected_inbox);
    CHECK(archive == expected_archive);
    auto store = store::Store::open(cli.store_dir, store::Access::shared);
    CHECK(store.read([](const store::ReadTxn& txn) { return sync::outstanding_changes(txn).size(); }) == 0);
    CHECK(store.verify(false).empty());
    const auto mirror = test::mirror_messages(store, "INBOX");
    CHECK(mirror.size() == test::server_messages(cli.user, "INBOX").size());
}

namespace {

std::optional<sync::Connection> try_connect(int port, const DovecotFixture::User& user) {
    sync::ServerSettings settings;
    settings.endpoint.host = "127.0.0.1";
    settings.endpoint.port = static_cast<std::uint16_t>(port);
    settings.endpoint.tls = imap::TlsMode::none;
    settings.user = user.name;
    settings.timeout = 10s;
    try {
        return sync::connect(settings, [&](bool) { return user.password; });
    } catch (const Error&) {
        return std::nullopt;
    }
}

// Whether the server has a message with this Message-ID in `mailbox`.
bool server_has(int port, const DovecotFixture::User& user, const std::string& mailbox, const std::string& message_id) {
    auto connection = try_connect(port, user);
    if (!connection) return false;
    struct Found final : imap::UntaggedHandler {
        bool any = false;
        void on_untagged(const imap::Response& r) override {
            if (const auto* s = std::get_if<imap::SearchData>(&r)) any = any || !s->numbers.empty();
            if (const auto* e = std::get_if<imap::ESearchData>(&r)) any = any || (e->count && *e->count > 0) || e->all;
        }
    } found;
    bool result = false;
    try {
        if (connection->session->select(imap::cmd::Select{mailbox, true}, true)) {
            connection->session->set_handler(&found);
            imap::cmd::UidSearch search;
            search.header = std::make_pair(std::string("Message-ID"), message_id);
            connection->session->run(search);
            connection->session->set_handler(nullptr);
            result = found.any;
        }
        connection->session->logout();
    } catch (const Error&) {
    }
    return result;
}

template <class Condition>
bool eventually(Condition condition, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::sleep_for(200ms);
    }
    return condition();
}

}  // namespace

TEST_CASE("watch pushes changes queued while the server was down once it is back, and stops on SIGTERM",
          "[watch][cli]") {
    PrivateDovecot dovecot;
    Cli cli(dovecot.imap_port);
    const std::string u = cli.user.name;
    Program watch(cli.args({"-v", "watch"}), cli.log);
    INFO(cli.output());

    // Online: a local change reaches the server promptly (watch is told through the queue-changed file).
    // Once watch's first pull has mirrored INBOX: the store's file appears before its mailboxes do,
    // and an append to a mailbox the mirror lacks is refused (exit 65).
    REQUIRE(eventually([&] { return std::filesystem::exists(cli.store_dir / "data.mdb"); }, 20s));
    REQUIRE(eventually([&] { return cli.run({"list", "INBOX"}) == 0; }, 20s));
    REQUIRE(cli.run({"append", "INBOX", cli.message_file(u + "-w1").string()}) == 0);
    CHECK(eventually([&] { return server_has(dovecot.imap_port, cli.user, "INBOX", "<" + u + "-w1@pull.mailsync.test>"); }, 20s));

    // The server goes away; changes are made meanwhile.
    dovecot.stop();
    REQUIRE(cli.run({"append", "INBOX", cli.message_file(u + "-w2").string()}) == 0);
    REQUIRE(cli.run({"mkdir", "Later"}) == 0);
    std::this_thread::sleep_for(1500ms);
    const int old_port = dovecot.imap_port;
    dovecot.restart();   // (the fixture starts afresh: the mail before the stop is gone)
    REQUIRE(dovecot.imap_port == old_port);

    // No manual step: watch reconnects with backoff and replays.
    CHECK(eventually([&] { return server_has(dovecot.imap_port, cli.user, "INBOX", "<" + u + "-w2@pull.mailsync.test>"); }, 40s));
    CHECK(eventually([&] {
        auto connection = try_connect(dovecot.imap_port, cli.user);
        if (!connection) return false;
        const bool there = connection->session->select(imap::cmd::Select{"Later", true}, true).has_value();
        connection->session->logout();
        return there;
    }, 20s));

    watch.signal(SIGTERM);
    CHECK(watch.wait(20s) == 0);
    auto store = store::Store::open(cli.store_dir, store::Access::shared);
    CHECK(store.read([](const store::ReadTxn& txn) { return sync::outstanding_changes(txn).size(); }) == 0);
}

TEST_CASE("a change the server refuses is shown as refused: one line on stderr, exit 76, queue --refused",
          "[replay][cli][refused]") {
    test::MaskedDovecot dovecot(test::capabilities_without_move_uidplus);
    Cli cli(DovecotFixture::get().imap_port);
    const auto moved_uid = test::seed(cli.user.name, "INBOX", test::make_message("refused-" + cli.user.name));
    const auto other_uid = test::seed(cli.user.name, "INBOX", test::make_message("other-" + cli.user.name));
    REQUIRE(cli.run({"sync"}) == 0);
    REQUIRE(cli.run({"move", "INBOX", cli.id_of("INBOX", moved_uid), "Archive"}) == 0);
    REQUIRE(cli.run({"flag", "INBOX", cli.id_of("INBOX", other_uid), "+flagged"}) == 0);
    const auto before = cli.output().size();

    CHECK(cli.run({"sync"}) == 76);
    const std::string said = cli.output().substr(before);
    INFO(said);
    CHECK(said.find("The move of message") != std::string::npos);
    CHECK(said.find("was refused because") != std::string::npos);
    CHECK(said.find("queue --refused") != std::string::npos);
    CHECK(test::flags(cli.user.name, "INBOX", other_uid) == std::vector<std::string>{"\\Flagged"});

    const auto listed_from = cli.output().size();
    CHECK(cli.run({"queue", "--refused"}) == 0);
    const std::string listed = cli.output().substr(listed_from);
    CHECK(listed.find("refused  move") != std::string::npos);
    CHECK(listed.find("flag") == std::string::npos);   // the flag change went through

    // Not tried again: the next sync is quiet and succeeds.
    CHECK(cli.run({"sync"}) == 0);

    // The user lets it go: nothing is left queued, and the mirror still matches the server.
    const auto refused_seq = [&] {
        auto store = store::Store::open(cli.store_dir, store::Access::shared);
        const auto queued = store.read([](const store::ReadTxn& txn) { return sync::outstanding_changes(txn); });
        REQUIRE(queued.size() == 1);
        return std::to_string(queued.front().seq);
    }();
    CHECK(cli.run({"queue", "--drop", refused_seq}) == 0);
    CHECK(cli.run({"queue", "--drop", refused_seq}) == 65);   // gone now
    CHECK(cli.run({"sync"}) == 0);
    auto store = store::Store::open(cli.store_dir, store::Access::shared);
    CHECK(store.read([](const store::ReadTxn& txn) { return sync::outstanding_changes(txn).size(); }) == 0);
    CHECK(test::mirror_messages(store, "INBOX").size() == 2);
    CHECK(test::mirror_messages(store, "Archive").empty());
}

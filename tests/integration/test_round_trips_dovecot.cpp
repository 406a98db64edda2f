// Round trips of `mailsync sync` (issue 15, item 1), counted by the fault proxy between the program
// and Dovecot: a no-op resync is the greeting, one flight (LOGIN or AUTHENTICATE, ENABLE and the
// LIST-STATUS pipelined) and a LOGOUT nobody waits for. A refused login with those commands in
// flight is a clean authentication failure, and capabilities remembered wrongly cost a retry only.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "store/store.hpp"
#include "tests/fault/proxy.hpp"
#include "tests/integration/cli_account.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/masked_dovecot.hpp"

using namespace mailsync;
using namespace std::chrono_literals;
using test::DovecotFixture;

namespace {

// The proxy delays the server's bytes, so that every piece of a flight is read before any answer
// reaches the program: each client flight is then a round trip it waited for.
test::ConnectionFaults answers_delayed() {
    test::ConnectionFaults faults;
    faults.server_to_client.delay = 20ms;
    return faults;
}

void seed_mailboxes(const std::string& user) {
    test::seed(user, "INBOX", test::make_message(user + "-inbox"));
    test::seed(user, "Lists/dev", test::make_message(user + "-list"));
}

}  // namespace

TEST_CASE("round trips: a no-op resync is one flight after the greeting, and a LOGOUT not waited for",
          "[round-trips][cli]") {
    const auto& dovecot = DovecotFixture::get();
    test::FaultProxy proxy(dovecot.host, dovecot.imap_port);
    proxy.set_faults(answers_delayed());
    test::CliAccount account(proxy.port());
    seed_mailboxes(account.user.name);
    REQUIRE(account.run({"sync"}) == 0);   // the first sync remembers the server's capabilities
    REQUIRE(account.run({"sync"}) == 0);   // the first no-op may still learn them (a write only then)
    REQUIRE(proxy.wait_until_all_closed(5s));   // the last run's LOGOUT was not waited for
    proxy.clear_stats();

    REQUIRE(account.run({"sync"}) == 0);
    const auto connections = proxy.connections();
    INFO(account.output());
    REQUIRE(connections.size() == 1);
    // Flight 1: LOGIN/AUTHENTICATE + ENABLE + LIST-STATUS; flight 2: LOGOUT.
    CHECK(connections[0].client_flights == 2);
    // Bytes do not depend on the messages: the login, one LIST-STATUS line per mailbox, the LOGOUT.
    CHECK(connections[0].client_to_server + connections[0].server_to_client < 2000);
}

TEST_CASE("round trips: a resync of one changed mailbox adds only that mailbox's exchange", "[round-trips][cli]") {
    const auto& dovecot = DovecotFixture::get();
    test::FaultProxy proxy(dovecot.host, dovecot.imap_port);
    proxy.set_faults(answers_delayed());
    test::CliAccount account(proxy.port());
    seed_mailboxes(account.user.name);
    REQUIRE(account.run({"sync"}) == 0);
    REQUIRE(account.run({"sync"}) == 0);
    test::seed(account.user.name, "Lists/dev", test::make_message(account.user.name + "-new"));
    REQUIRE(proxy.wait_until_all_closed(5s));   // the last run's LOGOUT was not waited for
    proxy.clear_stats();

    REQUIRE(account.run({"sync"}) == 0);
    const auto connections = proxy.connections();
    REQUIRE(connections.size() == 1);   // the first connection takes the one changed mailbox itself
    // LIST flight, then (COMPRESS when offered,) EXAMINE, the new message's metadata and body, and LOGOUT.
    CHECK(connections[0].client_flights <= 7);
    CHECK(test::status(account.user.name, "Lists/dev").messages == 2);
}

TEST_CASE("round trips: flag changes and expunges in several mailboxes are one EXAMINE flight on the first connection",
          "[round-trips][cli]") {
    const auto& dovecot = DovecotFixture::get();
    test::FaultProxy proxy(dovecot.host, dovecot.imap_port);
    proxy.set_faults(answers_delayed());
    test::CliAccount account(proxy.port());
    const std::string& user = account.user.name;
    std::vector<std::pair<std::string, std::uint32_t>> seeded;
    for (const std::string mailbox : {"INBOX", "Lists/dev", "Archive", "Sent"})
        for (int i = 0; i < 2; ++i) seeded.emplace_back(mailbox, test::seed(user, mailbox, test::make_message(user + mailbox + std::to_string(i))));
    REQUIRE(account.run({"sync"}) == 0);
    REQUIRE(account.run({"sync"}) == 0);
    // Another client: a flag in two mailboxes, an expunge in two others; no new mail anywhere.
    test::add_flags(user, seeded[0].first, seeded[0].second, {"\\Flagged"});
    test::add_flags(user, seeded[2].first, seeded[2].second, {"\\Flagged"});
    test::expunge(user, seeded[4].first, seeded[4].second);
    test::expunge(user, seeded[6].first, seeded[6].second);
    REQUIRE(proxy.wait_until_all_closed(5s));
    proxy.clear_stats();

    REQUIRE(account.run({"sync"}) == 0);
    INFO(account.output());
    // Another connection would cost more than it saves: its greeting and login.
    const auto connections = proxy.connections();
    REQUIRE(connections.size() == 1);
    // Flight 1: login, ENABLE, LIST-STATUS; (COMPRESS, alone, when the server offers it;) then the
    // four EXAMINEs in one flight; LOGOUT. One round trip each, they would be seven flights.
    CHECK(connections[0].client_flights <= 4);
    // Each mailbox's answer went to that mailbox.
    auto store = store::Store::open(account.store_dir, store::Access::shared);
    store.read([&](const store::ReadTxn& txn) {
        const auto flags_of = [&](const std::pair<std::string, std::uint32_t>& message) {
            const auto mailbox = txn.mailbox_by_name(message.first);
            REQUIRE(mailbox);
            const auto record = txn.message_by_uid(mailbox->id, message.second);
            return record ? std::optional<std::vector<std::string>>(record->flags) : std::nullopt;
        };
        for (std::size_t i = 0; i < seeded.size(); ++i) {
            INFO(seeded[i].first << " " << seeded[i].second);
            const auto flags = flags_of(seeded[i]);
            if (i == 4 || i == 6) {
                CHECK_FALSE(flags);   // expunged
                continue;
            }
            REQUIRE(flags);
            const bool flagged = std::find(flags->begin(), flags->end(), "\\Flagged") != flags->end();
            CHECK(flagged == (i == 0 || i == 2));
        }
        for (const std::string mailbox : {"INBOX", "Lists/dev", "Archive", "Sent"}) {
            const auto record = txn.mailbox_by_name(mailbox);
            REQUIRE(record);
            CHECK(record->highestmodseq == test::status(user, mailbox).highestmodseq);
            CHECK(record->last_sync_method == store::SyncMethod::qresync);
        }
    });
    CHECK(account.run({"verify"}) == 0);
}

TEST_CASE("round trips: a refused login with the LIST in flight behind it exits 77 and changes nothing",
          "[round-trips][cli]") {
    const auto& dovecot = DovecotFixture::get();
    test::CliAccount account(dovecot.imap_port);
    seed_mailboxes(account.user.name);
    REQUIRE(account.run({"sync"}) == 0);
    // The same account with a wrong password: the remembered capabilities make the login pipelined.
    std::stringstream text;
    text << std::ifstream(account.config).rdbuf();
    std::string config = text.str();
    const std::string good = "password: " + account.user.password;
    REQUIRE(config.find(good) != std::string::npos);
    config.replace(config.find(good), good.size(), "password: wrong-" + account.user.password);
    std::ofstream(account.config, std::ios::trunc) << config;
    std::string errors;
    CHECK(account.run_split({"sync"}, errors) == 77);
    CHECK(errors.find("refused the login") != std::string::npos);
}

// (The LIST asked by a wrong guess is tested against the scripted server of tests/hostile/: Dovecot
// executes what its capability list masks.)
TEST_CASE("round trips: capabilities remembered wrongly (QRESYNC the server no longer lists) are replaced",
          "[round-trips][cli]") {
    test::MaskedDovecot masked(test::capabilities_condstore_only);   // ... LIST-STATUS CONDSTORE, no QRESYNC
    const auto& dovecot = DovecotFixture::get();
    test::CliAccount account(dovecot.imap_port);
    seed_mailboxes(account.user.name);
    {
        // What cli/server.cpp keeps after a login: "host port user", then the list. This one claims
        // QRESYNC, which this server does not have, and an extension it never heard of.
        auto store = store::Store::open(account.store_dir, store::Access::exclusive);
        store.write([&](store::WriteTxn& txn) {
            txn.put_server_capabilities("127.0.0.1 " + std::to_string(dovecot.imap_port) + " " + account.user.name +
                                        "\nAUTH=PLAIN CONDSTORE ENABLE IMAP4REV1 LIST-STATUS QRESYNC SASL-IR XNEVER");
        });
    }
    REQUIRE(account.run({"sync"}) == 0);
    CHECK(account.run({"mailboxes"}) == 0);
    CHECK(account.output().find("Lists/dev") != std::string::npos);
    auto store = store::Store::open(account.store_dir, store::Access::shared);
    const auto kept = store.read([](const store::ReadTxn& txn) { return txn.server_capabilities(); });
    REQUIRE(kept);
    CHECK(kept->find("QRESYNC") == std::string::npos);   // the server's own list replaced the wrong one
}

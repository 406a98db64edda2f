// The push side (sync/push/replay.hpp) against Dovecot: offline changes made with the local commands
// reach the server, a second client changing the server meanwhile; every conflict rule; replay cut
// by the fault proxy at many byte offsets; a randomized convergence test against a model.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <set>

#include "common/error.hpp"
#include "sync/local/local_changes.hpp"
#include "sync/push/drop_change.hpp"
#include "sync/push/replay.hpp"
#include "tests/fault/fault_driver.hpp"
#include "tests/fault/proxy.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/integration/replay_test_support.hpp"

using namespace mailsync;
using test::DovecotFixture;
using namespace test::replay;

TEST_CASE("offline flag, move, copy, delete, append, mkdir, rename, rmdir reach the server", "[replay]") {
    Account a;
    test::create_mailbox(a.user.name, "Old");
    test::create_mailbox(a.user.name, "Empty");
    std::vector<std::uint32_t> uid;
    for (int i = 0; i < 6; ++i) uid.push_back(a.seed("INBOX", "m" + std::to_string(i)));
    a.pull();
    const auto id = [&](int i) { return a.id("INBOX", uid[static_cast<std::size_t>(i)]); };
    const std::vector<store::MessageId> m0{id(0)}, m1{id(1)}, m2{id(2)}, m3{id(3)};

    // Offline.
    sync::change_flags(*a.store, "INBOX", m0, {"\\Seen", "$Work"}, {}, now);
    sync::move_messages(*a.store, "INBOX", m1, "Archive", now);
    sync::copy_messages(*a.store, "INBOX", m2, "Archive", now);
    sync::delete_messages(*a.store, "INBOX", m3, now);
    a.append("INBOX", "new1", {"\\Flagged"});
    sync::make_mailbox(*a.store, "Projects", now);
    sync::rename_mailbox(*a.store, "Old", "Older", now);
    sync::remove_mailbox(*a.store, "Empty", now);
    REQUIRE(a.queue().size() == 8);
    // Meanwhile, a second client.
    test::add_flags(a.user.name, "INBOX", uid[0], {"$Label1"});
    test::add_flags(a.user.name, "INBOX", uid[4], {"\\Answered"});

    const auto pushed = a.push();
    CHECK(pushed.failed == 0);
    CHECK(pushed.left == 0);
    CHECK(a.queue().empty());
    const auto pulled = a.pull();

    const auto inbox = server_content(a, "INBOX");
    const std::map<std::string, Flags> expected_inbox = {
        {sha_of("m0"), sorted({"$Label1", "$Work", "\\Seen"})},   // both sides' flags combine
        {sha_of("m2"), {}},
        {sha_of("m4"), {"\\Answered"}},
        {sha_of("m5"), {}},
        {sha_of("new1"), {"\\Flagged"}},
    };
    CHECK(inbox == expected_inbox);
    const auto archive = server_content(a, "Archive");
    const std::map<std::string, Flags> expected_archive = {{sha_of("m1"), {}}, {sha_of("m2"), {}}};
    CHECK(archive == expected_archive);
    CHECK(server_has_mailbox(a, "Projects"));
    CHECK(server_has_mailbox(a, "Older"));
    CHECK_FALSE(server_has_mailbox(a, "Old"));
    CHECK_FALSE(server_has_mailbox(a, "Empty"));
    check_mirror_equals_server(a, "INBOX");
    check_mirror_equals_server(a, "Archive");
    // COPYUID / APPENDUID were folded back: the pull downloads none of our own changes.
    if (const auto* entry = test::report_of(pulled, "Archive")) CHECK(entry->downloaded == 0);
    if (const auto* entry = test::report_of(pulled, "INBOX")) CHECK(entry->downloaded == 0);
    CHECK(a.has_conflict("flags-merge"));

    // A second sync changes nothing.
    const auto again = a.sync_all();
    CHECK(again.total_new() == 0);
    CHECK(again.total_changed() == 0);
    CHECK(again.total_expunged() == 0);
}

TEST_CASE("queue --drop of a pending move puts the message back where the server has it", "[replay][drop]") {
    Account a;
    const auto uid = a.seed("INBOX", "dropped-" + a.user.name);
    a.pull();
    const auto id = a.id("INBOX", uid);
    sync::move_messages(*a.store, "INBOX", std::vector{id}, "Archive", now);
    sync::change_flags(*a.store, "Archive", std::vector{id}, {"$Later"}, {}, now);
    const auto queued = a.queue();
    REQUIRE(queued.size() == 2);
    // The flag change was made on top of the move: it must go first.
    CHECK_THROWS_AS(sync::drop_queued_change(*a.store, queued[0].seq), Error);
    CHECK(a.queue().size() == 2);
    sync::drop_queued_change(*a.store, queued[1].seq);
    sync::drop_queued_change(*a.store, queued[0].seq);
    CHECK(a.queue().empty());
    const auto message = a.store->read([&](const store::ReadTxn& txn) { return txn.message(id); });
    REQUIRE(message);
    CHECK(message->uid == uid);
    CHECK(message->flags.empty());
    a.sync_all();
    check_mirror_equals_server(a, "INBOX");
    check_mirror_equals_server(a, "Archive");
    CHECK(server_content(a, "Archive").empty());
}

TEST_CASE("an APPEND that reached the server before a crash and was then pulled as new mail is not sent again",
          "[replay][append]") {
    Account a;
    a.pull();
    const auto id = a.append("INBOX", "crashed-" + a.user.name);
    // The crash: the record was marked sent and the APPEND reached the server, but its answer was
    // never folded back.
    const auto record = a.queue().at(0);
    REQUIRE(record.body_hash);
    a.store->write([&](store::WriteTxn& txn) {
        auto sent = *txn.queue_entry(record.seq);
        sent.state = store::QueueState::sent;
        sent.sent_at = now;
        txn.put_queue_entry(sent);
    });
    std::ifstream body_file(a.store->body_path(*record.body_hash), std::ios::binary);
    const std::string body((std::istreambuf_iterator<char>(body_file)), std::istreambuf_iterator<char>());
    test::seed(a.user.name, "INBOX", body);
    // A pull before the replay downloads it as new mail: the mirror holds it twice for a moment.
    a.pull();

    const auto pushed = a.push();
    CHECK(pushed.failed == 0);
    CHECK(a.queue().empty());
    CHECK(test::server_messages(a.user, "INBOX").size() == 1);
    check_mirror_equals_server(a, "INBOX");
    const auto message = a.store->read([&](const store::ReadTxn& txn) { return txn.message(id); });
    REQUIRE(message);
    CHECK(message->uid.has_value());
}

TEST_CASE("every conflict rule is applied and recorded", "[replay]") {
    Account a;
    test::create_mailbox(a.user.name, "Gone");
    test::create_mailbox(a.user.name, "GoneTarget");
    test::create_mailbox(a.user.name, "Busy");
    test::create_mailbox(a.user.name, "RenameMe");
    std::vector<std::uint32_t> uid;
    for (int i = 0; i < 6; ++i) uid.push_back(a.seed("INBOX", "c" + std::to_string(i)));
    a.pull();
    const auto one = [&](int i) { return std::vector<store::MessageId>{a.id("INBOX", uid[static_cast<std::size_t>(i)])}; };

    // c0: local flag change, server expunge → delete-wins (flag change dropped).
    sync::change_flags(*a.store, "INBOX", one(0), {"\\Seen"}, {}, now);
    test::expunge(a.user.name, "INBOX", uid[0]);
    // c1: local delete, server flag change → delete-wins (deleted anyway).
    sync::delete_messages(*a.store, "INBOX", one(1), now);
    test::add_flags(a.user.name, "INBOX", uid[1], {"\\Flagged"});
    // c2: local move, server expunge → re-uploaded into the destination.
    sync::move_messages(*a.store, "INBOX", one(2), "Archive", now);
    test::expunge(a.user.name, "INBOX", uid[2]);
    // c3: flags on both sides → merged per flag.
    sync::change_flags(*a.store, "INBOX", one(3), {"\\Seen"}, {}, now);
    test::add_flags(a.user.name, "INBOX", uid[3], {"$Server"});
    // c4: local copy, server expunge → the copy is made from the mirror.
    sync::copy_messages(*a.store, "INBOX", one(4), "Archive", now);
    test::expunge(a.user.name, "INBOX", uid[4]);
    // c5: moved into a mailbox the server deletes → created again.
    sync::move_messages(*a.store, "INBOX", one(5), "GoneTarget", now);
    test::doveadm({"mailbox", "delete", "-u", a.user.name, "GoneTarget"});
    // An append into a mailbox the server deletes survives.
    a.append("Gone", "survivor");
    test::doveadm({"mailbox", "delete", "-u", a.user.name, "Gone"});
    // rmdir of a mailbox that got mail on the server meanwhile: kept.
    sync::remove_mailbox(*a.store, "Busy", now);
    a.seed("Busy", "arrived");
    // rename of a mailbox the server deleted: the new name is made.
    sync::rename_mailbox(*a.store, "RenameMe", "Renamed", now);
    test::doveadm({"mailbox", "delete", "-u", a.user.name, "RenameMe"});

    const auto pushed = a.push();
    CHECK(pushed.failed == 0);
    CHECK(a.queue().empty());
    for (const auto* rule : {"delete-wins", "move-reuploads", "flags-merge", "copy-reuploads", "target-recreated",
                             "append-survives", "mailbox-not-empty", "rename-source-gone"}) {
        INFO(rule);
        CHECK(a.has_conflict(rule));
    }
    const auto conflicts = a.conflicts();
    CHECK(std::count_if(conflicts.begin(), conflicts.end(), [](const auto& c) { return c.rule == "delete-wins"; }) == 2);
    for (const auto& conflict : conflicts) {
        CHECK_FALSE(conflict.local_change.empty());
        CHECK_FALSE(conflict.resolution.empty());
    }
    a.pull();
    const std::map<std::string, Flags> expected_inbox = {{sha_of("c3"), sorted({"$Server", "\\Seen"})}};
    CHECK(server_content(a, "INBOX") == expected_inbox);
    const std::map<std::string, Flags> expected_archive = {{sha_of("c2"), {}}, {sha_of("c4"), {}}};
    CHECK(server_content(a, "Archive") == expected_archive);
    CHECK(server_content(a, "GoneTarget") == std::map<std::string, Flags>{{sha_of("c5"), {}}});
    CHECK(server_content(a, "Gone") == std::map<std::string, Flags>{{sha_of("survivor"), {}}});
    CHECK(server_content(a, "Busy") == std::map<std::string, Flags>{{sha_of("arrived"), {}}});
    CHECK(server_has_mailbox(a, "Renamed"));
    for (const auto* box : {"INBOX", "Archive", "GoneTarget", "Gone", "Busy"}) check_mirror_equals_server(a, box);
}

TEST_CASE("replay cut by the network at many byte offsets loses and duplicates nothing", "[replay][fault]") {
    const auto& dovecot = DovecotFixture::get();
    test::FaultProxy proxy(dovecot.host, dovecot.imap_port);
    // Sets up the same scenario for a fresh account: returns it with its queue filled.
    const auto scenario = [&](Account& a) {
        std::vector<std::uint32_t> uid;
        for (int i = 0; i < 5; ++i) uid.push_back(a.seed("INBOX", a.user.name + "-f" + std::to_string(i)));
        a.pull();
        const auto one = [&](int i) { return std::vector<store::MessageId>{a.id("INBOX", uid[static_cast<std::size_t>(i)])}; };
        sync::change_flags(*a.store, "INBOX", one(0), {"\\Seen"}, {}, now);
        sync::move_messages(*a.store, "INBOX", one(1), "Archive", now);
        sync::copy_messages(*a.store, "INBOX", one(2), "Archive", now);
        sync::delete_messages(*a.store, "INBOX", one(3), now);
        a.append("INBOX", a.user.name + "-new1", {"\\Draft"}, 20000);
        a.append("Archive", a.user.name + "-new2");
        sync::make_mailbox(*a.store, "Made", now);
    };
    const auto check = [&](Account& a) {
        const std::string u = a.user.name;
        const std::map<std::string, Flags> inbox = {{sha_of(u + "-f0"), {"\\Seen"}},
                                                    {sha_of(u + "-f2"), {}},
                                                    {sha_of(u + "-f4"), {}},
                                                    {sha_of(u + "-new1", 20000), {"\\Draft"}}};
        const std::map<std::string, Flags> archive = {
            {sha_of(u + "-f1"), {}}, {sha_of(u + "-f2"), {}}, {sha_of(u + "-new2"), {}}};
        CHECK(server_content(a, "INBOX") == inbox);
        CHECK(server_content(a, "Archive") == archive);
        CHECK(server_has_mailbox(a, "Made"));
        CHECK(a.queue().empty());
        check_mirror_equals_server(a, "INBOX");
        check_mirror_equals_server(a, "Archive");
    };
    // Calibration: how many bytes a replay moves each way.
    std::uint64_t to_client = 0, to_server = 0;
    {
        Account a;
        scenario(a);
        a.port = proxy.port();
        proxy.clear_stats();
        a.push();
        for (const auto& connection : proxy.connections()) {
            to_client += connection.server_to_client;
            to_server += connection.client_to_server;
        }
        a.port = dovecot.imap_port;
        a.pull();
        check(a);
    }
    REQUIRE(to_client > 0);
    const std::size_t points = test::fault_points_from_environment(6);
    std::vector<std::pair<bool, std::uint64_t>> cuts;   // (server→client?, offset)
    for (auto offset : test::spread_offsets(to_client, points)) cuts.emplace_back(true, offset);
    for (auto offset : test::spread_offsets(to_server, std::max<std::size_t>(2, points / 2))) cuts.emplace_back(false, offset);
    std::size_t interrupted = 0;
    for (const auto& [server_side, offset] : cuts) {
        INFO((server_side ? "server→client" : "client→server") << " cut after " << offset << " bytes");
        Account a;
        scenario(a);
        a.port = proxy.port();
        test::ConnectionFaults faults;
        (server_side ? faults.server_to_client : faults.client_to_server).cut_after = offset;
        proxy.push_faults(faults);
        try {
            a.push();
        } catch (const Error& error) {
            CHECK(error.category() == ErrorCategory::unavailable);
            ++interrupted;
        }
        a.port = dovecot.imap_port;   // the network is back
        a.sync_all();
        check(a);
    }
    CHECK(interrupted > 0);
    std::cout << "replay cuts: " << cuts.size() << " trials, " << interrupted << " interrupted, " << to_client
              << " bytes to the client and " << to_server << " to the server per replay\n";
}

// ---- randomized convergence ------------------------------------------------------------------

namespace {

// What one message should be, by its (unique) body.
struct Expected {
    std::string mailbox;        // where the user has it ("" once deleted locally)
    Flags local, base;          // the user's flags, and the server's at the last sync
    bool moved = false;         // moved locally since the last sync
    bool appended = false;      // appended locally since the last sync
    bool deleted = false;       // deleted locally
    bool flagged = false;       // flags changed locally
    bool expunged = false;      // expunged on the server since the last sync
    Flags server;               // the server's flags (when not expunged)
};

bool has(const Flags& flags, const std::string& flag) { return std::find(flags.begin(), flags.end(), flag) != flags.end(); }

Flags toggled(Flags flags, const std::string& flag, bool on) {
    std::erase(flags, flag);
    if (on) flags.push_back(flag);
    return sorted(flags);
}

}  // namespace

TEST_CASE("randomized offline and server changes converge to the model", "[replay][random]") {
    std::uint64_t seed = std::random_device{}();
    if (const char* text = std::getenv("MAILSYNC_TEST_SEED")) seed = std::strtoull(text, nullptr, 10);
    std::cout << "randomized convergence: MAILSYNC_TEST_SEED=" << seed << "\n";
    INFO("MAILSYNC_TEST_SEED=" << seed);
    std::mt19937_64 random(seed);
    const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
    const std::vector<std::string> boxes = {"INBOX", "Archive"};
    const std::vector<std::string> flag_names = {"\\Seen", "\\Flagged", "$Work"};

    Account a;
    std::map<std::string, Expected> model;   // body SHA-256 → expected state
    std::map<std::string, std::string> tag_of;
    int next_tag = 0;
    const auto new_tag = [&] { return a.user.name + "-r" + std::to_string(next_tag++); };
    for (int i = 0; i < 6; ++i) {
        const auto tag = new_tag();
        a.seed(boxes[pick(2)], tag);
    }
    a.pull();

    for (int round = 0; round < 5; ++round) {
        INFO("round " << round);
        // The state after the last sync, from the server and the mirror (checked equal below).
        model.clear();
        std::map<std::string, std::pair<std::string, std::uint32_t>> where;   // sha → (mailbox, UID)
        for (const auto& box : boxes)
            for (const auto& [uid, message] : test::server_messages(a.user, box)) {
                Expected e;
                e.mailbox = box;
                e.local = e.base = e.server = sorted(message.flags);
                model[message.sha256] = e;
                where[message.sha256] = {box, uid};
            }
        std::vector<std::string> shas;
        for (const auto& [sha, e] : model) shas.push_back(sha);

        // Offline changes.
        for (int op = 0; op < 6 && !shas.empty(); ++op) {
            const std::string sha = shas[pick(shas.size())];
            Expected& e = model[sha];
            if (e.deleted) continue;
            const auto id = std::vector<store::MessageId>{a.id(where[sha].first, where[sha].second)};
            switch (pick(4)) {
                case 0: {
                    const auto& flag = flag_names[pick(flag_names.size())];
                    const bool on = !has(e.local, flag);
                    sync::change_flags(*a.store, e.mailbox, id, on ? Flags{flag} : Flags{}, on ? Flags{} : Flags{flag}, now);
                    e.local = toggled(e.local, flag, on);
                    e.flagged = true;
                    break;
                }
                case 1: {
                    const std::string to = e.mailbox == "INBOX" ? "Archive" : "INBOX";
                    sync::move_messages(*a.store, e.mailbox, id, to, now);
                    e.mailbox = to;
                    e.moved = e.mailbox != where[sha].first;
                    break;
                }
                case 2:
                    sync::delete_messages(*a.store, e.mailbox, id, now);
                    e.deleted = true;
                    break;
                default: {
                    const auto tag = new_tag();
                    const std::string box = boxes[pick(2)];
                    a.append(box, tag, {"\\Seen"});
                    Expected added;
                    added.mailbox = box;
                    added.local = {"\\Seen"};
                    added.appended = true;
                    model[sha_of(tag)] = added;
                    break;
                }
            }
            // A later op on a moved message would need its new place: keep it simple, one op each.
            std::erase(shas, sha);
        }
        // Server changes by another client, on messages as the server has them.
        std::vector<std::string> on_server;
        for (const auto& [sha, place] : where) on_server.push_back(sha);
        for (int op = 0; op < 3 && !on_server.empty(); ++op) {
            const std::string sha = on_server[pick(on_server.size())];
            Expected& e = model[sha];
            const auto& [box, uid] = where[sha];
            if (pick(3) == 0) {
                test::expunge(a.user.name, box, uid);
                e.expunged = true;
                std::erase(on_server, sha);
            } else {
                const auto& flag = flag_names[pick(flag_names.size())];
                const bool on = !has(e.server, flag);
                if (on) test::add_flags(a.user.name, box, uid, {flag});
                else test::remove_flags(a.user.name, box, uid, {flag});
                e.server = toggled(e.server, flag, on);
            }
        }
        if (pick(2) == 0) {
            const auto tag = new_tag();
            a.seed("INBOX", tag);
            Expected delivered;
            delivered.mailbox = "INBOX";
            model[sha_of(tag)] = delivered;
        }

        const auto pushed = a.push();
        CHECK(pushed.failed == 0);
        a.pull();
        CHECK(a.queue().empty());

        // The model's answer, by the written rules.
        std::map<std::string, std::map<std::string, Flags>> expected;   // mailbox → sha → flags
        for (const auto& [sha, e] : model) {
            if (e.deleted) continue;                                     // a local delete wins
            if (e.expunged && !e.moved && !e.appended) continue;         // a server delete wins
            Flags flags;
            if (e.expunged || e.appended) {
                flags = e.local;                                          // uploaded from the mirror
            } else {
                for (const auto& flag : flag_names) {
                    const bool local_changed = has(e.local, flag) != has(e.base, flag);
                    if (local_changed ? has(e.local, flag) : has(e.server, flag)) flags.push_back(flag);
                }
            }
            expected[e.mailbox][sha] = sorted(flags);
        }
        for (const auto& box : boxes) {
            INFO("mailbox " << box);
            CHECK(server_content(a, box) == expected[box]);
            check_mirror_equals_server(a, box);
        }
    }
}

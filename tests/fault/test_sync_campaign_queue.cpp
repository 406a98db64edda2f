// The fault campaign (sync_campaign.hpp) on the offline queue's hard cases: a mailbox renumbered
// on the server (new UIDVALIDITY) while changes to it were queued; changes the server refuses; a
// big APPEND over a slow uplink; the replay against a server without MOVE and UIDPLUS. Each trial
// is interrupted like the others (kill, cut, stall) and checked against a model of the server
// computed from the operations (server_model.hpp), the server read by server_truth.py.
//
// The masked servers (tests/support/masked_dovecot.hpp) are private Dovecots started first in
// their test case (CTest runs each case in a process of its own).
#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>

#include "tests/fault/campaign_scenarios.hpp"
#include "tests/fault/server_model.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/masked_dovecot.hpp"

using namespace mailsync;
using namespace mailsync::test;
using namespace mailsync::test::campaign;

namespace {

// The messages of `mailbox` (UIDs 1..count) made again on the server, bytes and flags kept, under
// a new UIDVALIDITY and renumbered: the second half first, so that each old UID names another
// message or none. (The independent reader checks that nothing but the UIDs changed.)
void recreate_renumbered(const Account& a, const std::string& mailbox, std::uint32_t count) {
    const auto& u = a.user().name;
    const auto before = a.server_contents();
    const auto old_uidvalidity = status(u, mailbox).uidvalidity;
    const std::string half = std::to_string(count / 2);
    doveadm({"mailbox", "create", "-u", u, "Recreating"});
    doveadm({"copy", "-u", u, "Recreating", "mailbox", mailbox, "uid", std::to_string(count / 2 + 1) + ":*"});
    doveadm({"copy", "-u", u, "Recreating", "mailbox", mailbox, "uid", "1:" + half});
    doveadm({"mailbox", "delete", "-u", u, mailbox});
    doveadm({"mailbox", "rename", "-u", u, "Recreating", mailbox});
    doveadm({"mailbox", "subscribe", "-u", u, mailbox});
    if (status(u, mailbox).uidvalidity == old_uidvalidity) set_uidvalidity(u, mailbox, old_uidvalidity + 1000);
    if (status(u, mailbox).uidvalidity == old_uidvalidity || a.server_contents() != before)
        throw std::runtime_error("recreating " + mailbox + " changed more than its UIDs, or not its UIDVALIDITY");
}

}  // namespace

// Changes queued against Lists (and one into it), then Lists recreated on the server with the same
// messages under new UIDs: the replay must re-pair each change with its message before doing it.
TEST_CASE("campaign: replay across a UIDVALIDITY change", "[fault][campaign]") {
    std::unique_ptr<Account> current;
    Campaign campaign("uidvalidity");
    run_all(
        campaign, fresh_accounts(current, "campuv"),
        [](Account& a) -> Expected {
            load_messages(a, "INBOX", "i", 20);
            load_messages(a, "Lists", "l", 12);
            require_ok(a, {"sync"});
            ServerModel model(a.server_by_uid());
            const auto id = [&](const std::string& box, std::uint32_t uid) { return std::to_string(a.message_id(box, uid)); };
            require_ok(a, {"flag", "Lists", id("Lists", 1) + "," + id("Lists", 2), "+seen", "+$Label1", "-flagged"});
            for (std::uint32_t uid : {1u, 2u}) model.flag("Lists", uid, {"\\Seen", "$Label1"}, {"\\Flagged"});
            require_ok(a, {"flag", "Lists", id("Lists", 7), "+flagged"});
            model.flag("Lists", 7, {"\\Flagged"}, {});
            require_ok(a, {"delete", "Lists", id("Lists", 3)});
            model.expunge("Lists", 3);
            require_ok(a, {"move", "Lists", id("Lists", 4), "INBOX"});
            model.move("Lists", 4, "INBOX");
            require_ok(a, {"copy", "Lists", id("Lists", 5), "Archive"});
            model.copy("Lists", 5, "Archive");
            require_ok(a, {"move", "INBOX", id("INBOX", 1), "Lists"});  // into the mailbox to be renumbered
            model.move("INBOX", 1, "Lists");
            require_ok(a, {"flag", "INBOX", id("INBOX", 2), "+$Label2"});  // a mailbox left alone
            model.flag("INBOX", 2, {"$Label2"}, {});
            const auto file = message_file(a, "app-uv");
            require_ok(a, {"append", "Lists", file, "--flags", "seen"});
            model.append("Lists", file_sha256(file), {"\\Seen"});
            recreate_renumbered(a, "Lists", 12);
            return model.contents();
        },
        size("uidvalidity"));
}

// On a server without MOVE and UIDPLUS (masked Dovecot): a move refused for good (COPY would need a
// plain EXPUNGE) and a flag change made on top of it; a delete refused while a bystander's message
// is marked \Deleted (refused again at each sync, then for good); a mkdir of a name Dovecot refuses.
// Independent changes queued among them (flag, copy, delete elsewhere, append) must reach the server
// in the same sync. Expected: the refused changes leave the server as it was, the mirror returns to
// the server's state, and exactly these four are listed by `queue --refused`.
TEST_CASE("campaign: refused changes", "[fault][campaign]") {
    MaskedDovecot dovecot(capabilities_without_move_uidplus);
    std::unique_ptr<Account> current;
    Campaign campaign("refusals");
    run_all(
        campaign, fresh_accounts(current, "camprf"),
        [](Account& a) -> Expected {
            load_messages(a, "INBOX", "i", 12);
            load_messages(a, "Lists", "l", 6);
            require_ok(a, {"sync"});
            ServerModel model(a.server_by_uid());
            const auto id = [&](const std::string& box, std::uint32_t uid) { return std::to_string(a.message_id(box, uid)); };
            // Refused (the model leaves the server as it is for them):
            const auto moved = id("INBOX", 3);
            require_ok(a, {"move", "INBOX", moved, "Archive"});
            require_ok(a, {"flag", "Archive", moved, "+$AfterMove"});  // depends on the move
            require_ok(a, {"delete", "INBOX", id("INBOX", 5)});
            require_ok(a, {"mkdir", "~Refused"});
            // Independent, replayed all the same:
            require_ok(a, {"flag", "INBOX", id("INBOX", 1), "+flagged", "-seen"});
            model.flag("INBOX", 1, {"\\Flagged"}, {"\\Seen"});
            require_ok(a, {"copy", "INBOX", id("INBOX", 2), "Lists"});
            model.copy("INBOX", 2, "Lists");
            require_ok(a, {"delete", "Lists", id("Lists", 4)});
            model.expunge("Lists", 4);
            const auto file = message_file(a, "app-rf");
            require_ok(a, {"append", "Lists", file, "--flags", "seen"});
            model.append("Lists", file_sha256(file), {"\\Seen"});
            // A bystander marks INBOX 6 \Deleted (not expunged): it must survive the queued delete.
            add_flags(a.user().name, "INBOX", 6, {"\\Deleted"});
            model.flag("INBOX", 6, {"\\Deleted"}, {});
            return {model.contents(), 4};
        },
        size("refusals"));
}

// A big APPEND (about 800 KB) queued with a flag change and a small APPEND after it, replayed over a
// link whose uplink the fault proxy limits to 160 KB/s (about 5 s of upload) with timeout_seconds
// 2: deadlines measure inactivity, so the run must complete, and nothing queued after it waits.
TEST_CASE("campaign: replay over a slow uplink", "[fault][campaign]") {
    std::unique_ptr<Account> current;
    Link slow_uplink{.faults = {.client_to_server = {.rate = 160 * 1024}}, .timeout_seconds = 2};
    Campaign campaign("slow-uplink", slow_uplink);
    run_all(
        campaign, fresh_accounts(current, "campsl"),
        [](Account& a) -> Expected {
            load_messages(a, "INBOX", "i", 10);
            require_ok(a, {"sync"});
            ServerModel model(a.server_by_uid());
            const auto big = message_file(a, "big", 800 * 1024);
            require_ok(a, {"append", "INBOX", big, "--flags", "seen"});
            model.append("INBOX", file_sha256(big), {"\\Seen"});
            require_ok(a, {"flag", "INBOX", std::to_string(a.message_id("INBOX", 1)), "+$AfterBig"});
            model.flag("INBOX", 1, {"$AfterBig"}, {});
            const auto small = message_file(a, "small");
            require_ok(a, {"append", "INBOX", small});
            model.append("INBOX", file_sha256(small), {});
            return model.contents();
        },
        size("slow-uplink"));
}

// The replay scenario (campaign: replay of an offline queue) against Dovecot advertising neither
// MOVE nor UIDPLUS: copies, appends and deletes find their way without COPYUID, APPENDUID and
// UID EXPUNGE; the three queued moves are refused for good, their messages left where they were.
TEST_CASE("campaign: replay without MOVE and UIDPLUS", "[fault][campaign]") {
    MaskedDovecot dovecot(capabilities_without_move_uidplus);
    std::unique_ptr<Account> current;
    Campaign campaign("no-uidplus");
    run_all(campaign, fresh_accounts(current, "campnu"), [](Account& a) { return offline_replay(a, false); },
            size("no-uidplus"));
}

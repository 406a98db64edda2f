// The push side's conflict rules (sync/rules/conflict_rules.hpp) as a table, the flag arithmetic they
// use, the APPEND date format and watch's backoff.
#include <catch2/catch.hpp>

#include <algorithm>

#include "sync/push/push_server.hpp"
#include "sync/rules/conflict_rules.hpp"
#include "sync/push/replay.hpp"
#include "sync/watch/watch.hpp"

using namespace mailsync;
using sync::ReplayAction;
using sync::ServerFinding;
using store::QueueKind;

TEST_CASE("conflict rules: every queued kind against every finding that can happen to it") {
    struct Row {
        QueueKind kind;
        ServerFinding finding;
        ReplayAction action;
        std::string rule;   // empty: not a conflict
    };
    const std::vector<Row> table = {
        {QueueKind::flags, ServerFinding::as_before, ReplayAction::send, ""},
        {QueueKind::flags, ServerFinding::flags_changed, ReplayAction::send, "flags-merge"},
        {QueueKind::flags, ServerFinding::message_gone, ReplayAction::drop, "delete-wins"},
        {QueueKind::flags, ServerFinding::unplaced, ReplayAction::drop, "uidvalidity-changed"},
        {QueueKind::flags, ServerFinding::refused, ReplayAction::refuse, ""},
        {QueueKind::remove, ServerFinding::as_before, ReplayAction::send, ""},
        {QueueKind::remove, ServerFinding::flags_changed, ReplayAction::send, "delete-wins"},
        {QueueKind::remove, ServerFinding::message_gone, ReplayAction::drop, ""},
        {QueueKind::remove, ServerFinding::unplaced, ReplayAction::drop, "uidvalidity-changed"},
        {QueueKind::move, ServerFinding::as_before, ReplayAction::send, ""},
        {QueueKind::move, ServerFinding::flags_changed, ReplayAction::send, ""},
        {QueueKind::move, ServerFinding::message_gone, ReplayAction::reupload, "move-reuploads"},
        {QueueKind::move, ServerFinding::unplaced, ReplayAction::reupload, "move-reuploads"},
        {QueueKind::move, ServerFinding::target_gone, ReplayAction::create_then_send, "target-recreated"},
        {QueueKind::copy, ServerFinding::as_before, ReplayAction::send, ""},
        {QueueKind::copy, ServerFinding::message_gone, ReplayAction::reupload, "copy-reuploads"},
        {QueueKind::copy, ServerFinding::target_gone, ReplayAction::create_then_send, "target-recreated"},
        {QueueKind::append, ServerFinding::as_before, ReplayAction::send, ""},
        {QueueKind::append, ServerFinding::target_gone, ReplayAction::create_then_send, "append-survives"},
        {QueueKind::append, ServerFinding::refused, ReplayAction::refuse, ""},
        {QueueKind::create_mailbox, ServerFinding::as_before, ReplayAction::send, ""},
        {QueueKind::create_mailbox, ServerFinding::name_taken, ReplayAction::drop, ""},
        {QueueKind::create_mailbox, ServerFinding::refused, ReplayAction::refuse, ""},
        {QueueKind::rename_mailbox, ServerFinding::as_before, ReplayAction::send, ""},
        {QueueKind::rename_mailbox, ServerFinding::mailbox_gone, ReplayAction::create_then_send, "rename-source-gone"},
        {QueueKind::rename_mailbox, ServerFinding::name_taken, ReplayAction::keep_server, "rename-target-taken"},
        {QueueKind::delete_mailbox, ServerFinding::as_before, ReplayAction::send, ""},
        {QueueKind::delete_mailbox, ServerFinding::mailbox_gone, ReplayAction::drop, ""},
        {QueueKind::delete_mailbox, ServerFinding::mailbox_not_empty, ReplayAction::keep_server, "mailbox-not-empty"},
    };
    for (const auto& row : table) {
        INFO("kind " << static_cast<int>(row.kind) << " finding " << static_cast<int>(row.finding));
        const auto decision = sync::decide(row.kind, row.finding);
        CHECK(decision.action == row.action);
        CHECK(std::string(decision.rule) == row.rule);
        CHECK(decision.conflict() == !row.rule.empty());
        if (decision.conflict()) CHECK_FALSE(decision.resolution.empty());
    }
}

TEST_CASE("conflict rules: the per-flag merge S + add - remove") {
    using F = std::vector<std::string>;
    struct Row {
        F server, add, remove, expected;
    };
    const std::vector<Row> table = {
        {{}, {"\\Seen"}, {}, {"\\Seen"}},
        {{"\\Flagged"}, {"\\Seen"}, {}, {"\\Flagged", "\\Seen"}},          // both sides' changes combine
        {{"\\Seen", "$Work"}, {}, {"\\SEEN"}, {"$Work"}},                   // case-insensitive
        {{"\\Seen"}, {"\\Seen"}, {}, {"\\Seen"}},                           // idempotent (a re-sent record)
        {{"\\Recent", "\\Answered"}, {}, {}, {"\\Answered"}},               // \Recent is never kept
        {{"$A", "$B"}, {"$C"}, {"$A", "$X"}, {"$B", "$C"}},
    };
    for (const auto& row : table) CHECK(sync::apply_change(row.server, row.add, row.remove) == row.expected);

    // Did the server change the flags since the last sync?
    CHECK_FALSE(sync::server_changed_flags({"\\Seen"}, {"\\SEEN"}, {"$X"}, {}, false));
    CHECK(sync::server_changed_flags({"\\Seen", "$X"}, {"\\Seen"}, {"$X"}, {}, false));
    // ... unless that is our own change, already applied before a crash.
    CHECK_FALSE(sync::server_changed_flags({"\\Seen", "$X"}, {"\\Seen"}, {"$X"}, {}, true));
    CHECK(sync::server_changed_flags({"\\Seen", "$X", "$Y"}, {"\\Seen"}, {"$X"}, {}, true));
}

TEST_CASE("conflict rules: changes are described in words") {
    store::QueueRecord record;
    record.kind = QueueKind::flags;
    record.message = 12;
    record.uid = 7;
    record.name = "INBOX";
    record.add_flags = {"\\Seen"};
    record.remove_flags = {"$Old"};
    CHECK(sync::describe_change(record) == "flag change +\\Seen -$Old on message 12 (UID 7) in 'INBOX'");
    record.kind = QueueKind::move;
    record.new_name = "Archive/2024";
    CHECK(sync::describe_change(record) == "move of message 12 (UID 7) from 'INBOX' to 'Archive/2024'");
    record.kind = QueueKind::create_mailbox;
    CHECK(sync::describe_change(record) == "creation of mailbox 'INBOX'");
}

// Every conflict the table can record reads as one sentence: no doubled subject ("server the
// server ..."), one final period, the rule named once at the end.
TEST_CASE("conflict rules: each conflict reads as one plain sentence") {
    store::QueueRecord move;
    move.kind = QueueKind::move;
    move.message = 3;
    move.uid = 9;
    move.name = "INBOX";
    move.new_name = "Archive";
    const auto decision = sync::decide(QueueKind::move, ServerFinding::message_gone);
    store::ConflictRecord record;
    record.rule = std::string(decision.rule);
    record.local_change = sync::describe_change(move);
    record.server_change = "the server deleted the message";
    record.resolution = std::string(decision.resolution);
    CHECK(sync::conflict_sentence(record) ==
          "While the move of message 3 (UID 9) from 'INBOX' to 'Archive' was queued, the server deleted the message, so "
          "the message was uploaded again from the mirror into the destination (rule move-reuploads).");

    // Every resolution of the table is a clause that fits after "so": lower case, no final period,
    // no "refused" (a refusal is not a conflict).
    for (auto kind : {QueueKind::flags, QueueKind::move, QueueKind::copy, QueueKind::remove, QueueKind::append,
                      QueueKind::create_mailbox, QueueKind::rename_mailbox, QueueKind::delete_mailbox}) {
        for (auto finding : {ServerFinding::as_before, ServerFinding::flags_changed, ServerFinding::message_gone,
                             ServerFinding::unplaced, ServerFinding::target_gone, ServerFinding::mailbox_gone,
                             ServerFinding::name_taken, ServerFinding::mailbox_not_empty}) {
            const auto found = sync::decide(kind, finding);
            if (!found.conflict()) continue;
            INFO("rule " << found.rule << ": " << found.resolution);
            const std::string resolution(found.resolution);
            CHECK((resolution[0] >= 'a' && resolution[0] <= 'z'));
            CHECK(resolution.find(':') == std::string::npos);
            CHECK(resolution.back() != '.');
            CHECK(resolution.find("refused") == std::string::npos);
            record.rule = std::string(found.rule);
            record.resolution = resolution;
            const std::string sentence = sync::conflict_sentence(record);
            CHECK(sentence.find("server the server") == std::string::npos);
            CHECK(std::count(sentence.begin(), sentence.end(), '.') == 1);
            CHECK(sentence.back() == '.');
        }
    }
}

TEST_CASE("conflict rules: a refusal reads as one sentence saying what, why and what next") {
    store::QueueRecord record;
    record.seq = 41;
    record.kind = QueueKind::create_mailbox;
    record.name = "Bad";
    const auto said = sync::refused_by("CREATE", {std::nullopt, imap::Status::no,
                                                  imap::ResponseCode{imap::code::Other{"CANNOT", ""}}, "Invalid name"});
    CHECK_FALSE(said.retrying_can_help);   // the server says it can never succeed
    CHECK(sync::refusal_sentence(record, said.why, {true, 5, 5}) ==
          "The creation of mailbox 'Bad' was refused because the server answered NO to CREATE, saying \"Invalid "
          "name\"; it is not tried again, and `mailsync queue --refused` lists it until `mailsync queue --drop 41`.");
    const auto busy = sync::refused_by("APPEND", {std::nullopt, imap::Status::no,
                                                  imap::ResponseCode{imap::code::Other{"OVERQUOTA", ""}}, "Quota exceeded"});
    CHECK(busy.retrying_can_help);
    CHECK(sync::refusal_sentence(record, busy.why, {false, 2, 5}) ==
          "The creation of mailbox 'Bad' was refused because the server answered NO to APPEND, saying \"Quota "
          "exceeded\"; it is tried again at the next sync (refusal 2 of 5).");
}

TEST_CASE("APPEND dates are IMAP date-time in the record's zone") {
    CHECK(sync::imap_internal_date(0, 0) == "01-Jan-1970 00:00:00 +0000");
    // 2024-02-29 23:30:00 UTC, shown at -07:00 and +05:45.
    CHECK(sync::imap_internal_date(1709249400, -420) == "29-Feb-2024 16:30:00 -0700");
    CHECK(sync::imap_internal_date(1709249400, 345) == "01-Mar-2024 05:15:00 +0545");
}

TEST_CASE("watch backs off from 1 s doubling to 5 min, with jitter of a quarter either way") {
    using std::chrono::milliseconds;
    const milliseconds initial(1000), max(300000);
    CHECK(sync::backoff_delay(0, initial, max, 0.5) == milliseconds(1000));
    CHECK(sync::backoff_delay(3, initial, max, 0.5) == milliseconds(8000));
    CHECK(sync::backoff_delay(30, initial, max, 0.5) == max);
    CHECK(sync::backoff_delay(0, initial, max, 0.0) == milliseconds(750));
    CHECK(sync::backoff_delay(0, initial, max, 1.0) == milliseconds(1250));
    CHECK(sync::backoff_delay(1000, initial, max, 0.99) <= milliseconds(375000));
}

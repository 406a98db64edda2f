#include "sync/rules/conflict_rules.hpp"

#include <fmt/format.h>

#include "sync/server/mailbox_names.hpp"

namespace mailsync::sync {
namespace {

using store::QueueKind;

constexpr ReplayDecision plain_send{ReplayAction::send, {}, {}};
constexpr ReplayDecision done_already{ReplayAction::drop, {}, {}};
constexpr ReplayDecision refused_change{ReplayAction::refuse, {}, "refused: the server's state stays"};

ReplayDecision flags_rule(ServerFinding finding) {
    switch (finding) {
        case ServerFinding::as_before: return plain_send;
        case ServerFinding::flags_changed:
            return {ReplayAction::send, "flags-merge",
                    "merged per flag: the user's value for the flags the user changed, the server's for the others"};
        case ServerFinding::message_gone:
            return {ReplayAction::drop, "delete-wins", "local flag change dropped: the server deleted the message"};
        case ServerFinding::unplaced:
            return {ReplayAction::drop, "uidvalidity-changed",
                    "local flag change dropped: the message could not be found on the server"};
        case ServerFinding::refused: return refused_change;
        case ServerFinding::target_gone:
        case ServerFinding::mailbox_gone:
        case ServerFinding::name_taken:
        case ServerFinding::mailbox_not_empty: break;
    }
    return plain_send;
}

ReplayDecision move_or_copy_rule(QueueKind kind, ServerFinding finding) {
    const bool move = kind == QueueKind::move;
    switch (finding) {
        case ServerFinding::as_before:
        case ServerFinding::flags_changed: return plain_send;   // the server's flags travel with it
        case ServerFinding::message_gone:
        case ServerFinding::unplaced:
            return move ? ReplayDecision{ReplayAction::reupload, "move-reuploads",
                                         "uploaded again from the mirror into the destination"}
                        : ReplayDecision{ReplayAction::reupload, "copy-reuploads",
                                         "the copy was uploaded from the mirror into the destination"};
        case ServerFinding::target_gone:
            return {ReplayAction::create_then_send, "target-recreated",
                    "the destination mailbox was created again and the message put there"};
        case ServerFinding::refused: return refused_change;
        case ServerFinding::mailbox_gone:
        case ServerFinding::name_taken:
        case ServerFinding::mailbox_not_empty: break;
    }
    return plain_send;
}

ReplayDecision remove_rule(ServerFinding finding) {
    switch (finding) {
        case ServerFinding::as_before: return plain_send;
        case ServerFinding::flags_changed:
            return {ReplayAction::send, "delete-wins", "deleted anyway: a delete wins over the server's flag change"};
        case ServerFinding::message_gone: return done_already;   // deleted on both sides
        case ServerFinding::unplaced:
            return {ReplayAction::drop, "uidvalidity-changed",
                    "nothing deleted: the message could not be found on the server"};
        case ServerFinding::refused: return refused_change;
        case ServerFinding::target_gone:
        case ServerFinding::mailbox_gone:
        case ServerFinding::name_taken:
        case ServerFinding::mailbox_not_empty: break;
    }
    return plain_send;
}

ReplayDecision append_rule(ServerFinding finding) {
    switch (finding) {
        case ServerFinding::target_gone:
            return {ReplayAction::create_then_send, "append-survives",
                    "the mailbox the server deleted was created again for the appended message"};
        case ServerFinding::refused: return refused_change;
        case ServerFinding::as_before:
        case ServerFinding::flags_changed:
        case ServerFinding::message_gone:
        case ServerFinding::unplaced:
        case ServerFinding::mailbox_gone:
        case ServerFinding::name_taken:
        case ServerFinding::mailbox_not_empty: break;
    }
    return plain_send;
}

ReplayDecision mailbox_rule(QueueKind kind, ServerFinding finding) {
    switch (finding) {
        case ServerFinding::as_before: return plain_send;
        case ServerFinding::name_taken:
            if (kind == QueueKind::create_mailbox) return done_already;   // exists: nothing to do
            return {ReplayAction::keep_server, "rename-target-taken",
                    "not renamed: the server has a mailbox of the new name; both are kept"};
        case ServerFinding::mailbox_gone:
            if (kind == QueueKind::rename_mailbox)
                return {ReplayAction::create_then_send, "rename-source-gone",
                        "the new name was created; the messages deleted on the server stay deleted"};
            return done_already;   // delete of a mailbox that is gone, or create
        case ServerFinding::mailbox_not_empty:
            return {ReplayAction::keep_server, "mailbox-not-empty",
                    "not deleted: the server's mailbox has mail the user has not seen; it comes back"};
        case ServerFinding::refused: return refused_change;
        case ServerFinding::flags_changed:
        case ServerFinding::message_gone:
        case ServerFinding::unplaced:
        case ServerFinding::target_gone: break;
    }
    return plain_send;
}


std::string flag_change_words(const store::QueueRecord& record) {
    std::string words;
    for (const auto& flag : record.add_flags) words += (words.empty() ? "+" : " +") + flag;
    for (const auto& flag : record.remove_flags) words += (words.empty() ? "-" : " -") + flag;
    return words;
}

}  // namespace

ReplayDecision decide(QueueKind kind, ServerFinding finding) {
    switch (kind) {
        case QueueKind::flags: return flags_rule(finding);
        case QueueKind::move:
        case QueueKind::copy: return move_or_copy_rule(kind, finding);
        case QueueKind::remove: return remove_rule(finding);
        case QueueKind::append: return append_rule(finding);
        case QueueKind::create_mailbox:
        case QueueKind::rename_mailbox:
        case QueueKind::delete_mailbox: return mailbox_rule(kind, finding);
    }
    return plain_send;
}

bool server_changed_flags(const std::vector<std::string>& server, const std::vector<std::string>& base,
                          const std::vector<std::string>& add, const std::vector<std::string>& remove,
                          bool maybe_sent) {
    if (same_flags(server, base)) return false;
    return !(maybe_sent && same_flags(server, apply_change(base, add, remove)));
}

std::string describe_change(const store::QueueRecord& record) {
    const std::string uid = record.uid ? fmt::format(" (UID {})", *record.uid) : std::string();
    switch (record.kind) {
        case QueueKind::flags:
            return fmt::format("flags {} on message {}{} in {}", flag_change_words(record), record.message, uid,
                               quoted_display_name(record.name));
        case QueueKind::move:
            return fmt::format("move of message {}{} from {} to {}", record.message, uid, quoted_display_name(record.name),
                               quoted_display_name(record.new_name));
        case QueueKind::copy:
            return fmt::format("copy of message {}{} from {} to {}", record.message, uid, quoted_display_name(record.name),
                               quoted_display_name(record.new_name));
        case QueueKind::remove:
            return fmt::format("delete of message {}{} in {}", record.message, uid, quoted_display_name(record.name));
        case QueueKind::append:
            return fmt::format("append of message {} to {}", record.message, quoted_display_name(record.name));
        case QueueKind::create_mailbox: return fmt::format("mkdir {}", quoted_display_name(record.name));
        case QueueKind::rename_mailbox:
            return fmt::format("rename {} to {}", quoted_display_name(record.name), quoted_display_name(record.new_name));
        case QueueKind::delete_mailbox: return fmt::format("rmdir {}", quoted_display_name(record.name));
    }
    return "change";
}

}  // namespace mailsync::sync

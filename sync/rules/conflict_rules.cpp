#include "sync/rules/conflict_rules.hpp"

namespace mailsync::sync {
namespace {

using store::QueueKind;

constexpr ReplayDecision plain_send{ReplayAction::send, {}, {}};
constexpr ReplayDecision done_already{ReplayAction::drop, {}, {}};
constexpr ReplayDecision refused_change{ReplayAction::refuse, {}, "the server's state stays"};

ReplayDecision flags_rule(ServerFinding finding) {
    switch (finding) {
        case ServerFinding::as_before: return plain_send;
        case ServerFinding::flags_changed:
            return {ReplayAction::send, "flags-merge",
                    "the flags were merged, each flag changed locally taking the local value and every other the server's"};
        case ServerFinding::message_gone:
            return {ReplayAction::drop, "delete-wins", "the local flag change was dropped"};
        case ServerFinding::unplaced:
            return {ReplayAction::drop, "uidvalidity-changed",
                    "the local flag change was dropped"};
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
                                         "the message was uploaded again from the mirror into the destination"}
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
            return {ReplayAction::send, "delete-wins", "the message was deleted anyway, as a delete wins over a flag change"};
        case ServerFinding::message_gone: return done_already;   // deleted on both sides
        case ServerFinding::unplaced:
            return {ReplayAction::drop, "uidvalidity-changed",
                    "nothing was deleted"};
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
                    "the mailbox was created again for the appended message"};
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
                    "the mailbox was not renamed, and both mailboxes are kept"};
        case ServerFinding::mailbox_gone:
            if (kind == QueueKind::rename_mailbox)
                return {ReplayAction::create_then_send, "rename-source-gone",
                        "the new name was created, and the messages the server deleted stay deleted"};
            return done_already;   // delete of a mailbox that is gone, or create
        case ServerFinding::mailbox_not_empty:
            return {ReplayAction::keep_server, "mailbox-not-empty",
                    "the mailbox was not deleted, and it comes back with that mail at the next sync"};
        case ServerFinding::refused: return refused_change;
        case ServerFinding::flags_changed:
        case ServerFinding::message_gone:
        case ServerFinding::unplaced:
        case ServerFinding::target_gone: break;
    }
    return plain_send;
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

}  // namespace mailsync::sync

// The mailbox executor (executors.hpp): create, rename and delete of a mailbox. The change is sent
// first; when the server refuses, LIST / STATUS tell why, and the table says what follows. A refusal
// for a reason of the server's own (an invalid name, no permission) refuses the record.
#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/push/executors.hpp"

namespace mailsync::sync {

using store::QueueKind;
using store::QueueRecord;

namespace {

void create_mailbox(ReplayContext& context, const QueueRecord& record) {
    PushServer& server = context.server;
    const auto response = server.run_create(record.name);
    ServerFinding finding = ServerFinding::as_before;
    std::string words;
    if (response.status != imap::Status::ok) {
        if (!server.mailbox_exists(record.name)) throw refused_by("CREATE", response);
        finding = ServerFinding::name_taken;
        words = "the server had it already";
    }
    const Outcome outcome{decide(record.kind, finding), std::move(words)};
    if (outcome.decision.action != ReplayAction::keep_server) server.subscribe(record.name);   // best effort
    context.ledger.confirm(record, outcome, [&](store::WriteTxn& txn) {
        if (auto mailbox = txn.mailbox(record.mailbox); mailbox && mailbox->created_offline) {
            mailbox->created_offline = false;
            txn.put_mailbox(*mailbox);
        }
    });
}

void rename_mailbox(ReplayContext& context, const QueueRecord& record) {
    PushServer& server = context.server;
    const auto response = server.run_rename(record.name, record.new_name);
    ServerFinding finding = ServerFinding::as_before;
    std::string words;
    if (response.status != imap::Status::ok) {
        const bool old_there = server.mailbox_exists(record.name);
        const bool new_there = server.mailbox_exists(record.new_name);
        if (!old_there && !new_there) {
            finding = ServerFinding::mailbox_gone;
            words = "the server deleted the mailbox";
        } else if (old_there && new_there) {
            finding = ServerFinding::name_taken;
            words = "the server already had a mailbox " + quoted_display_name(record.new_name);
        } else if (old_there) {
            throw refused_by("RENAME", response);
        }   // else: renamed already (before a crash)
    }
    const Outcome outcome{decide(record.kind, finding), std::move(words)};
    if (outcome.decision.action == ReplayAction::create_then_send) server.create(record.new_name);
    if (outcome.decision.action != ReplayAction::keep_server) server.subscribe(record.new_name);   // best effort
    context.ledger.confirm(record, outcome);
}

void delete_mailbox(ReplayContext& context, const QueueRecord& record) {
    PushServer& server = context.server;
    const auto settle = [&](ServerFinding finding, std::string words) {
        return send_or_settle(context, record, {decide(record.kind, finding), std::move(words)});
    };
    const auto messages = server.message_count(record.name);
    if (!messages) {
        if (settle(ServerFinding::mailbox_gone, "the server had deleted it already")) throw_unexpected(record, decide(record.kind, ServerFinding::mailbox_gone));
        return;
    }
    if (*messages > 0) {
        if (settle(ServerFinding::mailbox_not_empty,
                   fmt::format("{} message{} arrived in it on the server", *messages, *messages == 1 ? "" : "s")))
            throw_unexpected(record, decide(record.kind, ServerFinding::mailbox_not_empty));
        return;
    }
    const auto response = server.run_delete(record.name);
    if (response.status != imap::Status::ok && server.mailbox_exists(record.name)) throw refused_by("DELETE", response);
    context.ledger.confirm(record, {decide(record.kind, ServerFinding::as_before), {}});
}

}  // namespace

void replay_mailbox_change(ReplayContext& context, const MarkedRecord& marked) {
    const QueueRecord& record = marked.record;
    try {
        context.server.leave();
        switch (record.kind) {
            case QueueKind::create_mailbox: create_mailbox(context, record); return;
            case QueueKind::rename_mailbox: rename_mailbox(context, record); return;
            case QueueKind::delete_mailbox: delete_mailbox(context, record); return;
            case QueueKind::flags:
            case QueueKind::move:
            case QueueKind::copy:
            case QueueKind::remove:
            case QueueKind::append: break;
        }
        throw Error(ErrorCategory::internal, "replay_mailbox_change called for a message record");
    } catch (const Refused& refused) {
        context.ledger.refuse(record, refused.why, refused.retrying_can_help);
    }
}

}  // namespace mailsync::sync

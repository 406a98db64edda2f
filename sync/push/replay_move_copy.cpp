// The move/copy executor (executors.hpp), and the re-upload from the mirror that the table decides
// for a message the server no longer has.
#include "sync/push/executors.hpp"

namespace mailsync::sync {

using store::MessageId;
using store::QueueKind;
using store::QueueRecord;
using store::Uid;

namespace {

// The message the record places in the destination: the moved one, or the new copy.
MessageId placed_message(const QueueRecord& record) {
    return record.kind == QueueKind::copy ? record.copy_message : record.message;
}

// The move/copy-of-expunged rule: the mirror's body goes into the destination (APPEND).
void reupload(ReplayContext& context, const MarkedRecord& marked, const Outcome& outcome) {
    const QueueRecord& record = marked.record;
    const MessageId placed = placed_message(record);
    if (!record.body_hash || !context.store.has_body(*record.body_hash)) {
        context.ledger.refuse(record, "its body, needed to upload it again, is not in the store", false);
        return;
    }
    const auto message = context.store.read([&](const store::ReadTxn& txn) { return txn.message(placed); });
    if (message && message->partial) {
        // Headers first (sync/pull/body_rule.hpp): the file is its header only, not the message.
        context.ledger.refuse(record, "only its headers were downloaded, so it cannot be uploaded again", false);
        return;
    }
    const Sought sought = sought_message(context, placed, record.body_hash);
    // An upload before a crash is looked for first.
    Placement placement;
    if (marked.may_have_reached_server) {
        placement.uid = find_unknown_copy(context, record.new_name, record.target_mailbox, sought);
        placement.uidvalidity = context.server.uidvalidity();
    }
    if (!placement.uid) {
        Upload upload;
        upload.mailbox = record.new_name;
        upload.flags = message ? message->flags : record.base_flags;
        upload.internaldate = message ? message->internaldate : 0;
        upload.zone_minutes = message ? message->internaldate_zone_minutes : std::int16_t{0};
        upload.path = context.store.body_path(*record.body_hash).string();
        placement = upload_body(context, record.kind, std::move(upload), record.target_mailbox, sought).placement;
    }
    if (!placement.uid) {
        // Retrying would upload it again: refused for good, the pull brings the server's copy.
            context.ledger.refuse(record, "the server took the message without saying where (no APPENDUID), and it was not found there", false);
        return;
    }
    context.ledger.confirm(record, outcome, [&](store::WriteTxn& txn) {
        place_message(txn, placed, record.target_mailbox, *placement.uid, placement.uidvalidity, record.seq);
        // Uploaded with the mirror's flags: that is what the server has now.
        if (auto m = txn.message(placed); m && m->uid == placement.uid) {
            m->synced_flags = m->flags;
            txn.put_message(*m);
        }
    });
}

// Whether the source message is gone from the server (expunged by another client).
bool source_gone(ReplayContext& context, const std::string& source, Uid uid) {
    if (!context.server.select(source)) return true;
    imap::SequenceSet one;
    one.add(uid);
    return context.server.fetch_flags(one).empty();
}

// The source message is not there to move or copy: the table says what instead.
void message_missing(ReplayContext& context, const MarkedRecord& marked, ServerFinding finding, std::string words) {
    const Outcome outcome{decide(marked.record.kind, finding), std::move(words)};
    if (outcome.decision.action == ReplayAction::reupload) {
        reupload(context, marked, outcome);
        return;
    }
    if (send_or_settle(context, marked.record, outcome)) throw_unexpected(marked.record, outcome.decision);
}

}  // namespace

void replay_move_or_copy(ReplayContext& context, MarkedRecord& marked) {
    PushServer& server = context.server;
    QueueRecord& record = marked.record;
    const bool move = record.kind == QueueKind::move;
    const MessageId placed = placed_message(record);
    const std::string& destination = record.new_name;
    const auto source_gone_words = [&] { return "the server deleted the mailbox " + quoted_display_name(record.name); };
    refuse_on_failure(context, record, [&] {
        if (!server.select(record.name)) {
            message_missing(context, marked, ServerFinding::message_gone, source_gone_words());
            return;
        }
        const UidNow now = current_uid(context, record);
        if (!now.uid) {
            message_missing(context, marked, now.finding, now.why);
            return;
        }
        const std::optional<Uid> uid = now.uid;
        const bool use_move = move && server.has("MOVE");
        if (move && !use_move && !server.has("UIDPLUS")) {
            // Expunged on the server meanwhile, the message is re-uploaded (the table's rule), and
            // an APPEND needs neither MOVE nor UIDPLUS.
            imap::SequenceSet one;
            one.add(*uid);
            if (server.fetch_flags(one).empty()) {
                message_missing(context, marked, ServerFinding::message_gone, "the server deleted the message");
                return;
            }
            throw Refused{"the server offers neither MOVE nor UIDPLUS, and a COPY would need a plain EXPUNGE, which also "
                          "removes other clients' messages marked \\Deleted", false};
        }
        Sought sought = sought_message(context, placed, record.body_hash);
        const auto expunge_source = [&](Uid source_uid) {
            if (!server.select(record.name)) return;
            imap::SequenceSet one;
            one.add(source_uid);
            server.store_flags(one, {"\\Deleted"}, imap::cmd::StoreMode::add, std::nullopt);
            server.expunge_exactly(one);
        };
        const auto done = [&](Uid new_uid, std::uint32_t uidvalidity, const Outcome& outcome) {
            context.ledger.confirm(record, outcome, [&](store::WriteTxn& txn) {
                place_message(txn, placed, record.target_mailbox, new_uid, uidvalidity, record.seq);
            });
        };
        // A COPY that may have happened before a crash is looked for before copying again.
        if (marked.may_have_reached_server && !use_move) {
            if (auto found = find_unknown_copy(context, destination, record.target_mailbox, sought)) {
                const std::uint32_t validity = server.uidvalidity();
                if (move) expunge_source(*uid);
                done(*found, validity, {});
                return;
            }
            if (!server.select(record.name)) {
                message_missing(context, marked, ServerFinding::message_gone, source_gone_words());
                return;
            }
        }
        Outcome outcome{decide(record.kind, ServerFinding::as_before), {}};
        imap::SequenceSet one;
        one.add(*uid);
        // Without UIDPLUS no COPYUID says where the message lands: it is found above the
        // destination's UIDNEXT of now (also when it has no Message-ID).
        const bool uidplus = server.has("UIDPLUS");
        if (!uidplus) sought.from = server.uidnext(destination);
        auto result = server.copy(one, destination, use_move);
        if (result.response.status == imap::Status::no && result.response.code &&
            std::holds_alternative<imap::code::TryCreate>(*result.response.code)) {
            outcome = {decide(record.kind, ServerFinding::target_gone),
                       "the server deleted the mailbox " + quoted_display_name(destination)};
            if (outcome.decision.action != ReplayAction::create_then_send) {
                if (send_or_settle(context, record, outcome)) throw_unexpected(record, outcome.decision);
                return;
            }
            server.create(destination);
            if (!uidplus) sought.from = server.uidnext(destination);
            result = server.copy(one, destination, use_move);
        }
        if (result.response.status != imap::Status::ok)
            throw refused_by(use_move ? "UID MOVE" : "UID COPY", result.response);
        std::optional<Uid> new_uid;
        std::uint32_t validity = 0;
        if (const auto landed = result.destination_of(*uid)) {
            new_uid = landed->first;
            validity = landed->second;
        } else {
            // Nothing was copied (the server expunged it meanwhile), or the server has no UIDPLUS.
            new_uid = find_unknown_copy(context, destination, record.target_mailbox, sought);
            validity = server.uidvalidity();
            if (!new_uid) {
                if (uidplus || (!use_move && source_gone(context, record.name, *uid))) {
                    message_missing(context, marked, ServerFinding::message_gone, "the server deleted the message");
                    return;
                }
                // It was copied or moved but cannot be told apart: uploading it again could make a
                // second copy. Refused for good; the pull brings the server's copy.
                throw Refused{"the server took it without saying where (no COPYUID), and it was not found there", false};
            }
        }
        if (move && !use_move) expunge_source(*uid);
        done(*new_uid, validity, outcome);
    });
}

}  // namespace mailsync::sync

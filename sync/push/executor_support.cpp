// What the executors share: ending a record as the table decided, a message's identity, its UID
// now, finding an earlier upload or copy of ours on the server, and uploading a stored body.
#include <filesystem>

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/local/local_message_file.hpp"
#include "sync/pull/message_identity.hpp"
#include "sync/push/executors.hpp"

namespace mailsync::sync {

using store::Uid;

bool send_or_settle(ReplayContext& context, const store::QueueRecord& record, const Outcome& outcome) {
    switch (outcome.decision.action) {
        case ReplayAction::send: return true;
        case ReplayAction::drop:
        case ReplayAction::keep_server: context.ledger.confirm(record, outcome); return false;
        case ReplayAction::refuse: throw Refused{outcome.server_change};
        case ReplayAction::reupload:
        case ReplayAction::create_then_send: break;
    }
    throw_unexpected(record, outcome.decision);
}

void throw_unexpected(const store::QueueRecord& record, const ReplayDecision& decision) {
    throw Error(ErrorCategory::internal,
                fmt::format("the conflict table decided action {} (rule '{}') for {}, which its executor cannot carry out",
                            static_cast<int>(decision.action), decision.rule, describe_change(record)));
}

std::map<Uid, MarkedRecord*> records_by_current_uid(ReplayContext& context, std::vector<MarkedRecord>& group) {
    std::map<Uid, MarkedRecord*> by_uid;
    for (auto& marked : group) {
        auto& record = marked.record;
        const UidNow now = current_uid(context, record);
        if (now.uid) {
            by_uid[*now.uid] = &marked;
            continue;
        }
        const Outcome outcome{decide(record.kind, now.finding), now.why};
        if (send_or_settle(context, record, outcome)) throw_unexpected(record, outcome.decision);
    }
    return by_uid;
}

Sought sought_message(ReplayContext& context, store::MessageId message, const std::optional<store::BodyHash>& hash) {
    Sought sought;
    const auto record = context.store.read([&](const store::ReadTxn& txn) { return txn.message(message); });
    if (record) {
        sought.message_id = record->message_id;
        sought.size = record->size;
    }
    std::optional<store::BodyHash> body = hash;
    if ((!body || !context.store.has_body(*body)) && record) body = record->body_hash;
    if (body && context.store.has_body(*body)) {
        sought.body = body;
        std::error_code error;
        const auto size = std::filesystem::file_size(context.store.body_path(*body), error);
        if (!error) sought.size = size;
        if (sought.message_id.empty()) {
            auto stream = context.store.open_body(*body);
            if (auto header = read_message_header(stream)) sought.message_id = header->message_id;
        }
    }
    return sought;
}

UidNow current_uid(ReplayContext& context, store::QueueRecord& record) {
    if (!record.uid) return {std::nullopt, ServerFinding::unplaced, "the message never reached the server"};
    const std::uint32_t uidvalidity = context.server.uidvalidity();
    if (record.uidvalidity == 0 || record.uidvalidity == uidvalidity) return {record.uid};
    // Renumbered. Re-paired by the pull already?
    std::optional<Uid> paired = context.store.read([&](const store::ReadTxn& txn) -> std::optional<Uid> {
        const auto message = txn.message(record.message);
        const auto mailbox = txn.mailbox(record.mailbox);
        if (message && mailbox && message->mailbox == record.mailbox && message->uid &&
            mailbox->uidvalidity == uidvalidity)
            return message->uid;
        return std::nullopt;
    });
    if (!paired) {
        const Sought sought = sought_message(context, record.message, record.body_hash);
        if (sought.message_id.empty())
            return {std::nullopt, ServerFinding::unplaced,
                    "the server renumbered the mailbox (new UIDVALIDITY) and the message had no Message-ID to find it by"};
        const auto found = uids_with_identity(context, sought);
        if (found.empty())
            return {std::nullopt, ServerFinding::message_gone,
                    "the server renumbered the mailbox (new UIDVALIDITY) and the message was no longer in it"};
        paired = found.front();
    }
    record.uid = paired;
    record.uidvalidity = uidvalidity;
    record.modseq = 0;
    context.store.write([&](store::WriteTxn& txn) {
        auto fresh = txn.queue_entry(record.seq);
        if (!fresh) return;
        fresh->uid = record.uid;
        fresh->uidvalidity = record.uidvalidity;
        fresh->modseq = 0;
        txn.put_queue_entry(*fresh);
    });
    return {paired};
}

std::vector<Uid> uids_with_identity(ReplayContext& context, const Sought& sought) {
    std::optional<imap::SequenceSet> candidates;
    if (!sought.message_id.empty()) candidates = context.server.search_message_id(sought.message_id);
    else if (sought.from) candidates = context.server.search_uids_from(*sought.from);
    if (!candidates) return {};
    std::vector<Uid> found = candidates->values();
    if (sought.from) std::erase_if(found, [&](Uid uid) { return uid < *sought.from; });
    if (found.empty()) return {};
    if (sought.size != 0) {
        const auto sizes = context.server.fetch_sizes(imap::SequenceSet::from_values(found));
        if (!sizes) return {};
        std::erase_if(found, [&](Uid uid) {
            const auto size = sizes->find(uid);
            return size == sizes->end() || size->second != sought.size;
        });
    }
    if (found.empty() || !sought.body) return found;
    // The header check of the pull: the server's header section byte-identical to the stored one's.
    auto stream = context.store.open_body(*sought.body);
    const auto stored = header_of(stream);
    if (!stored) return {};
    const auto headers = context.server.header_digests(imap::SequenceSet::from_values(found));
    std::erase_if(found, [&](Uid uid) {
        const auto header = headers.find(uid);
        return header == headers.end() || header->second != stored;
    });
    return found;
}

std::optional<Uid> find_unknown_copy(ReplayContext& context, const std::string& name, store::MailboxId local_mailbox,
                                     const Sought& sought, const std::optional<store::BodyHash>& pulled_if_body) {
    if (sought.message_id.empty() && !sought.from) return std::nullopt;
    if (!context.server.select(name)) return std::nullopt;
    auto found = uids_with_identity(context, sought);
    const std::uint32_t uidvalidity = context.server.uidvalidity();
    context.store.read([&](const store::ReadTxn& txn) {
        const auto mailbox = txn.mailbox(local_mailbox);
        if (!mailbox || mailbox->uidvalidity != uidvalidity) return;
        std::erase_if(found, [&](Uid uid) {
            const auto known = txn.message_by_uid(local_mailbox, uid);
            return known && !(pulled_if_body && known->body_hash == *pulled_if_body);
        });
    });
    if (found.empty()) return std::nullopt;
    return found.front();
}

UploadResult upload_body(ReplayContext& context, store::QueueKind kind, Upload upload, store::MailboxId local_mailbox,
                         Sought sought) {
    UploadResult result;
    const bool uidplus = context.server.has("UIDPLUS");
    if (!uidplus) sought.from = context.server.uidnext(upload.mailbox);
    auto answer = context.server.append(upload);
    if (answer.needs_mailbox()) {
        // The destination is gone from the server: the table says whether to create it again.
        const ReplayDecision decision = decide(kind, ServerFinding::target_gone);
        if (decision.action == ReplayAction::create_then_send) {
            context.server.create(upload.mailbox);
            result.recreated = true;
            if (!uidplus) sought.from = context.server.uidnext(upload.mailbox);
            answer = context.server.append(upload);
        }
    }
    if (answer.response.status != imap::Status::ok)
        throw refused_by("APPEND to " + quoted_display_name(upload.mailbox), answer.response);
    if (answer.uid) {
        result.placement = {answer.uid, answer.uidvalidity};
    } else {
        // No UIDPLUS: found by Message-ID (or above the UIDNEXT read before), size and header.
        result.placement.uid = find_unknown_copy(context, upload.mailbox, local_mailbox, sought);
        result.placement.uidvalidity = context.server.uidvalidity();
    }
    return result;
}

std::string flags_change_words(const FlagList& base, const FlagList& server) {
    return fmt::format("the server changed its flags from ({}) to ({})", fmt::join(base, " "), fmt::join(server, " "));
}

}  // namespace mailsync::sync

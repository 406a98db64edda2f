// The flags executor (executors.hpp): a group of identical flag changes in one mailbox.
#include <map>

#include "sync/push/executors.hpp"
#include "sync/rules/flag_merge.hpp"

namespace mailsync::sync {

using store::QueueKind;
using store::QueueRecord;
using store::Uid;

namespace {

// A flags record whose message is on the server, waiting for its STORE.
struct FlagsTarget {
    const MarkedRecord* marked = nullptr;
    ServerFinding finding = ServerFinding::as_before;
    std::string server_change;
};

}  // namespace

void replay_flags(ReplayContext& context, std::vector<MarkedRecord>& group) {
    PushServer& server = context.server;
    const QueueRecord& lead = group.front().record;
    const FlagList add = lead.add_flags;
    const FlagList remove = lead.remove_flags;
    const auto settle = [&](const QueueRecord& record, ServerFinding finding, std::string words) {
        return send_or_settle(context, record, {decide(QueueKind::flags, finding), std::move(words)});
    };
    try {
        if (!server.select(lead.name)) {
            for (const auto& marked : group)
                settle(marked.record, ServerFinding::message_gone,
                       "the server deleted the mailbox " + quoted_display_name(marked.record.name));
            return;
        }
        std::map<Uid, FlagsTarget> targets;
        for (const auto& [uid, marked] : records_by_current_uid(context, group)) targets[uid].marked = marked;
        if (targets.empty()) return;
        imap::SequenceSet uids;
        for (const auto& [uid, target] : targets) uids.add(uid);

        // Which still exist, and what the server did to their flags since the last sync.
        const auto before = server.fetch_flags(uids);
        imap::SequenceSet present;
        std::optional<std::uint64_t> since;
        for (auto it = targets.begin(); it != targets.end();) {
            auto& [uid, target] = *it;
            const QueueRecord& record = target.marked->record;
            const auto found = before.find(uid);
            if (found == before.end()) {
                settle(record, ServerFinding::message_gone, "the server deleted the message");
                it = targets.erase(it);
                continue;
            }
            const bool changed = server_changed_flags(found->second.flags, record.base_flags, add, remove,
                                                      target.marked->may_have_reached_server);
            target.finding = changed ? ServerFinding::flags_changed : ServerFinding::as_before;
            target.server_change = flags_change_words(record.base_flags, found->second.flags);
            if (!settle(record, target.finding, target.server_change)) {
                it = targets.erase(it);
                continue;
            }
            present.add(uid);
            if (server.condstore() && server.uidvalidity() != 0) {
                const std::uint64_t m = record.modseq != 0 ? record.modseq : found->second.modseq;
                if (m != 0) since = since ? std::min(*since, m) : m;
            }
            ++it;
        }
        if (present.empty()) return;
        if (!server.condstore()) since.reset();

        // +FLAGS / -FLAGS (UNCHANGEDSINCE): the per-flag merge, done by the server.
        StoreResult stored;
        if (!add.empty()) stored = server.store_flags(present, add, imap::cmd::StoreMode::add, since);
        if (!remove.empty()) {
            imap::SequenceSet rest = present;
            rest.remove(stored.modified);
            if (!rest.empty()) {
                const auto removed =
                    server.store_flags(rest, remove, imap::cmd::StoreMode::remove, add.empty() ? since : std::nullopt);
                stored.modified.add(removed.modified);
                for (const auto& [uid, modseq] : removed.new_modseqs) stored.new_modseqs[uid] = modseq;
            }
        }
        std::map<Uid, std::uint64_t> new_modseq;
        for (const auto& [uid, modseq] : stored.new_modseqs)
            if (modseq) new_modseq[uid] = modseq;
        std::map<Uid, FlagList> final_flags;
        for (Uid uid : present.values())
            if (!stored.modified.contains(uid)) final_flags[uid] = apply_change(before.at(uid).flags, add, remove);

        // MODIFIED: the server changed them meanwhile. Re-read and store the merge, conditionally.
        imap::SequenceSet modified = stored.modified;
        for (unsigned round = 0; !modified.empty() && round < context.options.max_modified_rounds; ++round) {
            const auto now_on_server = server.fetch_flags(modified);
            imap::SequenceSet again;
            for (Uid uid : modified.values()) {
                FlagsTarget& target = targets.at(uid);
                const QueueRecord& record = target.marked->record;
                const auto found = now_on_server.find(uid);
                if (found == now_on_server.end()) {
                    settle(record, ServerFinding::message_gone, "the server deleted the message");
                    continue;
                }
                const FlagList merged = apply_change(found->second.flags, add, remove);
                imap::SequenceSet one;
                one.add(uid);
                const auto result = server.store_flags(
                    one, merged, imap::cmd::StoreMode::replace,
                    server.condstore() && found->second.modseq ? std::optional(found->second.modseq) : std::nullopt);
                if (!result.modified.empty()) {
                    again.add(uid);
                    continue;
                }
                if (auto m = result.new_modseqs.find(uid); m != result.new_modseqs.end() && m->second)
                    new_modseq[uid] = m->second;
                final_flags[uid] = merged;
                if (server_changed_flags(found->second.flags, record.base_flags, add, remove, true))
                    target.finding = ServerFinding::flags_changed;
                target.server_change = flags_change_words(record.base_flags, found->second.flags);
            }
            modified = again;
        }
        for (Uid uid : modified.values())
            context.ledger.refuse(targets.at(uid).marked->record, "the server kept changing the message's flags while they were stored (MODIFIED)");

        for (const auto& [uid, flags] : final_flags) {
            const FlagsTarget& target = targets.at(uid);
            const QueueRecord& record = target.marked->record;
            const std::uint64_t modseq = new_modseq.count(uid) ? new_modseq.at(uid) : 0;
            context.ledger.confirm(record, {decide(QueueKind::flags, target.finding), target.server_change},
                                   [&, uid = uid](store::WriteTxn& txn) {
                                       auto message = txn.message(record.message);
                                       if (!message || message->mailbox != record.mailbox || message->uid != uid) return;
                                       if (take_server_flags(*message, flags, modseq)) txn.put_message(*message);
                                   });
        }
    } catch (const Refused& refused) {
        for (const auto& marked : group)
            if (!context.ledger.settled_in_this_run(marked.record.seq)) context.ledger.refuse(marked.record, refused.why, refused.retrying_can_help);
    }
}

}  // namespace mailsync::sync

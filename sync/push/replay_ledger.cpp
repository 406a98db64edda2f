#include "sync/push/replay_ledger.hpp"

#include <algorithm>


#include "common/clock.hpp"
#include "sync/push/refusal_rollback.hpp"

namespace mailsync::sync {

using store::QueueKind;
using store::QueueState;

store::UnixTime ReplayLedger::now() const {
    if (options_.now) return options_.now();
    return unix_time_now();
}

void ReplayLedger::confirm(const store::QueueRecord& record, const Outcome& outcome,
                           const std::function<void(store::WriteTxn&)>& fold) {
    const store::UnixTime when = now();
    const bool conflict = outcome.decision.conflict();
    store_.write([&](store::WriteTxn& txn) {
        if (fold) fold(txn);
        if (txn.queue_entry(record.seq)) txn.remove_queue_entry(record.seq);
        if (conflict) {
            store::ConflictRecord entry;
            entry.time = when;
            entry.message = record.kind == QueueKind::copy ? record.copy_message : record.message;
            entry.mailbox = record.mailbox;
            entry.uid = record.uid;
            entry.rule = std::string(outcome.decision.rule);
            entry.local_change = describe_change(record);
            entry.server_change = outcome.server_change;
            entry.resolution = std::string(outcome.decision.resolution);
            txn.add_conflict(std::move(entry));
        }
    });
    confirmed_.insert(record.seq);
    ++report_.confirmed;
    if (conflict) ++report_.conflicts;
    if (options_.on_record) options_.on_record(record.seq);
}

void ReplayLedger::refuse(const store::QueueRecord& record, const std::string& why, bool retrying_can_help) {
    RefusalState state{false, 0, options_.max_attempts};
    store::QueueRecord refused = record;
    store_.write([&](store::WriteTxn& txn) {
        auto fresh = txn.queue_entry(record.seq);
        if (!fresh) return;
        fresh->state = QueueState::refused;
        fresh->attempts += 1;
        if (!retrying_can_help) fresh->attempts = std::max(fresh->attempts, options_.max_attempts);
        fresh->last_error = why;
        state.refusals = fresh->attempts;
        state.for_good = refused_for_good(*fresh, options_.max_attempts);
        if (state.for_good) roll_back_refused(txn, *fresh);
        txn.put_queue_entry(*fresh);
        refused = *fresh;
    });
    refused_.insert(record.seq);
    ++report_.failed;
    report_.failures.push_back(refusal_sentence(refused, why, state));
    if (options_.on_record) options_.on_record(record.seq);
}

void place_message(store::WriteTxn& txn, store::MessageId message, store::MailboxId mailbox, store::Uid uid,
                   std::uint32_t uidvalidity, store::Seq after) {
    for (auto record : txn.queue()) {
        if (record.seq <= after || record.state == QueueState::confirmed) continue;
        if (record.message != message || record.mailbox != mailbox || record.uid) continue;
        record.uid = uid;
        record.uidvalidity = uidvalidity;
        txn.put_queue_entry(record);
    }
    auto record = txn.message(message);
    if (!record || record->mailbox != mailbox || record->uid) return;
    // A pull that ran meanwhile may have downloaded it as new mail: it is this message.
    if (auto other = txn.message_by_uid(mailbox, uid); other && other->id != message) txn.remove_message(other->id);
    record->uid = uid;
    record->modseq = 0;
    txn.put_message(*record);
}

}  // namespace mailsync::sync

// The store side of the replay: how a queued record ends (confirmed, with the conflict the table
// decided, or left queued after a refusal) and how an answer's new UID is folded into the mirror.
// One write transaction each, never held across network I/O. It also keeps the run's report and
// which records were confirmed or refused in this run, for the walk of the queue.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "store/store.hpp"
#include "sync/push/replay.hpp"
#include "sync/rules/conflict_rules.hpp"

namespace mailsync::sync {

// How a record ended: the table's decision (a conflict when it names a rule) and, for the conflict
// record, what the server had done, in words.
struct Outcome {
    ReplayDecision decision;
    std::string server_change;
};

class ReplayLedger {
public:
    ReplayLedger(store::Store& store, const ReplayOptions& options) : store_(store), options_(options) {}

    // Folds the answer in (`fold`), records the conflict when a rule decided one, and deletes the
    // record: one transaction, so a crash leaves either the record `sent` (resolved again next
    // time) or all of it.
    void confirm(const store::QueueRecord& record, const Outcome& outcome,
                 const std::function<void(store::WriteTxn&)>& fold = {});
    // The server refused the record: it becomes `refused` (attempts counts the refusals) with
    // last_error, and later replays try it again, until it is refused for good (retrying cannot
    // help, or max_attempts refusals): then the mirror returns to the server's state for it
    // (refusal_rollback.hpp) and it stays listed as refused until the user drops it.
    void refuse(const store::QueueRecord& record, const std::string& why, bool retrying_can_help = true);

    bool confirmed_in_this_run(store::Seq seq) const { return confirmed_.count(seq) > 0; }
    bool refused_in_this_run(store::Seq seq) const { return refused_.count(seq) > 0; }
    bool settled_in_this_run(store::Seq seq) const { return confirmed_in_this_run(seq) || refused_in_this_run(seq); }

    // The time records and conflicts are stamped with.
    store::UnixTime now() const;
    ReplayReport& report() { return report_; }

private:
    store::Store& store_;
    const ReplayOptions& options_;
    ReplayReport report_;
    std::set<store::Seq> confirmed_;
    std::set<store::Seq> refused_;
};

// The queue contract's fold-back rule: message `message` got UID `uid` in mailbox `mailbox`; the
// later records of it (after seq `after`) that name that mailbox without a UID get it too.
void place_message(store::WriteTxn& txn, store::MessageId message, store::MailboxId mailbox, store::Uid uid,
                   std::uint32_t uidvalidity, store::Seq after);

}  // namespace mailsync::sync

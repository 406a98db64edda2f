#include "sync/push/drop_change.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/push/refusal_rollback.hpp"
#include "sync/rules/conflict_rules.hpp"

namespace mailsync::sync {

using store::QueueKind;
using store::QueueRecord;
using store::QueueState;

namespace {

bool is_mailbox_kind(QueueKind kind) {
    return kind == QueueKind::create_mailbox || kind == QueueKind::rename_mailbox || kind == QueueKind::delete_mailbox;
}

// Whether `later` was made on top of `earlier`: the same message, or a mailbox `earlier` changes.
bool depends_on(const QueueRecord& later, const QueueRecord& earlier) {
    if (is_mailbox_kind(earlier.kind))
        return later.mailbox == earlier.mailbox || (later.target_mailbox && later.target_mailbox == earlier.mailbox);
    const auto names = [](const QueueRecord& r, store::MessageId m) {
        return m != 0 && (r.message == m || r.copy_message == m);
    };
    return names(later, earlier.message) || names(later, earlier.copy_message);
}

}  // namespace

std::string drop_queued_change(store::Store& store, store::Seq seq) {
    return store.write([&](store::WriteTxn& txn) {
        const auto record = txn.queue_entry(seq);
        if (!record || record->state == QueueState::confirmed)
            throw Error(ErrorCategory::bad_input, fmt::format("no change {} is queued (`mailsync queue` lists them)", seq));
        if (record->state == QueueState::sent)
            throw Error(ErrorCategory::bad_input,
                        fmt::format("change {} was being sent and may have reached the server: run `mailsync sync` "
                                    "first, which finds out",
                                    seq));
        for (const auto& later : txn.queue()) {
            if (later.seq <= seq || later.state == QueueState::confirmed || !depends_on(later, *record)) continue;
            throw Error(ErrorCategory::bad_input,
                        fmt::format("change {} ({}) was made on top of change {}: drop it first", later.seq,
                                    describe_change(later), seq));
        }
        roll_back_refused(txn, *record);
        txn.remove_queue_entry(seq);
        return describe_change(*record);
    });
}

}  // namespace mailsync::sync

// The append executor (executors.hpp): a message added offline goes up once.
#include "sync/push/executors.hpp"

namespace mailsync::sync {

using store::QueueKind;
using store::QueueRecord;

void replay_append(ReplayContext& context, const MarkedRecord& marked) {
    const QueueRecord& record = marked.record;
    refuse_on_failure(context, record, [&] {
        if (!record.body_hash) throw Refused{"the queued append names no body"};
        const Sought sought = sought_message(context, record.message, record.body_hash);
        Placement placement;
        if (marked.may_have_reached_server) {
            placement.uid = find_unknown_copy(context, record.name, record.mailbox, sought, record.body_hash);
            placement.uidvalidity = context.server.uidvalidity();
        }
        Outcome outcome{decide(QueueKind::append, ServerFinding::as_before), {}};
        if (!placement.uid) {
            Upload upload;
            upload.mailbox = record.name;
            upload.flags = record.add_flags;
            upload.internaldate = record.internaldate;
            upload.zone_minutes = record.internaldate_zone_minutes;
            upload.path = context.store.body_path(*record.body_hash).string();
            const auto result = upload_body(context, QueueKind::append, std::move(upload), record.mailbox, sought);
            if (result.recreated)
                outcome = {decide(QueueKind::append, ServerFinding::target_gone),
                           "the server deleted the mailbox " + quoted_display_name(record.name)};
            placement = result.placement;
        }
        if (!placement.uid) {
            // Retrying would upload it again: refused for good, the pull brings the server's copy.
            context.ledger.refuse(record, "the server took the message without saying where (no APPENDUID), and it was not found there", false);
            return;
        }
        context.ledger.confirm(record, outcome, [&](store::WriteTxn& txn) {
            place_message(txn, record.message, record.mailbox, *placement.uid, placement.uidvalidity, record.seq);
        });
    });
}

}  // namespace mailsync::sync

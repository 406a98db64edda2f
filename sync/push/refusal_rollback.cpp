#include "sync/push/refusal_rollback.hpp"

namespace mailsync::sync {

using store::QueueKind;

void roll_back_refused(store::WriteTxn& txn, const store::QueueRecord& record) {
    switch (record.kind) {
        case QueueKind::flags: {
            auto message = txn.message(record.message);
            if (!message) return;
            message->flags = message->synced_flags;
            txn.put_message(*message);
            return;
        }
        case QueueKind::move: {
            auto message = txn.message(record.message);
            if (!message || message->mailbox != record.target_mailbox || message->uid) return;
            // A pull may have brought the server's message into the source meanwhile: it is this one.
            if (record.uid && txn.message_by_uid(record.mailbox, *record.uid)) {
                txn.remove_message(message->id);
                return;
            }
            message->mailbox = record.mailbox;
            message->uid = record.uid;
            message->modseq = record.modseq;
            txn.put_message(*message);
            return;
        }
        case QueueKind::copy:
        case QueueKind::append: {
            const store::MessageId placed = record.kind == QueueKind::copy ? record.copy_message : record.message;
            if (auto message = txn.message(placed); message && !message->uid) txn.remove_message(message->id);
            return;
        }
        case QueueKind::create_mailbox: {
            const auto mailbox = txn.mailbox(record.mailbox);
            if (!mailbox || !mailbox->created_offline) return;
            // What was put into it locally goes back to where the server has it: the changes made on
            // top of the creation (moves, copies, appends into it, flags and renames there) are
            // rolled back now, as they will be refused with it.
            for (const auto& later : txn.queue()) {
                if (later.seq <= record.seq || later.state == store::QueueState::confirmed) continue;
                if (later.mailbox == record.mailbox || later.target_mailbox == record.mailbox) roll_back_refused(txn, later);
            }
            // No message left in it has a UID (the server never had the mailbox): none stays local-only.
            txn.remove_mailbox(record.mailbox);
            return;
        }
        case QueueKind::rename_mailbox: {
            auto mailbox = txn.mailbox(record.mailbox);
            if (!mailbox || mailbox->name != record.new_name) return;
            const std::string prefix = record.new_name + mailbox->delimiter;
            for (auto child : txn.mailboxes()) {
                if (child.id == mailbox->id || mailbox->delimiter.empty() || !child.name.starts_with(prefix)) continue;
                child.name = record.name + child.name.substr(record.new_name.size());
                txn.put_mailbox(child);
            }
            mailbox->name = record.name;
            txn.put_mailbox(*mailbox);
            return;
        }
        case QueueKind::remove: {
            // The pull brings the message back, but only if it looks at the mailbox: the server's
            // state is as the last pull recorded it (STATUS unchanged), so the pull would skip it,
            // and an incremental pass finds nothing changed. Forgetting HIGHESTMODSEQ makes the
            // next pull compare the mailbox in full, which downloads the message again.
            auto mailbox = txn.mailbox(record.mailbox);
            if (!mailbox || txn.message(record.message)) return;
            mailbox->highestmodseq = 0;
            txn.put_mailbox(*mailbox);
            return;
        }
        case QueueKind::delete_mailbox: return;
    }
}

}  // namespace mailsync::sync

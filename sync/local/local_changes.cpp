#include "sync/local/local_changes.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/inbox.hpp"
#include "sync/imap/mutf7.hpp"
#include "sync/local/local_message_file.hpp"
#include "sync/rules/flag_set.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::sync {
namespace {

using store::MailboxId;
using store::MailboxRecord;
using store::MessageId;
using store::MessageRecord;
using store::QueueKind;
using store::QueueRecord;
using store::QueueState;
using store::Seq;
using store::UnixTime;
using store::WriteTxn;

using Flags = std::vector<std::string>;

// How many unknown ids an error names before it only counts the rest.
constexpr std::size_t max_ids_named = 10;


// The records of each message (see the header), and where mailbox records were queued: enough to
// decide whether a command may fold into an existing record.
class QueueIndex {
public:
    explicit QueueIndex(const store::ReadTxn& txn) {
        for (auto& record : txn.queue()) {
            switch (record.kind) {
                case QueueKind::create_mailbox:
                case QueueKind::rename_mailbox:
                case QueueKind::delete_mailbox:
                    last_mailbox_record_ = record.seq;
                    break;
                case QueueKind::copy:
                    last_[record.copy_message] = record;
                    last_[record.message] = record;
                    break;
                case QueueKind::flags:
                case QueueKind::move:
                case QueueKind::remove:
                case QueueKind::append:
                    last_[record.message] = record;
                    break;
            }
            records_.push_back(std::move(record));
        }
    }

    // The last record of the message if it is still pending (so a command may change it).
    std::optional<QueueRecord> pending_last(MessageId message) const {
        auto found = last_.find(message);
        if (found == last_.end() || found->second.state != QueueState::pending) return std::nullopt;
        return found->second;
    }
    // Whether no mailbox record was queued after `seq`: names and mailboxes are as they were then.
    bool no_mailbox_record_since(Seq seq) const { return last_mailbox_record_ < seq; }

    const std::vector<QueueRecord>& records() const { return records_; }

private:
    std::map<MessageId, QueueRecord> last_;
    Seq last_mailbox_record_ = 0;
    std::vector<QueueRecord> records_;
};

MailboxRecord existing_mailbox(const store::ReadTxn& txn, std::string_view name) {
    auto mailbox = find_mailbox(txn, name);
    if (!mailbox) {
        throw Error(ErrorCategory::bad_input,
                    fmt::format("there is no mailbox '{}' (`mailsync mailboxes` lists them)", name));
    }
    return std::move(*mailbox);
}

// Every id must name a message in the mailbox; all the ones that do not are named at once.
std::vector<MessageRecord> messages_in(const store::ReadTxn& txn, const MailboxRecord& mailbox,
                                       std::span<const MessageId> ids) {
    std::vector<MessageRecord> found;
    std::vector<MessageId> unknown;
    std::set<MessageId> seen;
    for (MessageId id : ids) {
        if (!seen.insert(id).second) continue;
        auto message = txn.message(id);
        if (message && message->mailbox == mailbox.id) {
            found.push_back(std::move(*message));
        } else {
            unknown.push_back(id);
        }
    }
    if (!unknown.empty()) {
        std::vector<MessageId> named(unknown.begin(),
                                     unknown.begin() + static_cast<std::ptrdiff_t>(std::min(unknown.size(), max_ids_named)));
        std::string more = unknown.size() > named.size() ? fmt::format(" and {} more", unknown.size() - named.size()) : "";
        throw Error(ErrorCategory::bad_input,
                    fmt::format("no message with id {}{} in mailbox '{}'", fmt::join(named, ", "), more,
                                mailbox_display_name(mailbox.name)));
    }
    return found;
}

QueueRecord new_record(QueueKind kind, UnixTime now) {
    QueueRecord record;
    record.kind = kind;
    record.state = QueueState::pending;
    record.created = now;
    return record;
}

// The message's place and server state, as a record acting on it is made against.
QueueRecord record_for_message(QueueKind kind, const MessageRecord& message, const MailboxRecord& mailbox,
                               UnixTime now) {
    QueueRecord record = new_record(kind, now);
    record.message = message.id;
    record.mailbox = mailbox.id;
    record.name = mailbox.name;
    record.uid = message.uid;
    record.uidvalidity = mailbox.uidvalidity;
    record.modseq = message.modseq;
    record.base_flags = message.synced_flags;
    return record;
}

// A new mailbox name as the user typed it → its wire name, refusing what no server would take.
std::string new_mailbox_wire_name(std::string_view name, const std::string& delimiter) {
    if (name.empty()) throw Error(ErrorCategory::bad_input, "a mailbox name cannot be empty");
    if (name.find_first_of("*%") != std::string_view::npos) {
        throw Error(ErrorCategory::bad_input, fmt::format("mailbox name '{}': * and % are wildcards, not names", name));
    }
    for (std::string_view rest = name;;) {
        const std::size_t end = rest.find(delimiter);
        if ((end == std::string_view::npos ? rest : rest.substr(0, end)).empty()) {
            throw Error(ErrorCategory::bad_input,
                        fmt::format("mailbox name '{}' has an empty level (the delimiter is '{}')", name, delimiter));
        }
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + delimiter.size());
    }
    return imap::mutf7_encode(name);
}

std::vector<MailboxRecord> children_of(const store::ReadTxn& txn, const MailboxRecord& parent,
                                       const std::string& delimiter) {
    std::vector<MailboxRecord> children;
    const std::string prefix = parent.name + delimiter;
    for (auto& mailbox : txn.mailboxes()) {
        if (mailbox.id != parent.id && mailbox.name.starts_with(prefix)) children.push_back(std::move(mailbox));
    }
    return children;
}

// Runs `change` and then `also` in one write transaction, then tells watch.
template <class Change>
LocalChangeResult commit_change(store::Store& store, const AlsoInTransaction& also, Change&& change) {
    LocalChangeResult result = store.write([&](WriteTxn& txn) {
        LocalChangeResult attempt;   // a map-full retry starts again from nothing
        change(txn, attempt);
        if (also) also(txn, attempt);
        return attempt;
    });
    try {
        const Seq last = store.read([](const store::ReadTxn& txn) {
            auto queue = txn.queue();
            return queue.empty() ? Seq{0} : queue.back().seq;
        });
        notify_queue_changed(store.directory(), last);
    } catch (const Error& error) {
        result.notify_failure = error.what();
    }
    return result;
}

void refuse_same_mailbox(const MailboxRecord& source, const MailboxRecord& destination, std::string_view verb) {
    if (source.id == destination.id) {
        throw Error(ErrorCategory::bad_input,
                    fmt::format("cannot {} messages into the mailbox they are in ('{}')", verb, mailbox_display_name(source.name)));
    }
}

}  // namespace

// ---- helpers --------------------------------------------------------------------------------------

std::optional<MailboxRecord> find_mailbox(const store::ReadTxn& txn, std::string_view name) {
    if (is_inbox(name)) {
        for (auto& mailbox : txn.mailboxes()) {
            if (is_inbox(mailbox.name)) return std::move(mailbox);
        }
        return std::nullopt;
    }
    const auto wire = mailbox_wire_name(name);
    if (!wire) return std::nullopt;   // not UTF-8, or U+0000: no mailbox has that name
    if (auto mailbox = txn.mailbox_by_name(*wire)) return mailbox;
    return txn.mailbox_by_name(name);   // a server with UTF8=ACCEPT keeps UTF-8 names
}

std::string account_delimiter(const store::ReadTxn& txn) {
    std::string delimiter;
    for (const auto& mailbox : txn.mailboxes()) {
        if (mailbox.delimiter.empty()) continue;
        if (is_inbox(mailbox.name)) return mailbox.delimiter;
        if (delimiter.empty()) delimiter = mailbox.delimiter;
    }
    return delimiter.empty() ? "/" : delimiter;
}

std::vector<QueueRecord> outstanding_changes(const store::ReadTxn& txn) {
    auto records = txn.queue();
    std::erase_if(records, [](const QueueRecord& r) { return r.state == QueueState::confirmed; });
    return records;
}

void notify_queue_changed(const std::filesystem::path& store_directory, Seq last_seq) {
    const auto file = store_directory / queue_changed_file_name;
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw Error(ErrorCategory::io, fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
    const std::string content = fmt::format("{}\n", last_seq);
    const ssize_t written = ::write(fd, content.data(), content.size());
    const int write_errno = errno;
    // Closing is what watch waits for (IN_CLOSE_WRITE).
    if (::close(fd) != 0 || written != static_cast<ssize_t>(content.size())) {
        throw Error(ErrorCategory::io, fmt::format("cannot write {}: {}", file.string(), std::strerror(write_errno)));
    }
}

// ---- flag -----------------------------------------------------------------------------------------

LocalChangeResult change_flags(store::Store& store, std::string_view mailbox_name, std::span<const MessageId> ids,
                               const std::vector<std::string>& add, const std::vector<std::string>& remove,
                               UnixTime now, const AlsoInTransaction& also) {
    for (const auto& flag : add) {
        if (has_flag(remove, flag)) {
            throw Error(ErrorCategory::bad_input, fmt::format("flag {} is both added and removed", flag));
        }
    }
    return commit_change(store, also, [&](WriteTxn& txn, LocalChangeResult& result) {
        const MailboxRecord mailbox = existing_mailbox(txn, mailbox_name);
        const auto messages = messages_in(txn, mailbox, ids);
        const QueueIndex queue(txn);
        for (MessageRecord message : messages) {
            result.messages.push_back(message.id);
            const Flags before = message.flags;
            message.flags = with_flag_change(message.flags, add, remove);
            if (flags_missing_from(message.flags, before).empty() && flags_missing_from(before, message.flags).empty()) {
                continue;   // nothing changes: nothing to replay
            }
            txn.put_message(message);
            auto last = queue.pending_last(message.id);
            if (last && last->kind == QueueKind::append) {
                // Not on the server yet: it will be uploaded with these flags.
                last->add_flags = message.flags;
                txn.put_queue_entry(*last);
                result.queue_entries.push_back(last->seq);
            } else if (last && last->kind == QueueKind::flags) {
                // B, the flags before the record's first change, from the record's own net change.
                const Flags first_before =
                    with_flag_change(before, last->remove_flags, last->add_flags);
                last->add_flags = flags_missing_from(message.flags, first_before);
                last->remove_flags = flags_missing_from(first_before, message.flags);
                if (last->add_flags.empty() && last->remove_flags.empty()) {
                    txn.remove_queue_entry(last->seq);   // back where it was: nothing to replay
                } else {
                    txn.put_queue_entry(*last);
                    result.queue_entries.push_back(last->seq);
                }
            } else {
                QueueRecord record = record_for_message(QueueKind::flags, message, mailbox, now);
                record.add_flags = flags_missing_from(message.flags, before);
                record.remove_flags = flags_missing_from(before, message.flags);
                result.queue_entries.push_back(txn.enqueue(std::move(record)));
            }
        }
    });
}

// ---- move, copy -----------------------------------------------------------------------------------

LocalChangeResult move_messages(store::Store& store, std::string_view mailbox_name, std::span<const MessageId> ids,
                                std::string_view destination_name, UnixTime now, const AlsoInTransaction& also) {
    return commit_change(store, also, [&](WriteTxn& txn, LocalChangeResult& result) {
        const MailboxRecord source = existing_mailbox(txn, mailbox_name);
        const MailboxRecord destination = existing_mailbox(txn, destination_name);
        refuse_same_mailbox(source, destination, "move");
        const auto messages = messages_in(txn, source, ids);
        const QueueIndex queue(txn);
        for (MessageRecord message : messages) {
            result.messages.push_back(message.id);
            message.mailbox = destination.id;
            auto last = queue.pending_last(message.id);
            if (last && !queue.no_mailbox_record_since(last->seq)) last.reset();
            if (last && last->kind == QueueKind::append) {
                last->mailbox = destination.id;
                last->name = destination.name;
                txn.put_message(message);
                txn.put_queue_entry(*last);
                result.queue_entries.push_back(last->seq);
            } else if (last && last->kind == QueueKind::move && last->mailbox == destination.id) {
                // Moved back before the first move was sent: on the server it never left.
                message.uid = last->uid;
                message.modseq = last->modseq;
                txn.put_message(message);
                txn.remove_queue_entry(last->seq);
            } else if (last && (last->kind == QueueKind::move ||
                                (last->kind == QueueKind::copy && last->copy_message == message.id))) {
                last->target_mailbox = destination.id;
                last->new_name = destination.name;
                txn.put_message(message);
                txn.put_queue_entry(*last);
                result.queue_entries.push_back(last->seq);
            } else {
                QueueRecord record = record_for_message(QueueKind::move, message, source, now);
                record.target_mailbox = destination.id;
                record.new_name = destination.name;
                record.body_hash = message.body_hash;
                message.uid.reset();
                message.modseq = 0;
                txn.put_message(message);
                result.queue_entries.push_back(txn.enqueue(std::move(record)));
            }
        }
    });
}

LocalChangeResult copy_messages(store::Store& store, std::string_view mailbox_name, std::span<const MessageId> ids,
                                std::string_view destination_name, UnixTime now, const AlsoInTransaction& also) {
    return commit_change(store, also, [&](WriteTxn& txn, LocalChangeResult& result) {
        const MailboxRecord source = existing_mailbox(txn, mailbox_name);
        const MailboxRecord destination = existing_mailbox(txn, destination_name);
        refuse_same_mailbox(source, destination, "copy");
        const auto messages = messages_in(txn, source, ids);
        const QueueIndex queue(txn);
        for (const MessageRecord& original : messages) {
            MessageRecord copy = original;
            copy.mailbox = destination.id;
            copy.uid.reset();
            copy.modseq = 0;
            copy.synced_flags = original.flags;   // what the server's copy will have
            copy.deleted_on_server.reset();
            copy.id = txn.add_message(copy);
            result.messages.push_back(copy.id);

            auto last = queue.pending_last(original.id);
            QueueRecord record;
            if (last && last->kind == QueueKind::append && last->message == original.id) {
                // The original is not on the server yet: upload the copy on its own.
                record = new_record(QueueKind::append, now);
                record.message = copy.id;
                record.mailbox = destination.id;
                record.name = destination.name;
                record.body_hash = copy.body_hash;
                record.add_flags = copy.flags;
                record.internaldate = copy.internaldate;
                record.internaldate_zone_minutes = copy.internaldate_zone_minutes;
            } else {
                record = record_for_message(QueueKind::copy, original, source, now);
                record.target_mailbox = destination.id;
                record.new_name = destination.name;
                record.copy_message = copy.id;
                record.body_hash = original.body_hash;
            }
            result.queue_entries.push_back(txn.enqueue(std::move(record)));
        }
    });
}

// ---- delete ---------------------------------------------------------------------------------------

LocalChangeResult delete_messages(store::Store& store, std::string_view mailbox_name, std::span<const MessageId> ids,
                                  UnixTime now, const AlsoInTransaction& also) {
    return commit_change(store, also, [&](WriteTxn& txn, LocalChangeResult& result) {
        const MailboxRecord mailbox = existing_mailbox(txn, mailbox_name);
        const auto messages = messages_in(txn, mailbox, ids);
        const QueueIndex queue(txn);
        for (const MessageRecord& message : messages) {
            result.messages.push_back(message.id);
            txn.remove_message(message.id);
            auto last = queue.pending_last(message.id);
            if (last && (last->kind == QueueKind::append ||
                         (last->kind == QueueKind::copy && last->copy_message == message.id))) {
                txn.remove_queue_entry(last->seq);   // it never reaches the server
            } else if (last && last->kind == QueueKind::move) {
                // Not moved on the server yet: delete it where the server has it.
                last->kind = QueueKind::remove;
                last->target_mailbox = 0;
                last->new_name.clear();   // body_hash stays: the message's identity (see the header)
                txn.put_queue_entry(*last);
                result.queue_entries.push_back(last->seq);
            } else {
                QueueRecord record = record_for_message(QueueKind::remove, message, mailbox, now);
                record.body_hash = message.body_hash;
                result.queue_entries.push_back(txn.enqueue(std::move(record)));
            }
        }
    });
}

// ---- append ---------------------------------------------------------------------------------------

LocalChangeResult append_message(store::Store& store, const AppendRequest& request, UnixTime now, const AlsoInTransaction& also) {
    // Checked first so that the common mistake leaves no body file behind.
    store.read([&](const store::ReadTxn& txn) { existing_mailbox(txn, request.mailbox); });
    const PreparedMessage prepared = store_message_file(store, request.file);

    Flags flags;
    for (const auto& flag : request.flags) {
        if (!has_flag(flags, flag)) flags.push_back(flag);
    }
    return commit_change(store, also, [&](WriteTxn& txn, LocalChangeResult& result) {
        const MailboxRecord mailbox = existing_mailbox(txn, request.mailbox);
        MessageRecord message;
        message.mailbox = mailbox.id;
        message.flags = flags;
        message.synced_flags = flags;   // APPEND sets them on the server
        message.internaldate = request.internaldate.value_or(now);
        message.internaldate_zone_minutes = request.internaldate ? request.internaldate_zone_minutes : 0;
        message.size = prepared.body.size;
        message.body_hash = prepared.body.hash;
        message.message_id = prepared.header.message_id;
        message.date = prepared.header.date;
        message.from = prepared.header.from;
        message.subject = prepared.header.subject;
        message.id = txn.add_message(message);
        result.messages.push_back(message.id);

        QueueRecord record = new_record(QueueKind::append, now);
        record.message = message.id;
        record.mailbox = mailbox.id;
        record.name = mailbox.name;
        record.body_hash = message.body_hash;
        record.add_flags = message.flags;
        record.internaldate = message.internaldate;
        record.internaldate_zone_minutes = message.internaldate_zone_minutes;
        result.queue_entries.push_back(txn.enqueue(std::move(record)));
    });
}

// ---- mkdir, rename, rmdir -------------------------------------------------------------------------

LocalChangeResult make_mailbox(store::Store& store, std::string_view name, UnixTime now, const AlsoInTransaction& also) {
    return commit_change(store, also, [&](WriteTxn& txn, LocalChangeResult& result) {
        const std::string delimiter = account_delimiter(txn);
        if (is_inbox(name) || find_mailbox(txn, name)) {
            throw Error(ErrorCategory::bad_input, fmt::format("mailbox '{}' exists already", name));
        }
        MailboxRecord mailbox;
        mailbox.name = new_mailbox_wire_name(name, delimiter);
        mailbox.delimiter = delimiter;
        mailbox.created_offline = true;
        result.mailbox = txn.add_mailbox(mailbox);

        QueueRecord record = new_record(QueueKind::create_mailbox, now);
        record.mailbox = result.mailbox;
        record.name = mailbox.name;
        result.queue_entries.push_back(txn.enqueue(std::move(record)));
    });
}

LocalChangeResult rename_mailbox(store::Store& store, std::string_view old_name, std::string_view new_name,
                                 UnixTime now, const AlsoInTransaction& also) {
    return commit_change(store, also, [&](WriteTxn& txn, LocalChangeResult& result) {
        const std::string delimiter = account_delimiter(txn);
        MailboxRecord mailbox = existing_mailbox(txn, old_name);
        if (is_inbox(mailbox.name)) {
            throw Error(ErrorCategory::bad_input, "INBOX cannot be renamed (IMAP would move its messages instead)");
        }
        if (is_inbox(new_name) || find_mailbox(txn, new_name)) {
            throw Error(ErrorCategory::bad_input, fmt::format("mailbox '{}' exists already", new_name));
        }
        const std::string new_wire = new_mailbox_wire_name(new_name, delimiter);
        const std::string old_wire = mailbox.name;
        if (new_wire.starts_with(old_wire + delimiter)) {
            throw Error(ErrorCategory::bad_input,
                        fmt::format("cannot rename '{}' to a name below itself ('{}')", old_name, new_name));
        }
        // Sub-mailboxes follow, as IMAP RENAME does on the server: check every new name first.
        auto children = children_of(txn, mailbox, delimiter);
        for (auto& child : children) {
            child.name = new_wire + child.name.substr(old_wire.size());
            if (txn.mailbox_by_name(child.name)) {
                throw Error(ErrorCategory::bad_input,
                            fmt::format("cannot rename '{}': its sub-mailbox would become '{}', which exists already",
                                        old_name, mailbox_display_name(child.name)));
            }
        }
        mailbox.name = new_wire;
        txn.put_mailbox(mailbox);
        for (const auto& child : children) txn.put_mailbox(child);
        result.mailbox = mailbox.id;

        QueueRecord record = new_record(QueueKind::rename_mailbox, now);
        record.mailbox = mailbox.id;
        record.name = old_wire;
        record.new_name = new_wire;
        result.queue_entries.push_back(txn.enqueue(std::move(record)));
    });
}

LocalChangeResult remove_mailbox(store::Store& store, std::string_view name, UnixTime now, const AlsoInTransaction& also) {
    return commit_change(store, also, [&](WriteTxn& txn, LocalChangeResult& result) {
        const std::string delimiter = account_delimiter(txn);
        const MailboxRecord mailbox = existing_mailbox(txn, name);
        if (is_inbox(mailbox.name)) throw Error(ErrorCategory::bad_input, "INBOX cannot be removed");
        const auto counts = txn.counts(mailbox.id).value_or(store::MailboxCounts{});
        if (counts.messages > 0) {
            throw Error(ErrorCategory::bad_input,
                        fmt::format("mailbox '{}' is not empty ({} messages): move or delete them first", name,
                                    counts.messages));
        }
        if (!children_of(txn, mailbox, delimiter).empty()) {
            throw Error(ErrorCategory::bad_input,
                        fmt::format("mailbox '{}' has sub-mailboxes: remove them first", name));
        }
        result.mailbox = mailbox.id;
        const QueueIndex queue(txn);
        std::vector<QueueRecord> naming;
        for (const auto& record : queue.records()) {
            if (record.state != QueueState::confirmed &&
                (record.mailbox == mailbox.id || record.target_mailbox == mailbox.id)) {
                naming.push_back(record);
            }
        }
        txn.remove_mailbox(mailbox.id);
        if (naming.size() == 1 && naming.front().kind == QueueKind::create_mailbox &&
            naming.front().state == QueueState::pending) {
            txn.remove_queue_entry(naming.front().seq);   // never created on the server
            return;
        }
        QueueRecord record = new_record(QueueKind::delete_mailbox, now);
        record.mailbox = mailbox.id;
        record.name = mailbox.name;
        result.queue_entries.push_back(txn.enqueue(std::move(record)));
    });
}

bool has_outstanding_changes(store::Store& store) {
    return store.read([](const store::ReadTxn& txn) {
        for (const auto& record : txn.queue())
            if (record.state != QueueState::confirmed) return true;
        return false;
    });
}

bool refused_for_good(const store::QueueRecord& record, std::uint32_t max_refusals) {
    return record.state == QueueState::refused && record.attempts >= max_refusals;
}

imap::SequenceSet locally_removed_uids(const store::ReadTxn& txn, store::MailboxId mailbox, std::uint32_t uidvalidity) {
    imap::SequenceSet uids;
    for (const auto& record : txn.queue()) {
        if (record.state == QueueState::confirmed || record.mailbox != mailbox || !record.uid) continue;
        // Refused for good: the mirror returns to the server's state, so the pull brings it back.
        if (refused_for_good(record)) continue;
        if (record.kind != QueueKind::move && record.kind != QueueKind::remove) continue;
        if (record.uidvalidity != 0 && uidvalidity != 0 && record.uidvalidity != uidvalidity) continue;
        uids.add(*record.uid);
    }
    return uids;
}

}  // namespace mailsync::sync

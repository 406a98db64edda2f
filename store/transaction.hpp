// Typed access to the store inside one LMDB transaction. A ReadTxn sees one consistent snapshot;
// a WriteTxn changes records and keeps every index and counter in step in the same transaction,
// so a crash never leaves an index naming a message that is not there (or the reverse).
//
// Get them from Store::read / Store::write; they never outlive the call and must never be held
// across network I/O. Unknown ids given to a WriteTxn throw Error(bad_input); a damaged record
// throws Error(io).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/lmdb.hpp"
#include "store/blob_store.hpp"
#include "store/records.hpp"
#include "store/tables.hpp"

namespace mailsync::store {

class ReadTxn {
public:
    ReadTxn(lmdb::Txn txn, const Tables& tables) : txn_(std::move(txn)), tables_(tables) {}

    std::uint32_t schema_version() const;

    // ---- mailboxes
    std::optional<MailboxRecord> mailbox(MailboxId id) const;
    std::optional<MailboxRecord> mailbox_by_name(std::string_view name) const;
    std::vector<MailboxRecord> mailboxes() const;   // in id order
    std::optional<MailboxCounts> counts(MailboxId id) const;

    // ---- messages
    std::optional<MessageRecord> message(MessageId id) const;
    std::optional<MessageRecord> message_by_uid(MailboxId mailbox, Uid uid) const;
    // A mailbox's messages in UID order, then those without a UID yet in the order they were made.
    void for_each_message(MailboxId mailbox, const std::function<void(const MessageRecord&)>& visit) const;
    // The same order backwards (the newest first), until visit returns false: `list --limit N`
    // reads N records, not the mailbox.
    void for_each_message_backward(MailboxId mailbox, const std::function<bool(const MessageRecord&)>& visit) const;
    std::vector<MessageRecord> messages(MailboxId mailbox) const;
    // (UID, id) of the messages with a UID, in UID order: the "known UIDs" of a resync, from the
    // index alone (no record is read). for_each_uid visits them without holding them all: what the
    // caller keeps is its own (the sync keeps a compressed UID set); uids() collects them (16 bytes
    // each), for callers that need them at once.
    void for_each_uid(MailboxId mailbox, const std::function<void(Uid, MessageId)>& visit) const;
    std::vector<std::pair<Uid, MessageId>> uids(MailboxId mailbox) const;
    // Those of them from `first` to `last`, in UID order: one seek, then only the entries in the
    // range (a resync's VANISHED or FETCH names a few UIDs of a large mailbox).
    void for_each_uid_between(MailboxId mailbox, Uid first, Uid last,
                              const std::function<void(Uid, MessageId)>& visit) const;
    // The highest UID of the mailbox (the last entry of its index), nullopt when none has one.
    std::optional<Uid> highest_uid(MailboxId mailbox) const;
    // How many of its messages have a UID, from the kept counts less the messages still waiting
    // for one (the queue's, few): what for_each_uid would visit, without the walk.
    std::uint64_t count_uids(MailboxId mailbox) const;
    std::vector<MessageId> messages_without_uid(MailboxId mailbox) const;
    // Every message, in any mailbox, whose body has this hash / whose Message-ID is this one.
    std::vector<MessageId> messages_with_body(const BodyHash& hash) const;
    std::vector<MessageId> messages_with_message_id(std::string_view message_id) const;
    bool body_is_referenced(const BodyHash& hash) const;   // by a message or a queued change
    // Counts from the messages themselves (for verify): what counts() must equal.
    MailboxCounts count_by_scan(MailboxId mailbox) const;

    // ---- offline queue and conflicts, oldest first
    std::vector<QueueRecord> queue() const;
    std::optional<QueueRecord> queue_entry(Seq seq) const;
    std::vector<ConflictRecord> conflicts() const;

    // ---- for later commands
    std::optional<ExportStateRecord> export_state(std::string_view key) const;
    std::optional<OAuthTokenRecord> oauth_token(std::string_view key) const;
    std::optional<SyncRunRecord> sync_run() const;
    // What the server listed after the last login, as cli/ keeps it (opaque text here).
    std::optional<std::string> server_capabilities() const;
    // Bodies found damaged or missing and not fetched again yet (records.hpp), oldest first.
    std::vector<BodyHash> damaged_bodies() const;
    // Bodies a removal or a replaced body may have left unnamed (tables.hpp), in hash order.
    std::vector<BodyHash> sweep_candidates() const;
    // The body files' count and bytes as the store keeps them (Store::usage); nullopt in a store
    // made before it kept them, until a sync has counted them.
    std::optional<BodyUsage> body_usage() const;
    // The rule of which bodies are downloaded (sync/pull/body_rule.hpp) as the last complete pass
    // applied it, in the engine's words; nullopt when none was recorded (every body downloaded).
    std::optional<std::string> body_rule() const;

    // ---- the Maildir view's records (sync/view/README.md)
    std::optional<ViewFileRecord> view_file(MessageId message) const;
    std::vector<ViewFileRecord> view_files() const;   // in message id order
    std::optional<ViewFolderRecord> view_folder(MailboxId mailbox) const;
    std::vector<ViewFolderRecord> view_folders() const;
    std::optional<ViewStateRecord> view_state() const;

    // Raw access, for migrations and verify.
    const lmdb::Txn& lmdb() const { return txn_; }
    const Tables& tables() const { return tables_; }

protected:
    // The record a `places` entry names (a missing one is a damaged store).
    MessageRecord placed_message(const lmdb::Entry& place) const;

    lmdb::Txn txn_;
    const Tables& tables_;
};

class WriteTxn : public ReadTxn {
public:
    using ReadTxn::ReadTxn;

    // ---- mailboxes
    // Allocates the id (record.id is ignored) and returns it. A name in use: Error(bad_input).
    MailboxId add_mailbox(MailboxRecord record);
    // Replaces the record of record.id (a new name renames it).
    void put_mailbox(const MailboxRecord& record);
    // Removes the mailbox and every message in it.
    void remove_mailbox(MailboxId id);

    // ---- messages
    // Allocates the id (record.id is ignored; ids are never reused) and returns it. The mailbox
    // must exist and the UID, when given, be free in it.
    MessageId add_message(MessageRecord record);
    // Replaces the record of record.id, moving its index entries when mailbox, UID, body hash or
    // Message-ID changed (e.g. the UID an offline append gets on replay, or a move).
    void put_message(const MessageRecord& record);
    void remove_message(MessageId id);

    // ---- offline queue and conflicts
    Seq enqueue(QueueRecord record);   // allocates record.seq and returns it
    void put_queue_entry(const QueueRecord& record);
    void remove_queue_entry(Seq seq);
    Seq add_conflict(ConflictRecord record);
    // Forgets a conflict (`conflicts --clear`); false when there is none of that seq.
    bool remove_conflict(Seq seq);

    void put_export_state(std::string_view key, const ExportStateRecord& record);
    void put_oauth_token(std::string_view key, const OAuthTokenRecord& record);
    void put_sync_run(const SyncRunRecord& record);
    void put_server_capabilities(std::string_view text);
    void remove_oauth_token(std::string_view key);
    // Adds a body to / takes it off the damaged list (each at most once in it).
    void mark_body_damaged(const BodyHash& hash);
    // Done by remove_message, put_message and remove_queue_entry themselves; the sweep takes a
    // candidate off once it is settled.
    void add_sweep_candidate(const BodyHash& hash);
    void remove_sweep_candidate(const BodyHash& hash);
    void put_body_usage(const BodyUsage& usage);
    void mark_body_sound(const BodyHash& hash);
    void set_body_rule(std::string_view rule);

    void put_view_file(const ViewFileRecord& record);
    void remove_view_file(MessageId message);
    void put_view_folder(const ViewFolderRecord& record);
    void remove_view_folder(MailboxId mailbox);
    void put_view_state(const ViewStateRecord& record);
    // Forgets every view record (view --rebuild, or a view moved to another root or layout).
    void clear_view();

    // Sets the schema version (Store::open and migrations).
    void set_schema_version(std::uint32_t version);

    using ReadTxn::lmdb;
    lmdb::Txn& lmdb() { return txn_; }
    void commit() { txn_.commit(); }

private:
    std::uint64_t allocate(const char* counter);
    void add_to_counts(MailboxId mailbox, const MessageRecord& message, int direction);
    void check_place_is_free(const MessageRecord& message) const;
    void index_message(const MessageRecord& message);
    void unindex_message(const MessageRecord& message);
    MessageRecord existing_message(MessageId id) const;
    MailboxRecord existing_mailbox(MailboxId id) const;
};

}  // namespace mailsync::store

#include "store/transaction.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "store/codec.hpp"
#include "store/keys.hpp"

namespace mailsync::store {
namespace {

// LMDB keys are at most 511 bytes; mailbox names are keys of the by-name index.
constexpr std::size_t max_mailbox_name = 480;

[[noreturn]] void unknown(std::string_view what, std::uint64_t id) {
    throw Error(ErrorCategory::bad_input, fmt::format("there is no {} with id {}", what, id));
}

template <class Record, class Decode>
std::vector<Record> all_records(const lmdb::Txn& txn, lmdb::Dbi table, Decode decode) {
    std::vector<Record> out;
    lmdb::for_each_with_prefix(txn, table, {}, [&](const lmdb::Entry& entry) {
        out.push_back(decode(entry.value));
        return true;
    });
    return out;
}

std::vector<MessageId> index_entries(const lmdb::Txn& txn, lmdb::Dbi table, const std::string& prefix) {
    std::vector<MessageId> out;
    lmdb::for_each_with_prefix(txn, table, prefix, [&](const lmdb::Entry& entry) {
        out.push_back(keys::message_of_index_key(entry.key));
        return true;
    });
    return out;
}

}  // namespace

// ---- ReadTxn -------------------------------------------------------------------------------------

std::uint32_t ReadTxn::schema_version() const {
    auto value = txn_.get(tables_.meta, meta_key::schema_version);
    return value ? keys::decode_u32(*value, "schema version") : 0;
}

std::optional<MailboxRecord> ReadTxn::mailbox(MailboxId id) const {
    auto value = txn_.get(tables_.mailboxes, keys::u32(id));
    if (!value) return std::nullopt;
    return decode_mailbox(*value);
}

std::optional<MailboxRecord> ReadTxn::mailbox_by_name(std::string_view name) const {
    if (name.empty() || name.size() > max_mailbox_name) return std::nullopt;
    auto id = txn_.get(tables_.mailbox_names, name);
    if (!id) return std::nullopt;
    return mailbox(keys::decode_u32(*id, "mailbox name index entry"));
}

std::vector<MailboxRecord> ReadTxn::mailboxes() const {
    return all_records<MailboxRecord>(txn_, tables_.mailboxes, decode_mailbox);
}

std::optional<MailboxCounts> ReadTxn::counts(MailboxId id) const {
    auto value = txn_.get(tables_.mailbox_counts, keys::u32(id));
    if (!value) return std::nullopt;
    return decode_mailbox_counts(*value);
}

std::optional<MessageRecord> ReadTxn::message(MessageId id) const {
    auto value = txn_.get(tables_.messages, keys::u64(id));
    if (!value) return std::nullopt;
    return decode_message(*value);
}

std::optional<MessageRecord> ReadTxn::message_by_uid(MailboxId mailbox, Uid uid) const {
    auto id = txn_.get(tables_.places, keys::place(mailbox, uid));
    if (!id) return std::nullopt;
    return message(keys::decode_u64(*id, "place index entry"));
}

void ReadTxn::for_each_message(MailboxId mailbox,
                               const std::function<void(const MessageRecord&)>& visit) const {
    lmdb::for_each_with_prefix(txn_, tables_.places, keys::mailbox_places(mailbox), [&](const lmdb::Entry& entry) {
        visit(placed_message(entry));
        return true;
    });
}

MessageRecord ReadTxn::placed_message(const lmdb::Entry& place) const {
    MessageId id = keys::decode_u64(place.value, "place index entry");
    auto record = message(id);
    if (!record) Decoder(place.key, "place index entry").corrupt(fmt::format("message {} is missing", id));
    return std::move(*record);
}

void ReadTxn::for_each_message_backward(MailboxId mailbox,
                                        const std::function<bool(const MessageRecord&)>& visit) const {
    lmdb::for_each_with_prefix_backward(txn_, tables_.places, keys::mailbox_places(mailbox),
                                        [&](const lmdb::Entry& entry) { return visit(placed_message(entry)); });
}

std::vector<MessageRecord> ReadTxn::messages(MailboxId mailbox) const {
    std::vector<MessageRecord> out;
    for_each_message(mailbox, [&](const MessageRecord& record) { out.push_back(record); });
    return out;
}

void ReadTxn::for_each_uid(MailboxId mailbox, const std::function<void(Uid, MessageId)>& visit) const {
    std::string prefix = keys::place(mailbox, 0).substr(0, 5);   // mailbox . with-UID marker
    lmdb::for_each_with_prefix(txn_, tables_.places, prefix, [&](const lmdb::Entry& entry) {
        Uid uid = keys::decode_u32(entry.key.substr(prefix.size()), "place index key");
        visit(uid, keys::decode_u64(entry.value, "place index entry"));
        return true;
    });
}

std::vector<std::pair<Uid, MessageId>> ReadTxn::uids(MailboxId mailbox) const {
    std::vector<std::pair<Uid, MessageId>> out;
    for_each_uid(mailbox, [&](Uid uid, MessageId id) { out.emplace_back(uid, id); });
    return out;
}

void ReadTxn::for_each_uid_between(MailboxId mailbox, Uid first, Uid last,
                                   const std::function<void(Uid, MessageId)>& visit) const {
    if (first > last) return;
    const std::string prefix = keys::place(mailbox, 0).substr(0, 5);   // mailbox . with-UID marker
    lmdb::Cursor cursor = lmdb::Cursor::open(txn_, tables_.places);
    for (auto entry = cursor.seek(keys::place(mailbox, first)); entry && entry->key.starts_with(prefix);
         entry = cursor.next()) {
        const Uid uid = keys::decode_u32(entry->key.substr(prefix.size()), "place index key");
        if (uid > last) break;
        visit(uid, keys::decode_u64(entry->value, "place index entry"));
    }
}

std::optional<Uid> ReadTxn::highest_uid(MailboxId mailbox) const {
    const std::string prefix = keys::place(mailbox, 0).substr(0, 5);
    std::optional<Uid> highest;
    lmdb::for_each_with_prefix_backward(txn_, tables_.places, prefix, [&](const lmdb::Entry& entry) {
        highest = keys::decode_u32(entry.key.substr(prefix.size()), "place index key");
        return false;
    });
    return highest;
}

std::uint64_t ReadTxn::count_uids(MailboxId mailbox) const {
    // counts().messages is moved with every entry of the mailbox's index (index_message and
    // unindex_message, in the same transaction), those with a UID and those waiting for one.
    const std::optional<MailboxCounts> kept = counts(mailbox);
    const std::uint64_t waiting = messages_without_uid(mailbox).size();
    if (kept && kept->messages >= waiting) return kept->messages - waiting;
    std::uint64_t count = 0;   // a store without its counts (damaged; verify says so): count them
    for_each_uid(mailbox, [&](Uid, MessageId) { ++count; });
    return count;
}

std::vector<MessageId> ReadTxn::messages_without_uid(MailboxId mailbox) const {
    std::vector<MessageId> out;
    std::string prefix = keys::pending_place(mailbox, 0).substr(0, 5);   // mailbox . no-UID marker
    lmdb::for_each_with_prefix(txn_, tables_.places, prefix, [&](const lmdb::Entry& entry) {
        out.push_back(keys::decode_u64(entry.value, "place index entry"));
        return true;
    });
    return out;
}

std::vector<MessageId> ReadTxn::messages_with_body(const BodyHash& hash) const {
    return index_entries(txn_, tables_.body_places, keys::body_places(hash));
}

std::vector<MessageId> ReadTxn::messages_with_message_id(std::string_view message_id) const {
    std::vector<MessageId> out;
    if (message_id.empty()) return out;
    // The index is keyed by a hash of the Message-ID: confirm against the record.
    for (MessageId id : index_entries(txn_, tables_.message_ids, keys::message_id_places(message_id))) {
        auto record = message(id);
        if (record && record->message_id == message_id) out.push_back(id);
    }
    return out;
}

bool ReadTxn::body_is_referenced(const BodyHash& hash) const {
    bool found = false;
    lmdb::for_each_with_prefix(txn_, tables_.body_places, keys::body_places(hash), [&](const lmdb::Entry&) {
        found = true;
        return false;
    });
    if (found) return true;
    for (const auto& change : queue()) {
        if (change.body_hash == hash) return true;
    }
    return false;
}

MailboxCounts ReadTxn::count_by_scan(MailboxId mailbox) const {
    MailboxCounts counts;
    for_each_message(mailbox, [&](const MessageRecord& record) {
        ++counts.messages;
        if (!has_seen_flag(record.flags)) ++counts.unseen;
    });
    return counts;
}

std::vector<QueueRecord> ReadTxn::queue() const {
    return all_records<QueueRecord>(txn_, tables_.queue, decode_queue);
}

std::optional<QueueRecord> ReadTxn::queue_entry(Seq seq) const {
    auto value = txn_.get(tables_.queue, keys::u64(seq));
    if (!value) return std::nullopt;
    return decode_queue(*value);
}

std::vector<ConflictRecord> ReadTxn::conflicts() const {
    return all_records<ConflictRecord>(txn_, tables_.conflicts, decode_conflict);
}

std::optional<ExportStateRecord> ReadTxn::export_state(std::string_view key) const {
    auto value = txn_.get(tables_.export_state, key);
    if (!value) return std::nullopt;
    return decode_export_state(*value);
}

std::optional<OAuthTokenRecord> ReadTxn::oauth_token(std::string_view key) const {
    auto value = txn_.get(tables_.oauth_tokens, key);
    if (!value) return std::nullopt;
    return decode_oauth_token(*value);
}

std::optional<SyncRunRecord> ReadTxn::sync_run() const {
    auto value = txn_.get(tables_.meta, meta_key::sync_run);
    if (!value) return std::nullopt;
    return decode_sync_run(*value);
}

std::optional<std::string> ReadTxn::server_capabilities() const {
    auto value = txn_.get(tables_.meta, meta_key::server_capabilities);
    if (!value) return std::nullopt;
    return std::string(*value);
}

std::vector<BodyHash> ReadTxn::damaged_bodies() const {
    auto value = txn_.get(tables_.meta, meta_key::damaged_bodies);
    if (!value) return {};
    return decode_damaged_bodies(*value);
}

std::optional<std::string> ReadTxn::body_rule() const {
    auto value = txn_.get(tables_.meta, meta_key::body_rule);
    if (!value) return std::nullopt;
    return std::string(*value);
}

std::optional<ViewFileRecord> ReadTxn::view_file(MessageId message) const {
    auto value = txn_.get(tables_.view_files, keys::u64(message));
    if (!value) return std::nullopt;
    return decode_view_file(*value);
}

std::vector<ViewFileRecord> ReadTxn::view_files() const {
    return all_records<ViewFileRecord>(txn_, tables_.view_files, decode_view_file);
}

std::optional<ViewFolderRecord> ReadTxn::view_folder(MailboxId mailbox) const {
    auto value = txn_.get(tables_.view_folders, keys::u32(mailbox));
    if (!value) return std::nullopt;
    return decode_view_folder(*value);
}

std::vector<ViewFolderRecord> ReadTxn::view_folders() const {
    return all_records<ViewFolderRecord>(txn_, tables_.view_folders, decode_view_folder);
}

std::optional<ViewStateRecord> ReadTxn::view_state() const {
    auto value = txn_.get(tables_.meta, meta_key::view_state);
    if (!value) return std::nullopt;
    return decode_view_state(*value);
}

// ---- WriteTxn: helpers ---------------------------------------------------------------------------

std::uint64_t WriteTxn::allocate(const char* counter) {
    auto value = txn_.get(tables_.meta, counter);
    std::uint64_t next = value ? keys::decode_u64(*value, counter) : 1;
    txn_.put(tables_.meta, counter, keys::u64(next + 1));
    return next;
}

MessageRecord WriteTxn::existing_message(MessageId id) const {
    auto record = message(id);
    if (!record) unknown("message", id);
    return std::move(*record);
}

MailboxRecord WriteTxn::existing_mailbox(MailboxId id) const {
    auto record = mailbox(id);
    if (!record) unknown("mailbox", id);
    return std::move(*record);
}

void WriteTxn::add_to_counts(MailboxId mailbox, const MessageRecord& message, int direction) {
    MailboxCounts current = counts(mailbox).value_or(MailboxCounts{});
    auto adjust = [&](std::uint32_t& counter) {
        if (direction > 0) ++counter;
        else if (counter > 0) --counter;
    };
    adjust(current.messages);
    if (!has_seen_flag(message.flags)) adjust(current.unseen);
    txn_.put(tables_.mailbox_counts, keys::u32(mailbox), encode(current));
}

// Checked before anything is written, so that a refused change leaves the transaction as it was.
void WriteTxn::check_place_is_free(const MessageRecord& message) const {
    if (!message.uid) return;
    auto holder = txn_.get(tables_.places, keys::place_of(message));
    if (holder && keys::decode_u64(*holder, "place index entry") != message.id) {
        throw Error(ErrorCategory::bad_input,
                    fmt::format("mailbox {} already has a message with UID {}", message.mailbox, *message.uid));
    }
}

void WriteTxn::index_message(const MessageRecord& message) {
    txn_.put(tables_.places, keys::place_of(message), keys::u64(message.id));
    txn_.put(tables_.body_places, keys::body_place(message.body_hash, message.id), {});
    if (!message.message_id.empty()) {
        txn_.put(tables_.message_ids, keys::message_id_place(message.message_id, message.id), {});
    }
    add_to_counts(message.mailbox, message, +1);
}

void WriteTxn::unindex_message(const MessageRecord& message) {
    txn_.remove(tables_.places, keys::place_of(message));
    txn_.remove(tables_.body_places, keys::body_place(message.body_hash, message.id));
    if (!message.message_id.empty()) {
        txn_.remove(tables_.message_ids, keys::message_id_place(message.message_id, message.id));
    }
    add_to_counts(message.mailbox, message, -1);
}

// ---- WriteTxn: mailboxes -------------------------------------------------------------------------

MailboxId WriteTxn::add_mailbox(MailboxRecord record) {
    if (record.name.empty() || record.name.size() > max_mailbox_name) {
        throw Error(ErrorCategory::bad_input,
                    fmt::format("a mailbox name must be 1 to {} bytes long", max_mailbox_name));
    }
    if (txn_.get(tables_.mailbox_names, record.name)) {
        throw Error(ErrorCategory::bad_input, fmt::format("a mailbox named '{}' exists already", record.name));
    }
    std::uint64_t id = allocate(meta_key::next_mailbox);
    if (id > UINT32_MAX) throw Error(ErrorCategory::io, "the store has run out of mailbox ids");
    record.id = static_cast<MailboxId>(id);
    txn_.put(tables_.mailboxes, keys::u32(record.id), encode(record));
    txn_.put(tables_.mailbox_names, record.name, keys::u32(record.id));
    txn_.put(tables_.mailbox_counts, keys::u32(record.id), encode(MailboxCounts{}));
    return record.id;
}

void WriteTxn::put_mailbox(const MailboxRecord& record) {
    MailboxRecord old = existing_mailbox(record.id);
    if (old.name != record.name) {
        if (record.name.empty() || record.name.size() > max_mailbox_name) {
            throw Error(ErrorCategory::bad_input,
                        fmt::format("a mailbox name must be 1 to {} bytes long", max_mailbox_name));
        }
        if (txn_.get(tables_.mailbox_names, record.name)) {
            throw Error(ErrorCategory::bad_input, fmt::format("a mailbox named '{}' exists already", record.name));
        }
        txn_.remove(tables_.mailbox_names, old.name);
        txn_.put(tables_.mailbox_names, record.name, keys::u32(record.id));
    }
    txn_.put(tables_.mailboxes, keys::u32(record.id), encode(record));
}

void WriteTxn::remove_mailbox(MailboxId id) {
    MailboxRecord old = existing_mailbox(id);
    std::vector<MessageId> contents;
    lmdb::for_each_with_prefix(txn_, tables_.places, keys::mailbox_places(id), [&](const lmdb::Entry& entry) {
        contents.push_back(keys::decode_u64(entry.value, "place index entry"));
        return true;
    });
    for (MessageId message : contents) remove_message(message);
    txn_.remove(tables_.mailbox_names, old.name);
    txn_.remove(tables_.mailbox_counts, keys::u32(id));
    txn_.remove(tables_.mailboxes, keys::u32(id));
}

// ---- WriteTxn: messages --------------------------------------------------------------------------

MessageId WriteTxn::add_message(MessageRecord record) {
    existing_mailbox(record.mailbox);
    record.id = 0;   // no message has id 0: the check below cannot match the record itself
    check_place_is_free(record);
    record.id = allocate(meta_key::next_message);
    index_message(record);
    txn_.put(tables_.messages, keys::u64(record.id), encode(record));
    return record.id;
}

void WriteTxn::put_message(const MessageRecord& record) {
    MessageRecord old = existing_message(record.id);
    if (record.mailbox != old.mailbox) existing_mailbox(record.mailbox);
    check_place_is_free(record);
    if (old.body_hash != record.body_hash) add_sweep_candidate(old.body_hash);
    unindex_message(old);
    index_message(record);
    txn_.put(tables_.messages, keys::u64(record.id), encode(record));
}

void WriteTxn::remove_message(MessageId id) {
    MessageRecord old = existing_message(id);
    add_sweep_candidate(old.body_hash);
    unindex_message(old);
    txn_.remove(tables_.messages, keys::u64(id));
}

// ---- WriteTxn: queue, conflicts, the rest ---------------------------------------------------------

Seq WriteTxn::enqueue(QueueRecord record) {
    record.seq = allocate(meta_key::next_queue);
    txn_.put(tables_.queue, keys::u64(record.seq), encode(record));
    return record.seq;
}

void WriteTxn::put_queue_entry(const QueueRecord& record) {
    if (!queue_entry(record.seq)) unknown("queued change", record.seq);
    txn_.put(tables_.queue, keys::u64(record.seq), encode(record));
}

void WriteTxn::remove_queue_entry(Seq seq) {
    const auto entry = queue_entry(seq);
    if (entry && entry->body_hash) add_sweep_candidate(*entry->body_hash);
    if (!txn_.remove(tables_.queue, keys::u64(seq))) unknown("queued change", seq);
}

std::optional<BodyUsage> ReadTxn::body_usage() const {
    auto value = txn_.get(tables_.meta, meta_key::body_usage);
    if (!value) return std::nullopt;
    if (value->size() != 16) Decoder(*value, "body usage").corrupt("wrong size");
    return BodyUsage{keys::decode_u64(value->substr(0, 8), "body usage"), keys::decode_u64(value->substr(8), "body usage")};
}

void WriteTxn::put_body_usage(const BodyUsage& usage) {
    txn_.put(tables_.meta, meta_key::body_usage, keys::u64(usage.files) + keys::u64(usage.bytes));
}

void WriteTxn::add_sweep_candidate(const BodyHash& hash) {
    txn_.put(tables_.sweep_candidates, hash.view(), {});
}

void WriteTxn::remove_sweep_candidate(const BodyHash& hash) {
    txn_.remove(tables_.sweep_candidates, hash.view());
}

std::vector<BodyHash> ReadTxn::sweep_candidates() const {
    std::vector<BodyHash> out;
    lmdb::for_each_with_prefix(txn_, tables_.sweep_candidates, {}, [&](const lmdb::Entry& entry) {
        out.push_back(keys::hash_of_sweep_candidate(entry.key));
        return true;
    });
    return out;
}

Seq WriteTxn::add_conflict(ConflictRecord record) {
    record.seq = allocate(meta_key::next_conflict);
    txn_.put(tables_.conflicts, keys::u64(record.seq), encode(record));
    return record.seq;
}

bool WriteTxn::remove_conflict(Seq seq) { return txn_.remove(tables_.conflicts, keys::u64(seq)); }

void WriteTxn::put_export_state(std::string_view key, const ExportStateRecord& record) {
    txn_.put(tables_.export_state, key, encode(record));
}

void WriteTxn::put_oauth_token(std::string_view key, const OAuthTokenRecord& record) {
    txn_.put(tables_.oauth_tokens, key, encode(record));
}

void WriteTxn::put_sync_run(const SyncRunRecord& record) {
    txn_.put(tables_.meta, meta_key::sync_run, encode(record));
}

void WriteTxn::put_server_capabilities(std::string_view text) { txn_.put(tables_.meta, meta_key::server_capabilities, text); }

void WriteTxn::remove_oauth_token(std::string_view key) { txn_.remove(tables_.oauth_tokens, key); }

void WriteTxn::mark_body_damaged(const BodyHash& hash) {
    std::vector<BodyHash> hashes = damaged_bodies();
    if (std::find(hashes.begin(), hashes.end(), hash) != hashes.end()) return;
    hashes.push_back(hash);
    txn_.put(tables_.meta, meta_key::damaged_bodies, encode_damaged_bodies(hashes));
}

void WriteTxn::mark_body_sound(const BodyHash& hash) {
    std::vector<BodyHash> hashes = damaged_bodies();
    const auto found = std::find(hashes.begin(), hashes.end(), hash);
    if (found == hashes.end()) return;
    hashes.erase(found);
    if (hashes.empty()) txn_.remove(tables_.meta, meta_key::damaged_bodies);
    else txn_.put(tables_.meta, meta_key::damaged_bodies, encode_damaged_bodies(hashes));
}

void WriteTxn::set_body_rule(std::string_view rule) { txn_.put(tables_.meta, meta_key::body_rule, rule); }

void WriteTxn::put_view_file(const ViewFileRecord& record) {
    txn_.put(tables_.view_files, keys::u64(record.message), encode(record));
}

void WriteTxn::remove_view_file(MessageId message) { txn_.remove(tables_.view_files, keys::u64(message)); }

void WriteTxn::put_view_folder(const ViewFolderRecord& record) {
    txn_.put(tables_.view_folders, keys::u32(record.mailbox), encode(record));
}

void WriteTxn::remove_view_folder(MailboxId mailbox) { txn_.remove(tables_.view_folders, keys::u32(mailbox)); }

void WriteTxn::put_view_state(const ViewStateRecord& record) {
    txn_.put(tables_.meta, meta_key::view_state, encode(record));
}

void WriteTxn::clear_view() {
    txn_.clear(tables_.view_files);
    txn_.clear(tables_.view_folders);
    txn_.remove(tables_.meta, meta_key::view_state);
}

void WriteTxn::set_schema_version(std::uint32_t version) {
    txn_.put(tables_.meta, meta_key::schema_version, keys::u32(version));
}

// ---- Tables --------------------------------------------------------------------------------------

Tables Tables::create(lmdb::Txn& txn) {
    auto open = [&](const char* name) { return *txn.open_table(name, true); };
    Tables tables;
    tables.meta = open("meta");
    tables.mailboxes = open("mailboxes");
    tables.mailbox_names = open("mailbox_names");
    tables.mailbox_counts = open("mailbox_counts");
    tables.messages = open("messages");
    tables.places = open("places");
    tables.body_places = open("body_places");
    tables.message_ids = open("message_ids");
    tables.queue = open("queue");
    tables.conflicts = open("conflicts");
    tables.export_state = open("export_state");
    tables.oauth_tokens = open("oauth_tokens");
    tables.view_files = open("view_files");
    tables.view_folders = open("view_folders");
    tables.sweep_candidates = open("sweep_candidates");
    return tables;
}

}  // namespace mailsync::store

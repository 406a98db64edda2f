#include "store/records.hpp"

#include <algorithm>

#include "common/ascii.hpp"
#include "store/codec.hpp"

namespace mailsync::store {
namespace {

// One version byte per record type; bump it (and add a migration) when a layout changes.
constexpr std::uint8_t mailbox_version = 1;
constexpr std::uint8_t counts_version = 1;
constexpr std::uint8_t message_version = 2;   // 1: without partial, structure (still written when neither is set)
constexpr std::uint8_t queue_version = 1;
constexpr std::uint8_t conflict_version = 1;
constexpr std::uint8_t export_version = 3;   // 1: without mailbox, file_size; 2: without file_name, skipped
constexpr std::uint8_t token_version = 1;
constexpr std::uint8_t sync_run_version = 1;
constexpr std::uint8_t view_file_version = 1;
constexpr std::uint8_t view_folder_version = 1;
constexpr std::uint8_t view_state_version = 1;
constexpr std::uint8_t damaged_bodies_version = 1;

void put_time(Encoder& out, UnixTime time) { out.i64(time); }
UnixTime get_time(Decoder& in) { return in.i64(); }
void put_uid(Encoder& out, Uid uid) { out.u32(uid); }
Uid get_uid(Decoder& in) { return in.u32(); }
void put_hash(Encoder& out, const BodyHash& hash) { out.fixed(hash.bytes); }
BodyHash get_hash(Decoder& in) { return BodyHash{in.fixed<32>()}; }

void put_zone(Encoder& out, std::int16_t minutes) { out.u16(static_cast<std::uint16_t>(minutes)); }
std::int16_t get_zone(Decoder& in) { return static_cast<std::int16_t>(in.u16()); }

SyncMethod get_sync_method(Decoder& in) {
    std::uint8_t value = in.u8();
    if (value > static_cast<std::uint8_t>(SyncMethod::plain)) in.corrupt("unknown sync method");
    return static_cast<SyncMethod>(value);
}

QueueKind get_queue_kind(Decoder& in) {
    std::uint8_t value = in.u8();
    if (value < static_cast<std::uint8_t>(QueueKind::flags) ||
        value > static_cast<std::uint8_t>(QueueKind::delete_mailbox)) {
        in.corrupt("unknown change kind");
    }
    return static_cast<QueueKind>(value);
}

QueueState get_queue_state(Decoder& in) {
    std::uint8_t value = in.u8();
    if (value < static_cast<std::uint8_t>(QueueState::pending) ||
        value > static_cast<std::uint8_t>(QueueState::refused)) {
        in.corrupt("unknown replay state");
    }
    return static_cast<QueueState>(value);
}

}  // namespace

std::string_view name_of(SyncMethod method) {
    switch (method) {
        case SyncMethod::never: return "none";
        case SyncMethod::qresync: return "qresync";
        case SyncMethod::condstore: return "condstore";
        case SyncMethod::plain: return "plain";
    }
    return "none";
}

bool has_seen_flag(const std::vector<std::string>& flags) {
    constexpr std::string_view seen = "\\Seen";
    return std::any_of(flags.begin(), flags.end(), [&](const std::string& flag) { return ascii::iequals(flag, seen); });
}

// ---- mailbox -------------------------------------------------------------------------------------

std::string encode(const MailboxRecord& r) {
    Encoder out;
    out.u8(mailbox_version)
        .u32(r.id)
        .bytes(r.name)
        .bytes(r.delimiter)
        .bytes(r.special_use)
        .strings(r.attributes)
        .boolean(r.subscribed)
        .u32(r.uidvalidity)
        .u32(r.uidnext)
        .u64(r.highestmodseq)
        .u32(r.server_messages)
        .u8(static_cast<std::uint8_t>(r.last_sync_method))
        .optional(r.last_sync_time, put_time)
        .optional(r.deleted_on_server, put_time)
        .boolean(r.created_offline);
    return std::move(out).data();
}

MailboxRecord decode_mailbox(std::string_view bytes) {
    Decoder in(bytes, "mailbox record");
    in.version(mailbox_version);
    MailboxRecord r;
    r.id = in.u32();
    r.name = in.bytes();
    r.delimiter = in.bytes();
    r.special_use = in.bytes();
    r.attributes = in.strings();
    r.subscribed = in.boolean();
    r.uidvalidity = in.u32();
    r.uidnext = in.u32();
    r.highestmodseq = in.u64();
    r.server_messages = in.u32();
    r.last_sync_method = get_sync_method(in);
    r.last_sync_time = in.optional<UnixTime>(get_time);
    r.deleted_on_server = in.optional<UnixTime>(get_time);
    r.created_offline = in.boolean();
    in.finish();
    return r;
}

std::string encode(const MailboxCounts& r) {
    Encoder out;
    out.u8(counts_version).u32(r.messages).u32(r.unseen);
    return std::move(out).data();
}

MailboxCounts decode_mailbox_counts(std::string_view bytes) {
    Decoder in(bytes, "mailbox counts record");
    in.version(counts_version);
    MailboxCounts r;
    r.messages = in.u32();
    r.unseen = in.u32();
    in.finish();
    return r;
}

// ---- message -------------------------------------------------------------------------------------

std::string encode(const MessageRecord& r) {
    // A complete message keeps the version-1 layout: stores without partial messages stay as they
    // were, readable by an older mailsync.
    const bool extended = r.partial || !r.structure.empty();
    Encoder out;
    out.u8(extended ? message_version : 1)
        .u64(r.id)
        .u32(r.mailbox)
        .optional(r.uid, put_uid)
        .strings(r.flags)
        .strings(r.synced_flags)
        .u64(r.modseq)
        .i64(r.internaldate);
    put_zone(out, r.internaldate_zone_minutes);
    out.u64(r.size);
    put_hash(out, r.body_hash);
    out.bytes(r.message_id)
        .bytes(r.date)
        .bytes(r.from)
        .bytes(r.subject)
        .optional(r.deleted_on_server, put_time);
    if (extended) out.boolean(r.partial).bytes(r.structure);
    return std::move(out).data();
}

MessageRecord decode_message(std::string_view bytes) {
    Decoder in(bytes, "message record");
    const std::uint8_t found = bytes.empty() ? message_version : static_cast<std::uint8_t>(bytes.front());
    const std::uint8_t version = found == 1 ? found : message_version;
    in.version(version);
    MessageRecord r;
    r.id = in.u64();
    r.mailbox = in.u32();
    r.uid = in.optional<Uid>(get_uid);
    r.flags = in.strings();
    r.synced_flags = in.strings();
    r.modseq = in.u64();
    r.internaldate = in.i64();
    r.internaldate_zone_minutes = get_zone(in);
    r.size = in.u64();
    r.body_hash = get_hash(in);
    r.message_id = in.bytes();
    r.date = in.bytes();
    r.from = in.bytes();
    r.subject = in.bytes();
    r.deleted_on_server = in.optional<UnixTime>(get_time);
    if (version >= 2) {
        r.partial = in.boolean();
        r.structure = in.bytes();
    }
    in.finish();
    return r;
}

// ---- queue ---------------------------------------------------------------------------------------

std::string encode(const QueueRecord& r) {
    Encoder out;
    out.u8(queue_version)
        .u64(r.seq)
        .u8(static_cast<std::uint8_t>(r.kind))
        .u8(static_cast<std::uint8_t>(r.state))
        .i64(r.created)
        .optional(r.sent_at, put_time)
        .u32(r.attempts)
        .u64(r.message)
        .u32(r.mailbox)
        .u32(r.target_mailbox)
        .u64(r.copy_message)
        .optional(r.uid, put_uid)
        .u32(r.uidvalidity)
        .u64(r.modseq)
        .strings(r.base_flags)
        .strings(r.add_flags)
        .strings(r.remove_flags)
        .bytes(r.name)
        .bytes(r.new_name)
        .optional(r.body_hash, put_hash)
        .i64(r.internaldate);
    put_zone(out, r.internaldate_zone_minutes);
    out.bytes(r.last_error);
    return std::move(out).data();
}

QueueRecord decode_queue(std::string_view bytes) {
    Decoder in(bytes, "queue record");
    in.version(queue_version);
    QueueRecord r;
    r.seq = in.u64();
    r.kind = get_queue_kind(in);
    r.state = get_queue_state(in);
    r.created = in.i64();
    r.sent_at = in.optional<UnixTime>(get_time);
    r.attempts = in.u32();
    r.message = in.u64();
    r.mailbox = in.u32();
    r.target_mailbox = in.u32();
    r.copy_message = in.u64();
    r.uid = in.optional<Uid>(get_uid);
    r.uidvalidity = in.u32();
    r.modseq = in.u64();
    r.base_flags = in.strings();
    r.add_flags = in.strings();
    r.remove_flags = in.strings();
    r.name = in.bytes();
    r.new_name = in.bytes();
    r.body_hash = in.optional<BodyHash>(get_hash);
    r.internaldate = in.i64();
    r.internaldate_zone_minutes = get_zone(in);
    r.last_error = in.bytes();
    in.finish();
    return r;
}

// ---- conflicts, export, tokens --------------------------------------------------------------------

std::string encode(const ConflictRecord& r) {
    Encoder out;
    out.u8(conflict_version)
        .u64(r.seq)
        .i64(r.time)
        .u64(r.message)
        .u32(r.mailbox)
        .optional(r.uid, put_uid)
        .bytes(r.rule)
        .bytes(r.local_change)
        .bytes(r.server_change)
        .bytes(r.resolution);
    return std::move(out).data();
}

ConflictRecord decode_conflict(std::string_view bytes) {
    Decoder in(bytes, "conflict record");
    in.version(conflict_version);
    ConflictRecord r;
    r.seq = in.u64();
    r.time = in.i64();
    r.message = in.u64();
    r.mailbox = in.u32();
    r.uid = in.optional<Uid>(get_uid);
    r.rule = in.bytes();
    r.local_change = in.bytes();
    r.server_change = in.bytes();
    r.resolution = in.bytes();
    in.finish();
    return r;
}

std::string encode(const ExportStateRecord& r) {
    Encoder out;
    out.u8(export_version).bytes(r.format).bytes(r.destination).u64(r.last_message).i64(r.time);
    out.bytes(r.mailbox).u64(r.file_size);
    out.bytes(r.file_name).u32(static_cast<std::uint32_t>(r.skipped.size()));
    for (MessageId id : r.skipped) out.u64(id);
    return std::move(out).data();
}

ExportStateRecord decode_export_state(std::string_view bytes) {
    // Records of versions 1 (no mailbox, file_size) and 2 (no file_name, skipped) are still read.
    const std::uint8_t found = bytes.empty() ? export_version : static_cast<std::uint8_t>(bytes.front());
    const std::uint8_t version = found == 1 || found == 2 ? found : export_version;
    Decoder in(bytes, "export state record");
    in.version(version);
    ExportStateRecord r;
    r.format = in.bytes();
    r.destination = in.bytes();
    r.last_message = in.u64();
    r.time = in.i64();
    if (version >= 2) {
        r.mailbox = in.bytes();
        r.file_size = in.u64();
    }
    if (version >= 3) {
        r.file_name = in.bytes();
        const std::uint32_t count = in.u32();
        for (std::uint32_t i = 0; i < count; ++i) r.skipped.push_back(in.u64());   // u64() checks the bytes left
    }
    in.finish();
    return r;
}

std::string encode_damaged_bodies(const std::vector<BodyHash>& hashes) {
    Encoder out;
    out.u8(damaged_bodies_version).u32(static_cast<std::uint32_t>(hashes.size()));
    for (const BodyHash& hash : hashes) put_hash(out, hash);
    return std::move(out).data();
}

std::vector<BodyHash> decode_damaged_bodies(std::string_view bytes) {
    Decoder in(bytes, "list of damaged bodies");
    in.version(damaged_bodies_version);
    const std::uint32_t count = in.u32();
    std::vector<BodyHash> hashes;
    for (std::uint32_t i = 0; i < count; ++i) hashes.push_back(get_hash(in));
    in.finish();
    return hashes;
}

std::string encode(const OAuthTokenRecord& r) {
    Encoder out;
    out.u8(token_version).bytes(r.access_token).i64(r.expires_at);
    return std::move(out).data();
}

OAuthTokenRecord decode_oauth_token(std::string_view bytes) {
    Decoder in(bytes, "OAuth token record");
    in.version(token_version);
    OAuthTokenRecord r;
    r.access_token = in.bytes();
    r.expires_at = in.i64();
    in.finish();
    return r;
}

std::string encode(const SyncRunRecord& r) {
    Encoder out;
    out.u8(sync_run_version).i64(r.last_attempt).optional(r.last_success, put_time).bytes(r.last_error);
    return std::move(out).data();
}

SyncRunRecord decode_sync_run(std::string_view bytes) {
    Decoder in(bytes, "sync run record");
    in.version(sync_run_version);
    SyncRunRecord r;
    r.last_attempt = in.i64();
    r.last_success = in.optional<UnixTime>(get_time);
    r.last_error = in.bytes();
    in.finish();
    return r;
}

// ---- Maildir view --------------------------------------------------------------------------------

std::string encode(const ViewFileRecord& r) {
    Encoder out;
    out.u8(view_file_version).u64(r.message).u32(r.mailbox).bytes(r.path).bytes(r.info).optional(r.uid, put_uid);
    out.u64(r.inode).boolean(r.linked);
    return std::move(out).data();
}

ViewFileRecord decode_view_file(std::string_view bytes) {
    Decoder in(bytes, "view file record");
    in.version(view_file_version);
    ViewFileRecord r;
    r.message = in.u64();
    r.mailbox = in.u32();
    r.path = in.bytes();
    r.info = in.bytes();
    r.uid = in.optional<Uid>(get_uid);
    r.inode = in.u64();
    r.linked = in.boolean();
    in.finish();
    return r;
}

std::string encode(const ViewFolderRecord& r) {
    Encoder out;
    out.u8(view_folder_version).u32(r.mailbox).bytes(r.path).u64(r.inode);
    return std::move(out).data();
}

ViewFolderRecord decode_view_folder(std::string_view bytes) {
    Decoder in(bytes, "view folder record");
    in.version(view_folder_version);
    ViewFolderRecord r;
    r.mailbox = in.u32();
    r.path = in.bytes();
    r.inode = in.u64();
    in.finish();
    return r;
}

std::string encode(const ViewStateRecord& r) {
    Encoder out;
    out.u8(view_state_version).bytes(r.root).bytes(r.layout).strings(r.problems).u64(r.copies).i64(r.updated);
    return std::move(out).data();
}

ViewStateRecord decode_view_state(std::string_view bytes) {
    Decoder in(bytes, "view state record");
    in.version(view_state_version);
    ViewStateRecord r;
    r.root = in.bytes();
    r.layout = in.bytes();
    r.problems = in.strings();
    r.copies = in.u64();
    r.updated = in.i64();
    in.finish();
    return r;
}

}  // namespace mailsync::store

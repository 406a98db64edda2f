// The records the store keeps, as plain structs, and their byte encodings (store/codec.hpp: a
// version byte, then the fields in order). The store gives no meaning to IMAP syntax: names and
// flags are kept exactly as the engine hands them over (wire bytes), with one exception — a flag
// equal to "\Seen" (any case) makes a message count as seen in the per-mailbox counters.
//
// Identity: every message has a local id (MessageId) that is allocated once and never reused. It
// is the one key that does not change when a message is appended offline (no UID yet), gets its
// UID on replay, is re-paired after a UIDVALIDITY change, or moves. (mailbox, UID) is an index.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/body_hash.hpp"

namespace mailsync::store {

using MailboxId = std::uint32_t;   // local, allocated from 1
using MessageId = std::uint64_t;   // local, allocated from 1, never reused
using Uid = std::uint32_t;         // the server's UID (never 0)
using Seq = std::uint64_t;         // queue and conflict order, allocated from 1
using UnixTime = std::int64_t;     // seconds since the epoch, UTC

enum class SyncMethod : std::uint8_t { never = 0, qresync = 1, condstore = 2, plain = 3 };
// As status and sync --json show it: "none", "qresync", "condstore", "plain" (a full comparison).
std::string_view name_of(SyncMethod method);

struct MailboxRecord {
    MailboxId id = 0;
    std::string name;           // as on the wire (modified UTF-7 if the server uses it)
    std::string delimiter;      // hierarchy delimiter; empty when the server has none (NIL)
    std::string special_use;    // e.g. "\Sent"; empty when none
    std::vector<std::string> attributes;   // LIST attributes as given, e.g. "\HasChildren"
    bool subscribed = false;
    // Server state as of the last sync, compared with STATUS to skip unchanged mailboxes.
    std::uint32_t uidvalidity = 0;
    std::uint32_t uidnext = 0;
    std::uint64_t highestmodseq = 0;
    std::uint32_t server_messages = 0;
    SyncMethod last_sync_method = SyncMethod::never;
    std::optional<UnixTime> last_sync_time;
    // Backup mode keeps a mailbox the server has deleted; this says since when.
    std::optional<UnixTime> deleted_on_server;
    bool created_offline = false;   // made by `mkdir`, not yet on the server

    friend bool operator==(const MailboxRecord&, const MailboxRecord&) = default;
};

// Kept by the store itself, in the same transaction as every message change, so that `status`
// and `mailboxes` cost one read per mailbox.
struct MailboxCounts {
    std::uint32_t messages = 0;
    std::uint32_t unseen = 0;
    friend bool operator==(const MailboxCounts&, const MailboxCounts&) = default;
};

struct MessageRecord {
    MessageId id = 0;
    MailboxId mailbox = 0;
    std::optional<Uid> uid;             // nullopt until the server assigned one (offline append/move)
    std::vector<std::string> flags;     // the local view, as on the wire: "\Seen", "$Label1"
    std::vector<std::string> synced_flags;   // as the server had them at the last sync: the base
                                             // of the three-way flag merge
    std::uint64_t modseq = 0;           // the server's MODSEQ at the last sync (0: unknown)
    UnixTime internaldate = 0;
    std::int16_t internaldate_zone_minutes = 0;   // the zone INTERNALDATE was given in
    std::uint64_t size = 0;             // RFC822.SIZE, bytes of the body file
    BodyHash body_hash;
    std::string message_id;             // the Message-ID header, as given ("<a@b>"); may be empty
    std::string date;                   // envelope date, as given
    std::string from;                   // envelope summary for `list`
    std::string subject;
    std::optional<UnixTime> deleted_on_server;   // backup mode: expunged on the server since then
    // (record version 2) Headers first (sync/pull/body_rule.hpp): the body was not downloaded.
    // body_hash then names the message's header section (BODY[HEADER], its exact bytes, hashed
    // like any body), size stays the server's RFC822.SIZE of the whole message, and structure is
    // its BODYSTRUCTURE as the server sent it (wire text; empty when it sent none). A record
    // without them is written as version 1, so a store without partial messages is unchanged.
    bool partial = false;
    std::string structure;

    friend bool operator==(const MessageRecord&, const MessageRecord&) = default;
};

enum class QueueKind : std::uint8_t {
    flags = 1,            // add_flags / remove_flags on message
    move = 2,             // message from mailbox to target_mailbox
    copy = 3,             // message from mailbox to target_mailbox; copy_message is the new one
    remove = 4,           // `delete`: UID EXPUNGE of exactly message
    append = 5,           // message (body_hash, flags, internaldate) into mailbox
    create_mailbox = 6,   // name
    rename_mailbox = 7,   // name -> new_name
    delete_mailbox = 8,   // name
};

// pending: not sent yet; sent: may have reached the server (a replay after a crash must find out
// before sending again); confirmed: the server answered and the mirror reflects it.
// refused: the server said NO (attempts counts the refusals); retried by later replays until it
// is refused for good (a refusal that retrying cannot change, or max attempts), then kept, with the
// mirror returned to the server's state, until the user drops it (`queue --drop`).
enum class QueueState : std::uint8_t { pending = 1, sent = 2, confirmed = 3, refused = 4 };

struct QueueRecord {
    Seq seq = 0;
    QueueKind kind = QueueKind::flags;
    QueueState state = QueueState::pending;
    UnixTime created = 0;
    std::optional<UnixTime> sent_at;
    std::uint32_t attempts = 0;   // times the server refused it
    // The message and mailboxes, by local id (stable whatever the server does).
    MessageId message = 0;
    MailboxId mailbox = 0;
    MailboxId target_mailbox = 0;
    MessageId copy_message = 0;
    // The server state the change was made against.
    std::optional<Uid> uid;
    std::uint32_t uidvalidity = 0;
    std::uint64_t modseq = 0;
    std::vector<std::string> base_flags;
    // The change.
    std::vector<std::string> add_flags;
    std::vector<std::string> remove_flags;
    std::string name;
    std::string new_name;
    std::optional<BodyHash> body_hash;    // append: the body to upload; keeps the body file alive
    UnixTime internaldate = 0;
    std::int16_t internaldate_zone_minutes = 0;
    std::string last_error;

    friend bool operator==(const QueueRecord&, const QueueRecord&) = default;
};

struct ConflictRecord {
    Seq seq = 0;
    UnixTime time = 0;
    MessageId message = 0;
    MailboxId mailbox = 0;
    std::optional<Uid> uid;
    std::string rule;           // which written rule decided, e.g. "delete-wins"
    std::string local_change;   // what the user did, in words
    std::string server_change;  // what the server did, in words
    std::string resolution;     // what mailsync did

    friend bool operator==(const ConflictRecord&, const ConflictRecord&) = default;
};

// How far an incremental export has got (used by `export`).
struct ExportStateRecord {
    std::string format;          // "maildir" | "mbox"
    std::string destination;
    MessageId last_message = 0;  // highest local id exported
    UnixTime time = 0;
    // (record version 2) The mailbox this record is about (one record per exported mailbox), and
    // for mbox the length of the file as of the last completed export: a later run drops whatever
    // an interrupted run appended after it.
    std::string mailbox;
    std::uint64_t file_size = 0;
    // (record version 3) The name the mailbox is exported under in the destination (a name too
    // long for a file is shortened, sync/export/export_names.hpp; "" in older records: the plain
    // encoding), and the messages left out because their body file was damaged or missing: the
    // next run writes them once the body is sound again, even though their ids are below
    // last_message.
    std::string file_name;
    std::vector<MessageId> skipped;
    friend bool operator==(const ExportStateRecord&, const ExportStateRecord&) = default;
};

// How the account's last sync runs went, for `status` and monitoring.
struct SyncRunRecord {
    UnixTime last_attempt = 0;
    std::optional<UnixTime> last_success;
    std::string last_error;   // empty when the last run succeeded
    friend bool operator==(const SyncRunRecord&, const SyncRunRecord&) = default;
};

// A cached OAuth2 access token (the refresh token stays with the configured secret store).
struct OAuthTokenRecord {
    std::string access_token;
    UnixTime expires_at = 0;
    friend bool operator==(const OAuthTokenRecord&, const OAuthTokenRecord&) = default;
};

// The Maildir view (sync/view/README.md): what the view last wrote for one message, so that a scan
// tells a client's change from the mirror's.
struct ViewFileRecord {
    MessageId message = 0;
    MailboxId mailbox = 0;
    std::string path;             // relative to the view's root, e.g. "INBOX/cur/17.4_0.host,U=9:2,S"
    std::string info;             // the info letters written ("FS")
    std::optional<Uid> uid;       // the UID written into the name
    std::uint64_t inode = 0;      // of the file written
    bool linked = true;           // a hard link to the body (false: a copy)
    friend bool operator==(const ViewFileRecord&, const ViewFileRecord&) = default;
};

// The folder the view keeps for one mailbox.
struct ViewFolderRecord {
    MailboxId mailbox = 0;
    std::string path;             // relative to the view's root; "" for maildir++'s INBOX
    std::uint64_t inode = 0;      // of the folder's directory: a client's rename keeps it
    friend bool operator==(const ViewFolderRecord&, const ViewFolderRecord&) = default;
};

// Which view the records are about, and what the last scan could not interpret (for `status`).
struct ViewStateRecord {
    std::string root;
    std::string layout;
    std::vector<std::string> problems;
    std::uint64_t copies = 0;     // files written as copies, not hard links (another file system)
    UnixTime updated = 0;         // when an update last changed the view
    friend bool operator==(const ViewStateRecord&, const ViewStateRecord&) = default;
};

std::string encode(const MailboxRecord& record);
std::string encode(const MailboxCounts& record);
std::string encode(const MessageRecord& record);
std::string encode(const QueueRecord& record);
std::string encode(const ConflictRecord& record);
std::string encode(const ExportStateRecord& record);
std::string encode(const OAuthTokenRecord& record);
std::string encode(const SyncRunRecord& record);
std::string encode(const ViewFileRecord& record);
std::string encode(const ViewFolderRecord& record);
std::string encode(const ViewStateRecord& record);
// The bodies found damaged or missing (by `verify` or by a command that read one), which the
// next sync fetches again: a list of hashes, kept under the meta key damaged_bodies.
std::string encode_damaged_bodies(const std::vector<BodyHash>& hashes);

MailboxRecord decode_mailbox(std::string_view bytes);
MailboxCounts decode_mailbox_counts(std::string_view bytes);
MessageRecord decode_message(std::string_view bytes);
QueueRecord decode_queue(std::string_view bytes);
ConflictRecord decode_conflict(std::string_view bytes);
ExportStateRecord decode_export_state(std::string_view bytes);
OAuthTokenRecord decode_oauth_token(std::string_view bytes);
SyncRunRecord decode_sync_run(std::string_view bytes);
ViewFileRecord decode_view_file(std::string_view bytes);
ViewFolderRecord decode_view_folder(std::string_view bytes);
ViewStateRecord decode_view_state(std::string_view bytes);
std::vector<BodyHash> decode_damaged_bodies(std::string_view bytes);

// Whether the flags make a message count as seen.
bool has_seen_flag(const std::vector<std::string>& flags);

}  // namespace mailsync::store

// The server as the push sees it: one IMAP exchange per function, each returning what it learnt
// (flags fetched, UIDs found, COPYUID, ...) in a small result type. The untagged data of an
// exchange is collected by a handler that lives only for that exchange, so no answer is left
// behind for the next command to trip over. Also remembers which mailbox is selected.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/records.hpp"
#include "sync/imap/session.hpp"
#include "sync/pull/message_identity.hpp"
#include "sync/rules/flag_set.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::sync {

// The server said NO (or BAD) to one change, or cannot do it safely: that record is refused, the
// others go on. retrying_can_help: false when the next sync would be refused the same way (a
// capability the server lacks): the record is then refused for good at once.
struct Refused {
    std::string why;
    bool retrying_can_help = true;
};

// The refusal of a change by the server's answer to `command`: why, in words, and whether retrying
// can help — not when the server says the change can never succeed (RFC 5530 CANNOT, NOPERM,
// NONEXISTENT, ALREADYEXISTS) or calls the command BAD.
Refused refused_by(const std::string& command, const imap::StatusResponse& response);

// A message's flags (without \Recent) and MODSEQ (0 without CONDSTORE) as the server has them.
struct ServerFlags {
    FlagList flags;
    std::uint64_t modseq = 0;
};

// What a UID STORE told: the UIDs it did not store (MODIFIED) and the new MODSEQs it reported.
struct StoreResult {
    imap::SequenceSet modified;
    std::map<store::Uid, std::uint64_t> new_modseqs;
};

// A UID COPY / UID MOVE's answer: the tagged status and COPYUID (tagged, or untagged for MOVE).
struct CopyResult {
    imap::StatusResponse response;
    std::optional<imap::code::CopyUid> copyuid;
    // The destination UID of `source` by COPYUID, with the destination's UIDVALIDITY.
    std::optional<std::pair<store::Uid, std::uint32_t>> destination_of(store::Uid source) const;
};

// An APPEND's answer: the tagged status and, with UIDPLUS, APPENDUID.
struct AppendResult {
    imap::StatusResponse response;
    std::optional<store::Uid> uid;
    std::uint32_t uidvalidity = 0;
    bool needs_mailbox() const;   // NO [TRYCREATE]: the mailbox is not there
};

// A body to upload: the flags, INTERNALDATE (0: the server's time) and the file.
struct Upload {
    std::string mailbox;
    FlagList flags;
    store::UnixTime internaldate = 0;
    std::int16_t zone_minutes = 0;
    std::string path;
};

class PushServer {
public:
    explicit PushServer(imap::Session& session);
    ~PushServer();
    PushServer(const PushServer&) = delete;
    PushServer& operator=(const PushServer&) = delete;

    bool has(std::string_view capability) const { return session_.has_capability(capability); }
    bool condstore() const { return condstore_; }

    // SELECT (CONDSTORE when offered) unless `name` is selected already; false: it does not exist.
    bool select(const std::string& name);
    // Leaves the selected mailbox (UNSELECT; never CLOSE, which would expunge other clients' mail).
    void leave();
    // UIDVALIDITY of the mailbox selected last.
    std::uint32_t uidvalidity() const { return uidvalidity_; }

    // UID FETCH (FLAGS [MODSEQ]) of `uids` in the selected mailbox: those that still exist.
    std::map<store::Uid, ServerFlags> fetch_flags(const imap::SequenceSet& uids);
    // UID FETCH (RFC822.SIZE); nullopt when the server refused.
    std::optional<std::map<store::Uid, std::uint64_t>> fetch_sizes(const imap::SequenceSet& uids);
    // UID STORE [UNCHANGEDSINCE] FLAGS.SILENT. Refused on NO.
    StoreResult store_flags(const imap::SequenceSet& uids, const FlagList& flags, imap::cmd::StoreMode mode,
                            std::optional<std::uint64_t> unchanged_since);
    // UID EXPUNGE of exactly `uids`. Refused on NO.
    void expunge_exactly(const imap::SequenceSet& uids);
    // UID SEARCH HEADER Message-ID <id>; nullopt when the server refused.
    std::optional<imap::SequenceSet> search_message_id(const std::string& message_id);
    // UID SEARCH UID from:* — the UIDs from `from` on (the highest UID too, when all are below:
    // callers filter); nullopt when the server refused.
    std::optional<imap::SequenceSet> search_uids_from(store::Uid from);
    // UID FETCH (BODY.PEEK[HEADER]) of `uids`: each answered UID's header section digest (nullopt:
    // NIL or over the bound), by the pull's fetch_headers (sync/pull/new_messages.hpp).
    std::map<store::Uid, std::optional<HeaderDigest>> header_digests(const imap::SequenceSet& uids);
    // STATUS (UIDNEXT) of `name`; nullopt when the server refused (no such mailbox).
    std::optional<store::Uid> uidnext(const std::string& name);
    // UID SEARCH DELETED: the messages marked \Deleted; nullopt when the server refused.
    std::optional<imap::SequenceSet> search_deleted();
    // CLOSE: expunges EVERY message marked \Deleted in the selected mailbox and leaves it. Only for
    // servers without UIDPLUS, after search_deleted() showed no other client's \Deleted mail.
    void expunge_all_deleted_and_leave();
    // UID MOVE or UID COPY of `uids` into `destination`.
    CopyResult copy(const imap::SequenceSet& uids, const std::string& destination, bool move);
    // APPEND of a body file.
    AppendResult append(const Upload& upload);

    // LIST: whether `name` exists as a selectable mailbox.
    bool mailbox_exists(const std::string& name);
    // LIST "" "": the server's hierarchy delimiter; nullopt when it has none (a flat namespace).
    std::optional<char> hierarchy_delimiter();
    // STATUS (MESSAGES); nullopt when the server refused (no such mailbox).
    std::optional<std::uint32_t> message_count(const std::string& name);
    // CREATE (then SUBSCRIBE), for a mailbox the server deleted while local changes still put mail
    // there; a CREATE refused because it exists meanwhile is success. Refused otherwise.
    void create(const std::string& name);
    // CREATE, RENAME, DELETE, SUBSCRIBE as they are: the tagged status.
    imap::StatusResponse run_create(const std::string& name, std::optional<std::string> special_use = std::nullopt);
    imap::StatusResponse run_rename(const std::string& from, const std::string& to);
    imap::StatusResponse run_delete(const std::string& name);
    void subscribe(const std::string& name);   // best effort

private:
    std::optional<imap::SequenceSet> search(imap::cmd::UidSearch search);

    imap::Session& session_;
    bool condstore_ = false;
    std::optional<std::string> selected_;
    std::uint32_t uidvalidity_ = 0;
};

// Mailbox names equal as IMAP means them (INBOX in any case).
bool same_mailbox_name(const std::string& a, const std::string& b);

}  // namespace mailsync::sync

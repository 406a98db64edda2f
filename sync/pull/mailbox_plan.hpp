// The mailbox-level diff, a pure function: the server's mailbox list (LIST + STATUS) against the
// mirror's mailboxes → which to create, rename, remove or mark deleted, and which to look into.
//
// Rules:
// - Only mailboxes the filter selects take part, on both sides; mailboxes made offline (mkdir, not
//   yet replayed) are the push side's and are left alone.
// - A mirrored mailbox missing from the server and a server mailbox missing from the mirror that
//   have the same non-zero UIDVALIDITY, each the only one with it, are one mailbox renamed on the
//   server (Dovecot and most servers keep UIDVALIDITY on RENAME): it is followed, messages kept.
// - A mirrored mailbox still missing is removed with its messages (two-way, pull), or kept and
//   marked deleted_on_server (backup). One that is already marked stays as it is.
// - A server mailbox whose name a marked (backup) mailbox holds takes that mailbox back.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/records.hpp"
#include "sync/pull/pull_report.hpp"

namespace mailsync::sync {

struct ServerMailbox {
    std::string name;   // wire bytes
    char delimiter = 0; // 0: none (NIL)
    std::vector<std::string> attributes;   // as LIST gave them (upper-cased by the codec)
    std::string special_use;               // "\Sent", ... ; empty when none
    std::uint32_t messages = 0, uidnext = 0, uidvalidity = 0;
    std::optional<std::uint64_t> highestmodseq;   // nullopt: the server has no MODSEQ for it
    bool has_status = false;                      // STATUS answered for it
};

struct MailboxRename {
    store::MailboxId id = 0;
    std::string old_name;
    std::string new_name;
};

struct MailboxPlan {
    std::vector<ServerMailbox> create;
    std::vector<MailboxRename> rename;
    std::vector<store::MailboxId> remove;
    std::vector<store::MailboxId> mark_deleted;
    // Present on both sides (after the renames above): their messages may need a sync.
    std::vector<std::pair<store::MailboxId, ServerMailbox>> present;
};

// `selects` says whether the account's patterns select a mailbox (given its wire name and delimiter).
using MailboxSelector = std::function<bool(const std::string& wire_name, char delimiter)>;

MailboxPlan plan_mailboxes(const std::vector<ServerMailbox>& server, const std::vector<store::MailboxRecord>& local,
                           const MailboxSelector& selects, PullMode mode);

// Whether a mirrored mailbox can be skipped without selecting it: synced before, and UIDVALIDITY,
// UIDNEXT, MESSAGES and HIGHESTMODSEQ as they were then. Without HIGHESTMODSEQ a flag change
// cannot be seen from STATUS, so such a mailbox is never skipped, unless it was empty and still is
// with the same UIDNEXT (an account of 200 000 mostly empty folders on a server without CONDSTORE
// is not examined folder by folder at every sync).
bool is_unchanged(const store::MailboxRecord& local, const ServerMailbox& server);
// A mirrored mailbox that changed, but brings no new message: synced incrementally before (a
// MODSEQ kept), the same UIDVALIDITY, and no UID given out since. Its sync is the incremental
// exchange (an EXAMINE with QRESYNC), never a download.
bool only_changes_known(const store::MailboxRecord& local, const ServerMailbox& server);
// A mailbox never synced that STATUS says is empty, with nothing mirrored in it: there is nothing
// to compare, so its state is taken from STATUS without an EXAMINE (a first sync of an account of
// many empty folders selects none of them). `mirrored`: its messages in the store.
bool settles_from_status(const store::MailboxRecord& local, std::uint32_t mirrored, const ServerMailbox& server);

// "\SENT" (as the codec upper-cases it) → "\Sent"; empty when none of the RFC 6154 attributes.
std::string special_use_of(const std::vector<std::string>& attributes);

}  // namespace mailsync::sync

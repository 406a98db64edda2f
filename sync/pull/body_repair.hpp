// Fetches again, from the server, the bodies the store holds damaged or missing (issue 16 item 6).
//
// Which bodies: those on the store's damaged list (store/transaction.hpp, damaged_bodies), which
// `verify` fills with every body it finds missing or not of its SHA-256, and `export` with every
// body it could not export for that reason (it hashes what it reads anyway). A sync does not hash
// the bodies itself: a no-op sync must stay one LIST round, whatever the size of the mirror, and
// re-reading gigabytes of mail at every cron run would make it cost what a backup costs. So the
// damage a sync repairs is the damage something has found; `verify` (which a backup pipeline runs)
// finds all of it, and `verify --repair` repairs at once. While a body is listed, the pull never
// reuses it for a message moved on the server (body_catalog.hpp): that message is downloaded.
//
// How: for each listed body, the messages naming it that have a UID, mailbox by mailbox: EXAMINE
// (the mailbox's UIDVALIDITY must be the one recorded, else its UIDs name other messages), then
// UID FETCH uid (BODY.PEEK[]) streamed to a new body file (BODY.PEEK[HEADER] for a partial message,
// whose file is its header section: body_rule.hpp). Bytes with the right SHA-256 are renamed
// over the damaged file (blob_store.hpp) and the body leaves the list; other bytes (the server
// changed them, or this UID names another message) leave the damaged file alone. A body no server
// message provides stays listed, and each of its messages is reported: in backup mode a message
// the server deleted keeps its record (the mirror is the only copy left).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "sync/imap/session.hpp"

namespace mailsync::sync {

enum class RepairResult {
    repaired,           // fetched again, the file is sound
    already_sound,      // sound when looked at (another message's fetch, or put right by hand)
    gone_from_server,   // the server no longer has the message (deleted there, or its mailbox renumbered)
    differs,            // the server sent other bytes than the record's hash
    local_only,         // no UID: a message added offline, its body is only here
};

struct BodyRepair {
    store::MessageId message = 0;
    std::string mailbox;            // wire name
    std::optional<store::Uid> uid;
    std::string body;               // the body's SHA-256, hex
    RepairResult result = RepairResult::repaired;
    bool kept_by_backup = false;    // gone from the server, kept in the mirror (backup mode)
};

// One outcome per message naming a listed body (a body no message names is just taken off the
// list). Protocol errors and a lost connection propagate; what was repaired stays repaired.
std::vector<BodyRepair> repair_bodies(imap::Session& session, store::Store& store);

// "message 4 (UID 12) in 'INBOX': fetched again from the server" and the like.
std::string describe(const BodyRepair& repair);

}  // namespace mailsync::sync

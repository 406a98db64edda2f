// Completing the mirror: the bodies of partial messages (mirrored as headers and structure only,
// body_rule.hpp) downloaded later — by `show` of one of them when online, by `sync --bodies` for
// all of them, and by a sync after the account's rule changed, for those that now qualify.
//
// How: per mailbox, EXAMINE (the UIDVALIDITY must be the one recorded, else the UIDs name other
// messages: the next pull re-pairs them first), then pipelined UID FETCH (UID BODY.PEEK[]) commands
// of a bounded byte total, each body streamed from the socket into its own blob file, hashed on the
// way (store/blob_store.hpp) as every download is. The record then names the body: partial no
// more, its size the bytes received, its structure dropped (the body has it). The header file it
// named before is left to the orphan sweep. A message the server no longer has stays partial
// (the next pull removes it, or backup mode keeps it, headers only).
//
// Finding which to complete reads every record of the mirror, so a sync does it only when asked
// (`--bodies`) or when the rule differs from the one the store recorded as applied: a no-op sync
// under an unchanged rule costs no more than before.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "sync/imap/session.hpp"
#include "sync/pull/body_rule.hpp"

namespace mailsync::sync {

struct PartialMessage {
    store::MessageId id = 0;
    store::MailboxId mailbox = 0;
    store::Uid uid = 0;
    std::uint64_t size = 0;   // RFC822.SIZE
};

struct CompletionReport {
    std::uint64_t completed = 0;   // bodies downloaded, their messages complete now
    std::uint64_t bytes = 0;
    std::uint64_t not_on_server = 0;   // the server did not send them (expunged, or a renumbered mailbox)
    bool rule_recorded = false;    // the rule is now recorded as applied (every wanted body came)
};

// The partial messages with a UID in the mirror: all of them (`everything`, i.e. `sync --bodies`)
// or those the rule wants at `now`; limited to `mailboxes` when that is not empty.
// Messages the server deleted (backup mode) are not asked for.
std::vector<PartialMessage> partial_messages_to_complete(store::Store& store, const BodyRule& rule, bool everything,
                                                         store::UnixTime now, const std::vector<store::MailboxId>& mailboxes = {});

// Whether the rule differs from the one the store last recorded as applied (none recorded: every
// body, the behaviour before headers first existed).
bool body_rule_changed(store::Store& store, const BodyRule& rule);

// Downloads the bodies of `messages` over `session` (authenticated; it is left with some mailbox
// examined). Protocol errors and a lost connection propagate; what was completed stays completed.
CompletionReport complete_partial_messages(imap::Session& session, store::Store& store, const std::vector<PartialMessage>& messages);

// A sync's pass (cli/ runs it after the pull): when `everything` or the rule changed, completes what
// qualifies, and when nothing was left out for a reason that may pass (not on the server) and every
// mailbox was concerned (`mailboxes` empty), records the rule as applied. `connect` opens the
// session only when there is something to download.
CompletionReport complete_for_rule(const std::function<imap::Session&()>& connect, store::Store& store, const BodyRule& rule,
                                   bool everything, const std::vector<store::MailboxId>& mailboxes = {});

}  // namespace mailsync::sync

// Step 1 of a pull: the server's mailboxes and their STATUS, in one round where the server has
// LIST-STATUS (RFC 5819), else LIST and then STATUS for each mailbox, all pipelined. The session's
// login may still be in flight (sync::open_pipelined): the LIST then joins its flight.
#pragma once

#include <vector>

#include "sync/imap/session.hpp"
#include "sync/pull/mailbox_plan.hpp"

namespace mailsync::sync {

// Selectable mailboxes only (\Noselect and \NonExistent ones hold no mail). `wanted` says which
// ones need a STATUS when it must be asked separately (wire name, delimiter).
std::vector<ServerMailbox> list_mailboxes(imap::Session& session, const MailboxSelector& wanted);

}  // namespace mailsync::sync

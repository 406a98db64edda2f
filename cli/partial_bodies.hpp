// Headers first in the command line (sync/pull/body_rule.hpp): the account's rule as the engine
// takes it, the completion pass of `sync` (and of `watch`'s pulls), and the body `show` fetches on
// demand.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/config.hpp"
#include "cli/output.hpp"
#include "store/store.hpp"
#include "sync/pull/partial_bodies.hpp"

namespace mailsync::cli {

// The account's rule; backup mode downloads every body whatever the keys (the validator refuses
// keys that would say otherwise).
sync::BodyRule body_rule_of(const Account& account);

// After a pull: completes the partial messages the rule now wants (all of them with `everything`,
// i.e. `sync --bodies`), in `mailboxes` (names as the user typed them) or every mailbox. Opens a
// connection only when there is a body to fetch. Errors propagate (Error(unavailable) offline).
sync::CompletionReport complete_partial_bodies(const Account& account, store::Store& store, bool everything,
                                               const std::vector<std::string>& mailboxes);

// `show` of a partial message: downloads its body (online) and returns the record as it is then,
// complete. Error(unavailable) when the server cannot be reached, with the way to get the body
// later; Error(bad_input) when the server no longer has the message.
store::MessageRecord fetch_body_on_demand(const Account& account, store::Store& store, const store::MessageRecord& message);

}  // namespace mailsync::cli

// `mailsync sync` on an account that `watch` holds: watch syncs on the sync's behalf and replies
// (the channel: sync/watch/control_socket.hpp). The reply is lines of text:
//
//   exit CODE              always first: the exit code a sync of its own would have had
//   error CATEGORY TEXT    the sync failed (server unreachable, login refused, ...): the asking
//                          sync fails with this error, as if it had met it itself (its one line,
//                          its hint, its exit code; -q keeps quiet about "try again later")
//   note TEXT              a line sync prints as a note (the summary, the queue's line)
//   warning TEXT           a line sync prints as a warning (a refused change, a failed mailbox)
//   json OBJECT            the account's object of `sync --json` (on one line)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/config.hpp"
#include "common/error.hpp"
#include "sync/watch/watch.hpp"

namespace mailsync::cli {

struct WatchReply {
    int code = 0;
    std::optional<Error> error;
    std::vector<std::string> notes;
    std::vector<std::string> warnings;
    std::string json;   // empty when watch sent none
};

// Watch's side: the reply to a requested sync that went as `outcome` says.
std::string encode_watch_reply(const Account& account, const sync::RequestedSync& outcome);

// Sync's side. A reply it cannot read is an Error(protocol).
WatchReply decode_watch_reply(std::string_view reply);

}  // namespace mailsync::cli

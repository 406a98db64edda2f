// Watch mode: stay connected, push local changes promptly, pull when the server reports a change
// in any synced mailbox.
//
//   connect → replay the queue → pull → EXAMINE INBOX → NOTIFY SET (if offered) → IDLE ...
//     the server reports a change                              → DONE, NOOP, pull, IDLE again
//       INBOX (EXAMINEd): EXISTS / EXPUNGE / VANISHED / FETCH
//       with NOTIFY (RFC 5465), every other mailbox of the user: STATUS (new, expunged, flags
//       changed; HIGHESTMODSEQ needs CONDSTORE/QRESYNC, which connect() enables), LIST
//       (mailbox created, deleted, renamed); the pull skips unchanged mailboxes (LIST-STATUS)
//       and applies the account's mailbox patterns, so a change in an excluded mailbox costs a
//       pull that finds nothing to do
//     reported while not idling (during a pull, EXAMINE, NOTIFY) → pull before IDLE again
//     OK [NOTIFICATIONOVERFLOW] (the server stopped notifying)  → DONE, pull, NOTIFY SET again;
//                                                               after 3 per connection, as refused
//     NOTIFY refused (NO [BADEVENT], NO [NOTIFICATIONOVERFLOW], BAD) or not offered
//                                                             → IDLE on INBOX only; the other
//                                                               mailboxes wait for the full pull
//     DIR/queue-changed closed by a local command (inotify)   → DONE, replay, pull, IDLE again
//                                                               (what the server reported while
//                                                               the replay had the connection went
//                                                               to the replay; INBOX is EXAMINEd
//                                                               again after it)
//     a local file changed in hooks.local_directories (inotify;  → hooks.local_files_changed (the
//       the Maildir view: a mail client renamed, moved,           Maildir view's scan); what it
//       wrote or removed a file or folder)                         queues wakes the replay as above
//     every keepalive (5 min; always < 29 min, RFC 2177)      → DONE, NOOP, IDLE again: a connection
//                                                               that went silent (suspend, NAT
//                                                               timeout) fails the session deadline
//     every full_pull_interval (15 min; the account key       → DONE, replay, pull (every mailbox),
//       watch_full_pull_minutes)                                IDLE again: the safety net, and
//                                                               without NOTIFY the only way other
//                                                               mailboxes are pulled
//     the wall clock jumped ahead of the monotonic clock      → a suspend: keepalive at once
//     no IDLE on the server                                   → NOOP every poll_interval (60 s),
//                                                               pull when it reported a change
//                                                               (NOTIFY's reports arrive there too)
//     the network changed (netlink: an address or route added; → DONE, NOOP: a connection the
//       network_events.hpp)                                       change left dead fails it
//     `mailsync sync` asks through DIR/watch.sock               → DONE, replay, pull, answer it
//       (control_socket.hpp)
//   connection lost, server down (Error(unavailable))         → wait 1 s, doubling to backoff_max
//                                                               (60 s; the account key
//                                                               watch_max_backoff), with ±25 %
//                                                               jitter below the cap; then start
//                                                               again (replay first: the server is
//                                                               back; NOTIFY is asked for again)
//     while waiting: a local change queued (two-way), a      → retry at once (the next failure
//       `mailsync sync` request, the network changed            waits one step longer)
//   the stop fd readable (the CLI's self-pipe for SIGINT/SIGTERM) → DONE, LOGOUT, return.
//
// The NOTIFY command and why each event is (not) asked for: notify_command() in watch.cpp.
//
// Waking. The session's transport blocks in poll() on its socket only, so the IDLE wait runs in
// slices of at most `slice` (500 ms): between slices the stop fd, the inotify fd, the control
// socket and the netlink socket are polled without blocking. Backoff sleeps poll both fds for the whole wait, so a stop is immediate there.
// Reaction time to a local change or a signal is therefore at most one slice; nothing busy-polls
// the store (the inotify fd is read only when it is readable).
//
// Errors other than Error(unavailable) (auth refused, local I/O, protocol breakage) end watch and
// propagate: retrying cannot fix them, and the user must be told.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "store/store.hpp"
#include "sync/pull/pull.hpp"
#include "sync/push/replay.hpp"

namespace mailsync::sync {

struct WatchOptions {
    std::string idle_mailbox = "INBOX";
    std::chrono::milliseconds keepalive{std::chrono::minutes(5)};
    std::chrono::milliseconds full_pull_interval{std::chrono::minutes(15)};
    std::chrono::milliseconds poll_interval{std::chrono::seconds(60)};
    std::chrono::milliseconds backoff_initial{std::chrono::seconds(1)};
    std::chrono::milliseconds backoff_max{std::chrono::seconds(60)};
    std::chrono::milliseconds slice{500};
    ReplayOptions replay;
    bool push = true;   // false: the queue is not replayed (accounts in pull or backup mode)
};

struct WatchEvent {
    // nudged: something ended a wait early (a local change, a sync request, the network);
    // note: a remark for the log (e.g. why there is no control socket).
    enum class Kind { connected, replayed, pulled, idling, connection_lost, retrying, nudged, note, stopping };
    Kind kind = Kind::connected;
    std::string text;   // in words, for the log
    const ReplayReport* replay = nullptr;   // replayed
    const PullReport* pull = nullptr;       // pulled
};

// How the sync a `mailsync sync` asked for went: the replay's report when one ran and the pull's,
// or the error that ended it (the connection failed, or watch stopped first).
struct RequestedSync {
    const ReplayReport* replay = nullptr;
    const PullReport* pull = nullptr;
    const Error* error = nullptr;
    double seconds = 0;   // how long the replay and pull took
};

struct WatchHooks {
    ConnectionFactory connect;                           // the IDLE/replay connection
    std::function<PullReport()> pull;                    // one pull of the account
    std::function<void(const WatchEvent&)> on_event;     // optional
    // Optional: directories of local files that mail clients change (the Maildir view's folders,
    // their cur/ and new/), read at start and after each pull and local change; any change in them
    // (inotify) calls local_files_changed, which turns it into queued changes (the view's scan).
    std::function<std::vector<std::filesystem::path>()> local_directories;
    std::function<void()> local_files_changed;
    // Optional: the reply to a `mailsync sync` that asked for a sync (control_socket.hpp). Without
    // it watch opens no control socket.
    std::function<std::string(const RequestedSync&)> answer_sync_request;
};

// Runs until stop_fd becomes readable. Throws what cannot be retried (see above).
void watch(store::Store& store, const WatchHooks& hooks, int stop_fd, const WatchOptions& options = {});

// The wait before retry number `attempt` (0-based): initial·2^attempt capped at max, ±25 % jitter
// from `random01` in [0, 1).
std::chrono::milliseconds backoff_delay(unsigned attempt, std::chrono::milliseconds initial,
                                        std::chrono::milliseconds max, double random01);

}  // namespace mailsync::sync

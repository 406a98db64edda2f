#include "sync/watch/watch.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <random>

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/local/local_changes.hpp"
#include "sync/watch/control_socket.hpp"
#include "sync/watch/local_events.hpp"
#include "sync/watch/network_events.hpp"

namespace mailsync::sync {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Why a wait ended, most urgent first: a stop, a `mailsync sync` asking for a sync, a local change
// to push, the network coming back.
enum class Wake { timeout, stop, request, queue, network };

// NOTIFY on this connection: the server lacks it, it is (to be) kept active, or it was given up.
enum class NotifyUse { unavailable, wanted, given_up };

// An untagged OK [NOTIFICATIONOVERFLOW] switches notifications off; they are asked for again this
// many times per connection, then watch falls back to INBOX and full pulls until it reconnects.
constexpr unsigned max_notify_rearms = 3;

// NOTIFY SET (selected (MessageNew MessageExpunge FlagChange))
//            (personal (MessageNew MessageExpunge FlagChange MailboxName))
// - selected: EXISTS, EXPUNGE/VANISHED and FETCH FLAGS of the IDLE mailbox, as plain IDLE gives
//   (RFC 5465 §5: MessageNew and MessageExpunge go together, FlagChange needs both). "selected",
//   not "selected-delayed": every command the replay sends on this connection is a UID command,
//   which an EXPUNGE may interleave anyway. No fetch attributes: the pull fetches what it needs.
// - personal: every other mailbox of the user. MessageNew/MessageExpunge bring STATUS (MESSAGES
//   UIDNEXT ...), FlagChange STATUS (HIGHESTMODSEQ) — the HIGHESTMODSEQ part needs CONDSTORE or
//   QRESYNC enabled, which sync::connect() does where offered. MailboxName brings LIST for
//   created, deleted and renamed mailboxes. Not SubscriptionChange: the pull mirrors what LIST "*"
//   returns and keeps no subscription state up to date, so such a change could only cost a pull.
imap::cmd::Notify notify_command() {
    using imap::cmd::NotifyEvent;
    imap::cmd::Notify notify;
    notify.groups.push_back({imap::cmd::NotifyFilter::selected, {},
                             {NotifyEvent::message_new, NotifyEvent::message_expunge, NotifyEvent::flag_change}});
    notify.groups.push_back({imap::cmd::NotifyFilter::personal, {},
                             {NotifyEvent::message_new, NotifyEvent::message_expunge, NotifyEvent::flag_change,
                              NotifyEvent::mailbox_name}});
    return notify;
}

std::string in_words(milliseconds interval) {
    if (interval.count() % 60000 == 0) return fmt::format("{} min", interval.count() / 60000);
    if (interval.count() % 1000 == 0) return fmt::format("{} s", interval.count() / 1000);
    return fmt::format("{} ms", interval.count());
}

// What the server reports on the watch connection, whenever it arrives (in IDLE, in the NOOP after
// it, in EXAMINE, with the answer to NOTIFY, or queued while a pull ran on other connections). The
// replay puts its own handler on the connection while it runs, and restores none.
class ServerReports final : public imap::UntaggedHandler {
public:
    // The IDLE mailbox is examined: its EXISTS/EXPUNGE/VANISHED/FETCH are news from now on
    // (during EXAMINE they describe its state).
    bool settled = false;
    bool changed = false;    // something worth a pull was reported
    bool overflow = false;   // OK [NOTIFICATIONOVERFLOW]: the server stopped notifying

    void on_untagged(const imap::Response& response) override {
        // Nothing on this connection asks for STATUS or LIST while this handler is set: they are
        // notifications (RFC 5465) about another mailbox or the mailbox list.
        if (std::holds_alternative<imap::StatusData>(response) || std::holds_alternative<imap::ListData>(response)) {
            changed = true;
        } else if (const auto* status = std::get_if<imap::StatusResponse>(&response)) {
            if (status->code && std::holds_alternative<imap::code::NotificationOverflow>(*status->code)) {
                overflow = true;
                changed = true;   // what was not reported may have changed: pull everything
            }
        } else if (settled && (std::holds_alternative<imap::ExistsData>(response) ||
                               std::holds_alternative<imap::ExpungeData>(response) ||
                               std::holds_alternative<imap::VanishedData>(response) ||
                               std::holds_alternative<imap::FetchData>(response))) {
            changed = true;
        }
    }
};

class Watcher {
public:
    Watcher(store::Store& store, const WatchHooks& hooks, int stop_fd, const WatchOptions& options)
        : store_(store), hooks_(hooks), stop_fd_(stop_fd), options_(options), local_(store.directory()),
          random_(std::random_device{}()) {}

    void run();

private:
    void session_loop();
    std::optional<ReplayReport> replay_now(imap::Session& session);
    PullReport pull_now();
    // Replays and pulls, then answers the `mailsync sync` requests waiting.
    void sync_now(imap::Session& session);
    void answer_requests(const RequestedSync& outcome);
    void open_control_socket();
    void watch_local_directories();
    Wake wait_fds(milliseconds timeout);
    bool stop_requested();
    void emit(WatchEvent::Kind kind, std::string text, const ReplayReport* replay = nullptr,
              const PullReport* pull = nullptr) {
        if (!hooks_.on_event) return;
        WatchEvent event;
        event.kind = kind;
        event.text = std::move(text);
        event.replay = replay;
        event.pull = pull;
        hooks_.on_event(event);
    }

    store::Store& store_;
    const WatchHooks& hooks_;
    int stop_fd_;
    const WatchOptions& options_;
    LocalEventWatch local_;
    NetworkEvents network_;
    std::optional<ControlSocket> control_;
    std::mt19937_64 random_;
    unsigned attempt_ = 0;   // failed connections since the last that succeeded
    bool stopping_ = false;
};

// Polls the stop fd, the inotify fd, the control socket and the netlink socket (the last two may
// be -1: poll ignores them); timeout 0 checks without waiting.
Wake Watcher::wait_fds(milliseconds timeout) {
    std::array<pollfd, 4> fds{pollfd{stop_fd_, POLLIN, 0}, pollfd{local_.fd(), POLLIN, 0},
                              pollfd{control_ ? control_->fd() : -1, POLLIN, 0}, pollfd{network_.fd(), POLLIN, 0}};
    const auto deadline = Clock::now() + timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<milliseconds::rep>(0, left.count())));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) throw Error(ErrorCategory::io, fmt::format("poll: {}", std::strerror(errno)));
        if (fds[0].revents != 0) {
            stopping_ = true;
            return Wake::stop;
        }
        if (fds[2].revents != 0 && control_->accept_requests()) return Wake::request;
        if (fds[1].revents != 0) {
            const LocalEvents drained = local_.drain();
            // A client changed local files: the hook turns that into queued changes, whose
            // queue-changed event wakes the replay at the next poll.
            if (drained.files && hooks_.local_files_changed) {
                hooks_.local_files_changed();
                watch_local_directories();
            }
            if (drained.queue) return Wake::queue;
        }
        if (fds[3].revents != 0 && network_.drain()) return Wake::network;
        if (ready == 0 || Clock::now() >= deadline) return Wake::timeout;
    }
}

// The stop fd alone, without waiting (the inotify fd is left for the IDLE loop).
bool Watcher::stop_requested() {
    pollfd fd{stop_fd_, POLLIN, 0};
    while (::poll(&fd, 1, 0) < 0) {
        if (errno != EINTR) throw Error(ErrorCategory::io, fmt::format("poll: {}", std::strerror(errno)));
    }
    if (fd.revents != 0) stopping_ = true;
    return stopping_;
}

void Watcher::open_control_socket() {
    if (!hooks_.answer_sync_request) return;
    try {
        control_.emplace(store_.directory());
    } catch (const Error& error) {
        emit(WatchEvent::Kind::note, fmt::format("`mailsync sync` cannot ask this watch to sync ({}): it exits 75 "
                                                 "while watch runs",
                                                 error.what()));
    }
}

void Watcher::answer_requests(const RequestedSync& outcome) {
    if (control_ && control_->has_waiting()) control_->answer_waiting(hooks_.answer_sync_request(outcome));
}

void Watcher::run() {
    open_control_socket();
    // The Maildir view is watched from the start: a change a mail client makes while the server is
    // away is queued and ends the wait for it (a watch started offline never reached a pull).
    watch_local_directories();
    while (!stopping_) {
        try {
            session_loop();
        } catch (const Error& error) {
            RequestedSync failed;
            failed.error = &error;
            answer_requests(failed);
            if (error.category() != ErrorCategory::unavailable) throw;
            emit(WatchEvent::Kind::connection_lost, error.what());
            const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
            const milliseconds delay = backoff_delay(attempt_, options_.backoff_initial, options_.backoff_max, jitter);
            ++attempt_;
            emit(WatchEvent::Kind::retrying, fmt::format("retrying in {:.1f} s", static_cast<double>(delay.count()) / 1000));
            // What can make a retry succeed, or must reach the server, ends the wait at once: a
            // `mailsync sync` asking, a local change to push, the network coming back.
            const auto until = Clock::now() + delay;
            while (!stopping_ && Clock::now() < until) {
                const Wake wake = wait_fds(std::chrono::duration_cast<milliseconds>(until - Clock::now()));
                const char* reason = wake == Wake::request                     ? "`mailsync sync` asked for a sync"
                                     : wake == Wake::queue && options_.push    ? "a local change is queued"
                                     : wake == Wake::network                   ? "the network changed"
                                                                               : nullptr;
                if (reason) {
                    emit(WatchEvent::Kind::nudged, fmt::format("{}: retrying now", reason));
                    break;
                }
            }
        }
    }
    const Error stopped(ErrorCategory::unavailable, "watch stopped before it synced");
    RequestedSync failed;
    failed.error = &stopped;
    answer_requests(failed);
    emit(WatchEvent::Kind::stopping, "stopping");
}

// The replay's report when one ran (it used the connection: another mailbox may be selected now).
std::optional<ReplayReport> Watcher::replay_now(imap::Session& session) {
    if (!options_.push || !has_outstanding_changes(store_)) return std::nullopt;
    ReplayReport report = replay(session, store_, options_.replay);
    emit(WatchEvent::Kind::replayed,
         fmt::format("{} changes pushed, {} conflicts, {} failed, {} left", report.confirmed, report.conflicts,
                     report.failed, report.left),
         &report);
    return report;
}

PullReport Watcher::pull_now() {
    PullReport report = hooks_.pull();
    watch_local_directories();   // the pull may have made folders
    emit(WatchEvent::Kind::pulled, "pulled", nullptr, &report);
    return report;
}

void Watcher::sync_now(imap::Session& session) {
    const auto start = Clock::now();
    const std::optional<ReplayReport> replayed = replay_now(session);
    const PullReport pulled = pull_now();
    RequestedSync done;
    done.replay = replayed ? &*replayed : nullptr;
    done.pull = &pulled;
    done.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    answer_requests(done);
}

void Watcher::watch_local_directories() {
    if (hooks_.local_directories) local_.watch_files(hooks_.local_directories());
}

// One connection's life: returns when stopping; throws Error(unavailable) when the connection is lost.
void Watcher::session_loop() {
    Connection connection = hooks_.connect();
    attempt_ = 0;
    imap::Session& session = *connection.session;
    ServerReports reports;
    const imap::ScopedHandler scope(session, reports);
    emit(WatchEvent::Kind::connected, "connected");
    watch_local_directories();
    local_.drain();   // what is queued now is replayed below
    sync_now(session);
    const bool idle = session.has_capability("IDLE");
    NotifyUse notify = session.has_capability("NOTIFY") ? NotifyUse::wanted : NotifyUse::unavailable;
    std::string notify_note = "the server has no NOTIFY";
    unsigned rearms = 0;
    bool examined = false;   // the IDLE mailbox is selected (EXAMINE) and nothing selected another since
    auto next_full = Clock::now() + options_.full_pull_interval;
    while (!stopping_) {
        session.set_handler(&reports);   // (again: a replay replaced it)
        if (!examined) {
            reports.settled = false;
            imap::cmd::Select examine;
            examine.mailbox = options_.idle_mailbox;
            examine.read_only = true;
            session.select(examine);
            examined = true;
        }
        reports.settled = true;
        if (notify == NotifyUse::wanted && !session.notifying()) {
            const imap::StatusResponse answer = session.notify(notify_command());
            if (answer.status != imap::Status::ok) {
                // NO [BADEVENT ...], NO [NOTIFICATIONOVERFLOW], or a BAD from a server that
                // advertises more than it does: INBOX and full pulls, as without NOTIFY.
                notify = NotifyUse::given_up;
                notify_note = fmt::format("the server refused NOTIFY ({})", answer.text);
            }
        }
        if (stop_requested()) break;
        if (reports.changed) {
            // Reported while watch was not idling (during a pull, EXAMINE or NOTIFY): pull first.
            reports.changed = false;
            pull_now();
            continue;
        }
        const bool notified = notify == NotifyUse::wanted && session.notifying();
        const std::string others = notified ? "the server reports changes in every mailbox (NOTIFY)"
                                            : fmt::format("{}: other mailboxes are pulled every {}", notify_note,
                                                          in_words(options_.full_pull_interval));
        emit(WatchEvent::Kind::idling, idle ? fmt::format("idling on {}; {}", options_.idle_mailbox, others)
                                            : fmt::format("polling {} every {}; {}", options_.idle_mailbox,
                                                          in_words(options_.poll_interval), others));
        const auto keepalive_at = Clock::now() + (idle ? options_.keepalive : options_.poll_interval);
        auto wall = std::chrono::system_clock::now();
        auto mono = Clock::now();
        bool server_event = false;
        Wake wake = Wake::timeout;
        if (idle) session.idle_start();
        while (true) {
            // (A report read with the IDLE command's continuation counts too.)
            if (reports.changed) {
                server_event = true;
                break;
            }
            const auto slice_end = std::min(Clock::now() + options_.slice, std::min(keepalive_at, next_full));
            if (idle) {
                if (session.idle_wait(slice_end)) {
                    server_event = true;
                    break;
                }
            }
            wake = wait_fds(idle ? milliseconds(0)
                                 : std::chrono::duration_cast<milliseconds>(
                                       std::max(slice_end - Clock::now(), Clock::duration::zero())));
            if (wake != Wake::timeout) break;
            const auto now = Clock::now();
            // A suspend: the wall clock moved on, the monotonic one did not (much).
            const auto wall_now = std::chrono::system_clock::now();
            const bool suspended = (wall_now - wall) - (now - mono) > std::chrono::seconds(30);
            wall = wall_now;
            mono = now;
            if (suspended || now >= keepalive_at || now >= next_full) break;
        }
        if (idle) session.idle_done();   // a dead connection fails here, within the session timeout
        if (wake == Wake::stop) break;
        if (wake == Wake::request) emit(WatchEvent::Kind::nudged, "`mailsync sync` asked for a sync");
        if (wake == Wake::network) emit(WatchEvent::Kind::nudged, "the network changed: checking the connection");
        // NOOP: a connection that went silent fails the session deadline; without IDLE, the server
        // reports what changed meanwhile as untagged data (to `reports`).
        session.run_ok(imap::cmd::Noop{});
        server_event = server_event || reports.changed;
        if (reports.overflow) {
            reports.overflow = false;
            if (notify == NotifyUse::wanted && ++rearms > max_notify_rearms) {
                notify = NotifyUse::given_up;
                notify_note = "the server dropped NOTIFY too often (NOTIFICATIONOVERFLOW)";
            }
        }
        const bool full = Clock::now() >= next_full;
        if (wake == Wake::request || (control_ && control_->has_waiting())) {
            // Asked by `mailsync sync`: a replay and a pull whatever happened, then the answer.
            reports.changed = false;
            sync_now(session);
            examined = false;
        } else {
            bool replayed = false;
            if (wake == Wake::queue || full) replayed = replay_now(session).has_value();
            if (replayed) examined = false;
            // After a replay, pull too: what the server reported while the replay had the connection
            // went to the replay, and INBOX was not watched meanwhile.
            if (full || server_event || replayed) {
                reports.changed = false;   // the pull sees it
                pull_now();
            }
        }
        if (full) next_full = Clock::now() + options_.full_pull_interval;
    }
    session.logout();
}

}  // namespace

void watch(store::Store& store, const WatchHooks& hooks, int stop_fd, const WatchOptions& options) {
    Watcher watcher(store, hooks, stop_fd, options);
    watcher.run();
}

std::chrono::milliseconds backoff_delay(unsigned attempt, std::chrono::milliseconds initial,
                                        std::chrono::milliseconds max, double random01) {
    double base = static_cast<double>(initial.count());
    for (unsigned i = 0; i < attempt && base < static_cast<double>(max.count()); ++i) base *= 2;
    base = std::min(base, static_cast<double>(max.count()));
    // The cap holds after the jitter too: "at most max" is what a user configures.
    const double jittered = std::min(base * (0.75 + 0.5 * std::clamp(random01, 0.0, 1.0)), static_cast<double>(max.count()));
    return milliseconds(static_cast<milliseconds::rep>(jittered));
}

}  // namespace mailsync::sync

// `watch` (sync/watch/watch.hpp): runs until SIGINT/SIGTERM; a self-pipe written by the signal
// handler wakes its waits, and it ends with DONE, LOGOUT and exit 0.
//
// Its log (stderr) has one line per event, each starting with the local time (RFC 3339): with -v
// every event (connected, idling, pulled, a nudge, retrying ...), without it the changes pushed and
// the warnings. Each pull is recorded in the store as a sync run's is, so `status --json`'s
// last_success stays fresh while watch runs; a lost connection is recorded as a failed attempt.
// A `mailsync sync` of the account while watch runs is answered through the control socket
// (sync/watch/control_socket.hpp, cli/watch_requests.hpp).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/line_stream.hpp"
#include "cli/maildir_view.hpp"
#include "cli/partial_bodies.hpp"
#include "cli/search_index.hpp"
#include "cli/sync_support.hpp"
#include "cli/watch_requests.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "sync/server/mailbox_names.hpp"
#include "sync/watch/watch.hpp"

namespace mailsync::cli {
namespace {

// SIGINT/SIGTERM write a byte here; watch polls the read end.
int stop_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int) {
    const int saved = errno;
    const char byte = 's';
    [[maybe_unused]] const ssize_t ignored = ::write(stop_pipe[1], &byte, 1);
    errno = saved;
}

void install_stop_handlers() {
    if (stop_pipe[0] >= 0) return;
    if (::pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        throw Error(ErrorCategory::io, fmt::format("pipe: {}", std::strerror(errno)));
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

// Watch's events as lines of its log.
void log_event(const Account& account, Output& output, const sync::WatchEvent& event, double pull_seconds) {
    switch (event.kind) {
        case sync::WatchEvent::Kind::pulled:
            if (!event.pull) return;
            output.detail(summary_line(account, *event.pull, pull_seconds));
            for (const auto& mailbox : event.pull->mailboxes)
                if (mailbox.error)
                    output.warning(fmt::format("{}: {}: not synced: {}", account.name,
                                               sync::mailbox_display_name(mailbox.name), *mailbox.error));
            return;
        case sync::WatchEvent::Kind::replayed:
            if (event.replay) {
                output.note(push_line(account, *event.replay));
                for (const auto& failure : event.replay->failures) output.warning(fmt::format("{}: {}", account.name, failure));
            }
            return;
        case sync::WatchEvent::Kind::connection_lost:
            output.warning(fmt::format("{}: {}", account.name, event.text));
            return;
        case sync::WatchEvent::Kind::note:
            output.note(fmt::format("{}: {}", account.name, event.text));
            return;
        case sync::WatchEvent::Kind::connected:
        case sync::WatchEvent::Kind::idling:
        case sync::WatchEvent::Kind::retrying:
        case sync::WatchEvent::Kind::nudged:
        case sync::WatchEvent::Kind::stopping:
            output.detail(fmt::format("{}: {}", account.name, event.text));
            return;
    }
}

}  // namespace

int run_watch(const CommandContext& context, const WatchArguments&) {
    if (context.accounts.size() != 1)
        throw Error(ErrorCategory::usage, "watch follows one account: name it with -a");
    const Account& account = *context.accounts.front();
    LineStream log(context.output.err(), stderr_mutex(), log_timestamp);
    Output output(context.output.out(), log, context.output.verbosity(), context.output.json(),
                  context.output.interactive());
    store::Store store = store::Store::open(account.store, store::Access::exclusive);
    install_stop_handlers();

    sync::PullOptions options;
    options.mode = pull_mode(account.mode);
    options.patterns = account.mailboxes;
    options.connections = account.connections;
    options.body_rule = body_rule_of(account);
    const sync::ConnectionFactory factory = connection_factory(account, store);
    sync::WatchHooks hooks;
    hooks.connect = factory;
    // The sweep lists every body file: after watch's first pull, then at most once an hour, not
    // after each of the small pulls that IDLE's events trigger.
    std::optional<std::chrono::steady_clock::time_point> last_sweep;
    double pull_seconds = 0;
    // The Maildir view: scanned before each pull and whenever inotify reports a change in it (what
    // the scan queues wakes the replay through the queue-changed file), written after each pull.
    hooks.pull = [&] {
        const store::UnixTime started = unix_time_now();
        const auto start = std::chrono::steady_clock::now();
        const bool update_view = scan_view_before_sync(account, store, output).update;
        sync::PullReport report = sync::pull(factory, store, options);
        if (report.failed() == 0) complete_partial_bodies(account, store, false, {});
        if (update_view) update_view_after_sync(account, store, output);
        record_run_and_index(account, store, started, report.failed() == 0 ? "" : "some mailboxes failed (see the watch log)",
                             output);
        const auto now = std::chrono::steady_clock::now();
        if (!last_sweep || now - *last_sweep >= std::chrono::hours(1)) {
            if (sweep_orphans(account, store, report, output)) last_sweep = now;
        }
        pull_seconds = std::chrono::duration<double>(now - start).count();
        return report;
    };
    if (const auto view = maildir_view_settings(account); view && view->two_way) {
        hooks.local_directories = [&store, view] { return sync::maildir_view_directories(store, *view); };
        hooks.local_files_changed = [&] { scan_view_before_sync(account, store, output); };
    }
    hooks.on_event = [&](const sync::WatchEvent& event) {
        if (event.kind == sync::WatchEvent::Kind::connection_lost) record_run(store, unix_time_now(), event.text);
        log_event(account, output, event, pull_seconds);
    };
    hooks.answer_sync_request = [&](const sync::RequestedSync& outcome) {
        return encode_watch_reply(account, outcome);
    };
    // In a mode other than two-way the queue is not pushed: watch only pulls.
    sync::WatchOptions watch_options;
    watch_options.push = account.mode == SyncMode::two_way;
    watch_options.full_pull_interval = account.watch_full_pull;
    watch_options.backoff_max = account.watch_max_backoff;
    sync::watch(store, hooks, stop_pipe[0], watch_options);
    return exit_code::ok;
}

}  // namespace mailsync::cli

// sync and watch.
//
// `sync` replays the offline queue (sync/push/replay.hpp; two-way accounts only) and then pulls the
// server's changes; --push-only replays only, --pull-only pulls only. A server that cannot be
// reached is Error(unavailable) (exit 75) and the queue stays as it was. The account's store is
// opened exclusive, so a second `sync` of the same account fails at once with Error(busy) (exit 75).
//
// After a pull in which every mailbox synced (in `sync`; in `watch` after its first pull, then at
// most hourly), body files that no message and no queued change names are removed (Store::sweep):
// what the server expunged or the user deleted. Only files older than the sweep's grace period (an
// hour) go, so a body that a concurrent local command (`append` beside a running `watch`) wrote but
// has not yet named in its row is never taken. In backup mode the messages the server deleted keep
// their rows (deleted_on_server), so their bodies stay named and are kept.
//
// `watch` (sync/watch/watch.hpp) runs until SIGINT/SIGTERM: a self-pipe written by the signal handler
// wakes its waits, and it ends with DONE, LOGOUT and exit 0.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/failure_hints.hpp"
#include "cli/maildir_view.hpp"
#include "cli/search_index.hpp"
#include "cli/progress.hpp"
#include "cli/server.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/store.hpp"
#include "sync/pull/pull.hpp"
#include "sync/push/replay.hpp"
#include "sync/server/mailbox_names.hpp"
#include "sync/watch/watch.hpp"

namespace mailsync::cli {
namespace {

sync::PullMode pull_mode(SyncMode mode) {
    switch (mode) {
        case SyncMode::two_way: return sync::PullMode::two_way;
        case SyncMode::pull: return sync::PullMode::pull;
        case SyncMode::backup: return sync::PullMode::backup;
    }
    return sync::PullMode::two_way;
}

// The secret, asked for once and shared: the provider may run a command or use the store, which
// the pull workers' threads must not do at the same time.
sync::SecretProvider shared_secret(const Account& account, store::Store& store) {
    struct Shared {
        std::mutex mutex;
        sync::SecretProvider provider;
        std::string secret;
    };
    auto shared = std::make_shared<Shared>();
    shared->provider = secret_provider(account, &store);
    return [shared](bool refresh) {
        std::lock_guard lock(shared->mutex);
        if (shared->secret.empty() || refresh) shared->secret = shared->provider(refresh);
        return shared->secret;
    };
}

// Connections for the pull's workers, the queue's replay and watch.
sync::ConnectionFactory connection_factory(const Account& account, store::Store& store) {
    return [settings = server_settings(account), secret = shared_secret(account, store)] { return sync::connect(settings, secret); };
}

// The pull's connections, knowing the capabilities the server listed at the last sync: the first
// one with its login still in flight (sync::open_pipelined), for the LIST to join it; the workers'
// with login and ENABLE in one flight (sync::connect).
struct PullConnections {
    sync::ConnectionFactory first, more;
};
PullConnections pull_connections(const Account& account, store::Store& store) {
    const sync::SecretProvider secret = shared_secret(account, store);
    sync::ServerSettings settings = server_settings(account);
    settings.expected_capabilities = remembered_capabilities(account, store);
    return {[settings, secret] { return sync::open_pipelined(settings, secret); },
            [settings, secret] { return sync::connect(settings, secret); }};
}

// Removes orphaned body files (header comment) after a pull with no failed mailbox; a failure to
// sweep is a warning, never the sync's failure.
std::optional<store::SweepReport> sweep_orphans(const Account& account, store::Store& store,
                                               const sync::PullReport& report, Output& output) {
    if (report.failed() > 0) return std::nullopt;
    try {
        const store::SweepReport swept = store.sweep();
        if (swept.orphan_bodies > 0)
            output.detail(fmt::format("{}: removed {} orphaned body files ({:.1f} MB)", account.name, swept.orphan_bodies,
                                      static_cast<double>(swept.orphan_bytes) / 1e6));
        return swept;
    } catch (const Error& error) {
        output.warning(fmt::format("{}: could not remove orphaned body files: {}", account.name, error.what()));
        return std::nullopt;
    }
}

void write_json_push(JsonWriter& json, const std::optional<sync::ReplayReport>& pushed) {
    json.key("pushed");
    if (!pushed) {
        json.null();
        return;
    }
    json.begin_object()
        .key("confirmed").value(static_cast<std::uint64_t>(pushed->confirmed))
        .key("conflicts").value(static_cast<std::uint64_t>(pushed->conflicts))
        .key("failed").value(static_cast<std::uint64_t>(pushed->failed))
        .key("left").value(static_cast<std::uint64_t>(pushed->left))
        .key("failures").begin_array();
    for (const auto& failure : pushed->failures) json.value(failure);
    json.end_array().end_object();
}

std::string push_line(const Account& account, const sync::ReplayReport& pushed) {
    return fmt::format("{}: queue: {} pushed, {} conflicts resolved, {} refused, {} left", account.name,
                       pushed.confirmed, pushed.conflicts, pushed.failed, pushed.left);
}

// Replays the queue over a connection of its own (the pull opens its own ones afterwards).
std::optional<sync::ReplayReport> push(const Account& account, store::Store& store, Output& output) {
    if (!sync::has_outstanding_changes(store)) return std::nullopt;
    if (account.mode != SyncMode::two_way) {
        output.warning(fmt::format("{}: the offline queue is not pushed: the account's mode is not two-way", account.name));
        return std::nullopt;
    }
    sync::Connection connection = connection_factory(account, store)();
    sync::ReplayReport pushed = sync::replay(*connection.session, store);
    connection.session->logout();
    for (const auto& failure : pushed.failures) output.warning(fmt::format("{}: {}", account.name, failure));
    return pushed;
}

void write_json_report(JsonWriter& json, const Account& account, const sync::PullReport& report, double seconds,
                       const std::optional<sync::ReplayReport>& pushed, const std::optional<store::SweepReport>& swept,
                       const ViewScanOutcome& view_scan, const std::optional<sync::ViewUpdateReport>& view_update) {
    json.begin_object()
        .key("account").value(account.name);
    write_json_push(json, pushed);
    view_sync_json(json, account, view_scan, view_update);
    json.key("swept");
    if (swept) json.begin_object().key("bodies").value(swept->orphan_bodies).key("bytes").value(swept->orphan_bytes).end_object();
    else json.null();
    json.key("new").value(report.total_new())
        .key("changed").value(report.total_changed())
        .key("expunged").value(report.total_expunged())
        .key("bytes").value(report.total_bytes())
        .key("examined").value(report.examined)
        .key("connections").value(report.connections)
        .key("seconds").value(static_cast<std::uint64_t>(seconds * 1000) / 1000)
        .key("removed_mailboxes").begin_array();
    for (const auto& name : report.removed_mailboxes) json.value(sync::mailbox_display_name(name));
    json.end_array().key("mailboxes").begin_array();
    for (const auto& mailbox : report.mailboxes) {
        json.begin_object()
            .key("name").value(sync::mailbox_display_name(mailbox.name))
            .key("skipped").value(mailbox.skipped)
            .key("method").value(store::name_of(mailbox.method))
            .key("created").value(mailbox.created);
        json.key("renamed_from");
        if (mailbox.renamed_from) json.value(sync::mailbox_display_name(*mailbox.renamed_from));
        else json.null();
        json.key("uidvalidity_changed").value(mailbox.uidvalidity_changed)
            .key("new").value(mailbox.new_messages)
            .key("changed").value(mailbox.changed)
            .key("expunged").value(mailbox.expunged)
            .key("downloaded").value(mailbox.downloaded)
            .key("reused").value(mailbox.reused)
            .key("reuse_rejected").value(mailbox.reuse_rejected)
            .key("repaired").value(mailbox.repaired)
            .key("bytes").value(mailbox.bytes)
            .key("notes").begin_array();
        for (const auto& note : mailbox.notes) json.value(note);
        json.end_array().key("error").value(mailbox.error).end_object();
    }
    json.end_array().end_object();
}

std::string summary_line(const Account& account, const sync::PullReport& report, double seconds) {
    std::size_t synced = 0, skipped = 0;
    for (const auto& mailbox : report.mailboxes) (mailbox.skipped ? skipped : synced) += 1;
    return fmt::format("{}: mailboxes: {} synced, {} unchanged; messages: {} new, {} changed, {} expunged; {:.1f} MB in {:.1f} s",
                       account.name, synced, skipped, report.total_new(), report.total_changed(), report.total_expunged(),
                       static_cast<double>(report.total_bytes()) / 1e6, seconds);
}

// One account; returns its exit code (76 when a mailbox failed).
int sync_opened(const CommandContext& context, const Account& account, const SyncArguments& arguments, JsonWriter& json,
                store::Store& store) {
    Output& output = context.output;
    const ViewScanOutcome view_scan = scan_view_before_sync(account, store, output);
    std::optional<sync::ViewUpdateReport> view_update;
    std::optional<sync::ReplayReport> pushed;
    if (!arguments.pull_only) pushed = push(account, store, output);
    const int push_code = pushed && pushed->failed > 0 ? exit_code::protocol : exit_code::ok;
    if (pushed && !output.json()) output.note(push_line(account, *pushed));
    if (arguments.push_only) {
        if (view_scan.update) view_update = update_view_after_sync(account, store, output);
        if (output.json()) {
            json.begin_object().key("account").value(account.name);
            write_json_push(json, pushed);
            view_sync_json(json, account, view_scan, view_update);
            json.end_object();
        } else if (!pushed) {
            output.note(fmt::format("{}: nothing to push", account.name));
        }
        return push_code;
    }
    sync::PullOptions options;
    options.mode = pull_mode(account.mode);
    options.patterns = account.mailboxes;
    options.only = arguments.mailboxes;
    options.connections = account.connections;

    const auto start = std::chrono::steady_clock::now();
    std::optional<ProgressBar> bar;
    if (output.shows_progress()) bar.emplace(output.err());
    const PullConnections connections = pull_connections(account, store);
    const sync::PullReport report = sync::pull(connections.first, connections.more, store, options, bar ? &*bar : nullptr);
    if (bar) bar->clear();
    remember_capabilities(account, store, report.server_capabilities);
    const std::optional<store::SweepReport> swept = sweep_orphans(account, store, report, output);
    if (view_scan.update) view_update = update_view_after_sync(account, store, output);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (output.json()) write_json_report(json, account, report, seconds, pushed, swept, view_scan, view_update);
    else output.note(summary_line(account, report, seconds));
    for (const auto& mailbox : report.mailboxes) {
        for (const auto& note : mailbox.notes)
            output.detail(fmt::format("{}: {}: {}", account.name, sync::mailbox_display_name(mailbox.name), note));
        if (mailbox.error)
            output.warning(fmt::format("{}: {}: not synced: {}", account.name, sync::mailbox_display_name(mailbox.name), *mailbox.error));
    }
    return report.failed() > 0 ? exit_code::protocol : push_code;
}

// Keeps how this run went in the store, for `status` (and monitoring through `status --json`).
void record_run(store::Store& store, store::UnixTime started, const std::string& error) {
    try {
        store.write([&](store::WriteTxn& txn) {
            store::SyncRunRecord run = txn.sync_run().value_or(store::SyncRunRecord{});
            run.last_attempt = started;
            run.last_error = error;
            if (error.empty()) run.last_success = started;
            txn.put_sync_run(run);
        });
    } catch (const Error&) {
        // The run's own outcome matters more than its record: never hide it behind this one.
    }
}

int sync_account(const CommandContext& context, const Account& account, const SyncArguments& arguments, JsonWriter& json) {
    store::Store store = store::Store::open(account.store, store::Access::exclusive);
    const store::UnixTime started = unix_time_now();
    try {
        const int code = sync_opened(context, account, arguments, json, store);
        record_run(store, started, code == exit_code::ok ? "" : "some mailboxes or queued changes failed (see the sync output)");
        // Last, after the run's own record: the index then reflects the store as this run left it.
        update_search_index(account, store, context.output);
        return code;
    } catch (const Error& error) {
        record_run(store, started, error.what());
        throw;
    }
}

}  // namespace

int run_sync(const CommandContext& context, const SyncArguments& arguments) {
    JsonWriter json;
    json.begin_array();
    int worst = exit_code::ok;
    const bool quiet = context.output.verbosity() == Verbosity::quiet;
    for (const Account* account : context.accounts) {
        int code = exit_code::ok;
        // One account that cannot be synced does not stop the others; each failure is one line
        // naming the account and what to do (cli/failure_hints.hpp). With -q a "try again later"
        // (exit 75: offline, busy) prints nothing, so that cron does not mail it every run.
        try {
            code = sync_account(context, *account, arguments, json);
            if (code != exit_code::ok && quiet) {
                context.output.err() << "mailsync: " << account->name << ": some mailboxes or queued changes failed "
                                     << "(run `mailsync -a " << account->name << " sync` without -q to see which; "
                                     << "`mailsync -a " << account->name << " queue --refused` lists refused changes)\n";
            }
        } catch (const Error& error) {
            code = exit_code_for(error.category());
            if (!(quiet && is_try_again_later(error)))
                context.output.err() << "mailsync: " << account_failure_line(account->name, error, "sync") << '\n';
            // One account: no JSON document, as for any failed command.
            if (context.accounts.size() == 1) return code;
        }
        if (worst == exit_code::ok) worst = code;
    }
    json.end_array();
    if (context.output.json()) context.output.result(json.str());
    return worst;
}

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

}  // namespace

int run_watch(const CommandContext& context, const WatchArguments&) {
    if (context.accounts.size() != 1)
        throw Error(ErrorCategory::usage, "watch follows one account: name it with -a");
    const Account& account = *context.accounts.front();
    Output& output = context.output;
    store::Store store = store::Store::open(account.store, store::Access::exclusive);
    install_stop_handlers();

    sync::PullOptions options;
    options.mode = pull_mode(account.mode);
    options.patterns = account.mailboxes;
    options.connections = account.connections;
    const sync::ConnectionFactory factory = connection_factory(account, store);
    sync::WatchHooks hooks;
    hooks.connect = factory;
    // The sweep lists every body file: after watch's first pull, then at most once an hour, not
    // after each of the small pulls that IDLE's events trigger.
    std::optional<std::chrono::steady_clock::time_point> last_sweep;
    // The Maildir view: scanned before each pull and whenever inotify reports a change in it (what
    // the scan queues wakes the replay through the queue-changed file), written after each pull.
    hooks.pull = [&] {
        const bool update_view = scan_view_before_sync(account, store, output).update;
        sync::PullReport report = sync::pull(factory, store, options);
        if (update_view) update_view_after_sync(account, store, output);
        update_search_index(account, store, output);
        const auto now = std::chrono::steady_clock::now();
        if (!last_sweep || now - *last_sweep >= std::chrono::hours(1)) {
            if (sweep_orphans(account, store, report, output)) last_sweep = now;
        }
        return report;
    };
    if (const auto view = maildir_view_settings(account); view && view->two_way) {
        hooks.local_directories = [&store, view] { return sync::maildir_view_directories(store, *view); };
        hooks.local_files_changed = [&] { scan_view_before_sync(account, store, output); };
    }
    hooks.on_event = [&](const sync::WatchEvent& event) {
        switch (event.kind) {
            case sync::WatchEvent::Kind::pulled:
                if (event.pull) output.detail(summary_line(account, *event.pull, 0));
                if (event.pull)
                    for (const auto& mailbox : event.pull->mailboxes)
                        if (mailbox.error)
                            output.warning(fmt::format("{}: {}: not synced: {}", account.name,
                                                       sync::mailbox_display_name(mailbox.name), *mailbox.error));
                return;
            case sync::WatchEvent::Kind::replayed:
                if (event.replay) {
                    output.note(push_line(account, *event.replay));
                    for (const auto& failure : event.replay->failures)
                        output.warning(fmt::format("{}: {}", account.name, failure));
                }
                return;
            case sync::WatchEvent::Kind::connection_lost:
                output.warning(fmt::format("{}: {}", account.name, event.text));
                return;
            case sync::WatchEvent::Kind::connected:
            case sync::WatchEvent::Kind::idling:
            case sync::WatchEvent::Kind::retrying:
            case sync::WatchEvent::Kind::stopping:
                output.detail(fmt::format("{}: {}", account.name, event.text));
                return;
        }
    };
    // In a mode other than two-way the queue is not pushed: watch only pulls.
    sync::WatchOptions watch_options;
    watch_options.push = account.mode == SyncMode::two_way;
    watch_options.full_pull_interval = account.watch_full_pull;
    sync::watch(store, hooks, stop_pipe[0], watch_options);
    return exit_code::ok;
}

}  // namespace mailsync::cli

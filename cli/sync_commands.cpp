// sync (watch is cli/watch_command.cpp).
//
// `sync` replays the offline queue (sync/push/replay.hpp; two-way accounts only) and then pulls the
// server's changes; --push-only replays only, --pull-only pulls only. A server that cannot be
// reached is Error(unavailable) (exit 75) and the queue stays as it was. The account's store is
// opened exclusive, so a second `sync` of the same account fails at once with Error(busy) (exit 75)
// -- unless the holder is a `watch`: then this sync asks it to sync now and waits for its answer
// (sync/watch/control_socket.hpp), and reports that as its own (watch runs its usual replay and
// pull of every mailbox, whatever --pull-only, --push-only or mailbox names asked).
//
// After a pull in which every mailbox synced (in `sync`; in `watch` after its first pull, then at
// most hourly), body files that no message and no queued change names are removed
// (Store::sweep_if_due): what the server expunged or the user deleted, found among the bodies those
// removals left (not by listing every body file, which a no-op sync of a million messages cannot
// afford), and every file after a process died between a body and its row. Only files older than the sweep's grace period (an
// hour) go, so a body that a concurrent local command (`append` beside a running `watch`) wrote but
// has not yet named in its row is never taken. In backup mode the messages the server deleted keep
// their rows (deleted_on_server), so their bodies stay named and are kept.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/connection_budget.hpp"
#include "cli/exit_codes.hpp"
#include "cli/failure_hints.hpp"
#include "cli/line_stream.hpp"
#include "cli/maildir_view.hpp"
#include "cli/partial_bodies.hpp"
#include "cli/progress.hpp"
#include "cli/search_index.hpp"
#include "cli/server.hpp"
#include "cli/sync_support.hpp"
#include "cli/watch_requests.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/store.hpp"
#include "sync/pull/pull.hpp"
#include "sync/push/replay.hpp"
#include "sync/server/mailbox_names.hpp"
#include "sync/watch/control_socket.hpp"

namespace mailsync::cli {
namespace {

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

// One account; returns its exit code (76 when a mailbox failed).
int sync_opened(const CommandContext& context, const Account& account, const SyncArguments& arguments, JsonWriter& json,
                store::Store& store, bool progress_bar) {
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
    options.body_rule = body_rule_of(account);
    index_beside_pull(account, options);

    const auto start = std::chrono::steady_clock::now();
    std::optional<ProgressBar> bar;
    if (progress_bar && output.shows_progress()) bar.emplace(output.err());
    const PullConnections connections = pull_connections(account, store);
    const sync::PullReport report = sync::pull(connections.first, connections.more, store, options, bar ? &*bar : nullptr);
    if (bar) bar->clear();
    remember_capabilities(account, store, report.server_capabilities);
    // Headers first: `--bodies`, or a rule that changed since it was last applied (partial_bodies.hpp).
    std::optional<sync::CompletionReport> completed;
    if (report.failed() == 0) completed = complete_partial_bodies(account, store, arguments.bodies, arguments.mailboxes);
    if (completed && completed->completed > 0)
        output.detail(fmt::format("{}: {} bodies downloaded for messages mirrored as headers only ({:.1f} MB)", account.name,
                                  completed->completed, static_cast<double>(completed->bytes) / 1e6));
    const std::optional<store::SweepReport> swept = sweep_orphans(account, store, report, output);
    if (view_scan.update) view_update = update_view_after_sync(account, store, output);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (output.json()) write_json_report(json, account, report, seconds, pushed, swept, view_scan, view_update, completed);
    else output.note(summary_line(account, report, seconds));
    for (const auto& mailbox : report.mailboxes) {
        for (const auto& note : mailbox.notes)
            output.detail(fmt::format("{}: {}: {}", account.name, sync::mailbox_display_name(mailbox.name), note));
        if (mailbox.error)
            output.warning(fmt::format("{}: {}: not synced: {}", account.name, sync::mailbox_display_name(mailbox.name), *mailbox.error));
    }
    return report.failed() > 0 ? exit_code::protocol : push_code;
}

// The account is held by a `watch`: its answer, printed as this sync's own output would be.
int relay_watch_reply(const CommandContext& context, const WatchReply& reply, JsonWriter& json) {
    if (reply.error) throw *reply.error;
    if (context.output.json()) {
        if (!reply.json.empty()) json.encoded(reply.json);
    } else {
        for (const auto& note : reply.notes) context.output.note(note);
    }
    for (const auto& warning : reply.warnings) context.output.warning(warning);
    return reply.code;
}

// The store opened for this process alone; when a `watch` holds it, the watch's answer to a
// request to sync now (sync/watch/control_socket.hpp) instead, or the busy error when none listens.
std::variant<store::Store, WatchReply> open_or_ask_watch(const Account& account) {
    try {
        return store::Store::open(account.store, store::Access::exclusive);
    } catch (const Error& error) {
        if (error.category() != ErrorCategory::busy) throw;
        std::optional<std::string> reply = sync::ask_watch_to_sync(account.store);
        if (!reply) throw;
        return decode_watch_reply(*reply);
    }
}

int sync_account(const CommandContext& context, const Account& account, const SyncArguments& arguments, JsonWriter& json,
                 bool progress_bar) {
    std::variant<store::Store, WatchReply> opened = open_or_ask_watch(account);
    if (const auto* reply = std::get_if<WatchReply>(&opened)) {
        context.output.detail(fmt::format("{}: synced by the running `mailsync watch`", account.name));
        return relay_watch_reply(context, *reply, json);
    }
    store::Store& store = std::get<store::Store>(opened);
    const store::UnixTime started = unix_time_now();
    try {
        const int code = sync_opened(context, account, arguments, json, store, progress_bar);
        // Last, after the run's own record: the index then reflects the store as this run left it.
        record_run_and_index(account, store, started,
                             code == exit_code::ok ? "" : "some mailboxes or queued changes failed (see the sync output)",
                             context.output);
        return code;
    } catch (const Error& error) {
        record_run(store, started, error.what());
        throw;
    }
}

// Ctrl-C (SIGINT) or SIGTERM during sync: one clean line on stderr (the progress bar's line erased
// first on a terminal), then the process ends by that signal, as a shell expects of an interrupted
// program (exit status 130 for SIGINT, 143 for SIGTERM). Ending there is safe: whatever was
// committed stays (bodies are renamed into place before their rows commit, LMDB commits are
// atomic), an uncommitted batch is fetched again, and a queued change that was sent is found again
// before it is re-sent, as after a crash -- so the next run resumes. The account lock goes with the
// process.
char interrupted_line[256];
std::size_t interrupted_length = 0;

extern "C" void on_interrupt(int signal_number) {
    [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, interrupted_line, interrupted_length);
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
}

void say_resumes_when_interrupted() {
    const std::string_view erase = ::isatty(STDERR_FILENO) ? "\r\x1b[K" : "";
    const std::string line = fmt::format(
        "{}mailsync: interrupted: what was synced is kept; the next `mailsync sync` resumes from there\n", erase);
    interrupted_length = std::min(line.size(), sizeof interrupted_line);
    std::memcpy(interrupted_line, line.data(), interrupted_length);
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

struct AccountResult {
    int code = exit_code::ok;
    bool failed = false;   // an error ended it: no JSON object
    std::string json;      // its object of `sync --json`
};

// One account, its failure turned into one line naming the account and what to do
// (cli/failure_hints.hpp): one account that cannot be synced does not stop the others. With -q a
// "try again later" (exit 75: offline, busy) prints nothing, so that cron does not mail it every run.
AccountResult sync_reporting(const CommandContext& context, const Account& account, const SyncArguments& arguments,
                             bool progress_bar) {
    AccountResult result;
    const bool quiet = context.output.verbosity() == Verbosity::quiet;
    try {
        JsonWriter json;
        result.code = sync_account(context, account, arguments, json, progress_bar);
        result.json = json.str();
        if (result.code != exit_code::ok && quiet) {
            context.output.err() << "mailsync: " << account.name << ": some mailboxes or queued changes failed "
                                 << "(run `mailsync -a " << account.name << " sync` without -q to see which; "
                                 << "`mailsync -a " << account.name << " queue --refused` lists refused changes)\n";
        }
    } catch (const Error& error) {
        result.code = exit_code_for(error.category());
        result.failed = true;
        if (!(quiet && is_try_again_later(error)))
            context.output.err() << "mailsync: " << account_failure_line(account.name, error, "sync") << '\n';
    }
    return result;
}

// "3 accounts: 2 synced, 1 to retry later (exit 75)"
std::string accounts_summary(const std::vector<AccountResult>& results) {
    std::size_t synced = 0, later = 0, failed = 0;
    for (const auto& result : results) {
        if (result.code == exit_code::ok) ++synced;
        else if (result.code == exit_code::temporary) ++later;
        else ++failed;
    }
    std::string line = fmt::format("{} accounts: {} synced", results.size(), synced);
    if (later > 0) line += fmt::format(", {} to retry later (offline or busy)", later);
    if (failed > 0) line += fmt::format(", {} failed", failed);
    return line;
}

// Several accounts: in parallel within the connection budget (connection_budget.hpp), each with its
// own output whose lines reach stdout and stderr whole (line_stream.hpp); no progress bar (whose
// line would they share?). Then one summary; the exit code is the first account's, in file order,
// that is not 0.
int sync_accounts_in_parallel(const CommandContext& context, const SyncArguments& arguments) {
    const std::vector<const Account*>& accounts = context.accounts;
    std::vector<unsigned> needs;
    for (const Account* account : accounts) needs.push_back(account->connections);
    std::vector<AccountResult> results(accounts.size());
    std::mutex stdout_mutex;
    run_within_budget(needs, arguments.max_connections, [&](std::size_t i, unsigned connections) {
        LineStream out(context.output.out(), stdout_mutex);
        LineStream err(context.output.err(), stderr_mutex());
        Output output(out, err, context.output.verbosity(), context.output.json(), context.output.interactive());
        Account account = *accounts[i];
        account.connections = connections;
        const CommandContext one{context.config, {accounts[i]}, output};
        results[i] = sync_reporting(one, account, arguments, false);
    });
    int worst = exit_code::ok;
    JsonWriter json;
    json.begin_array();
    for (const auto& result : results) {
        if (worst == exit_code::ok) worst = result.code;
        if (!result.failed && !result.json.empty()) json.encoded(result.json);
    }
    json.end_array();
    if (context.output.json()) context.output.result(json.str());
    else context.output.note(accounts_summary(results));
    return worst;
}

}  // namespace

int run_sync(const CommandContext& context, const SyncArguments& arguments) {
    say_resumes_when_interrupted();
    if (context.accounts.size() > 1) return sync_accounts_in_parallel(context, arguments);
    const AccountResult result = sync_reporting(context, *context.accounts.front(), arguments, true);
    // A failed account: no JSON document, as for any failed command.
    if (context.output.json() && !result.failed) {
        JsonWriter json;
        json.begin_array();
        if (!result.json.empty()) json.encoded(result.json);
        json.end_array();
        context.output.result(json.str());
    }
    return result.code;
}

}  // namespace mailsync::cli

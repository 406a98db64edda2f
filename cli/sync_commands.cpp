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
// most hourly), body files that no message and no queued change names are removed (Store::sweep):
// what the server expunged or the user deleted. Only files older than the sweep's grace period (an
// hour) go, so a body that a concurrent local command (`append` beside a running `watch`) wrote but
// has not yet named in its row is never taken. In backup mode the messages the server deleted keep
// their rows (deleted_on_server), so their bodies stay named and are kept.
#include <chrono>
#include <filesystem>
#include <variant>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/failure_hints.hpp"
#include "cli/maildir_view.hpp"
#include "cli/progress.hpp"
#include "cli/search_index.hpp"
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
    const sync::PullReport report = sync::pull(connection_factory(account, store), store, options, bar ? &*bar : nullptr);
    if (bar) bar->clear();
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

int sync_account(const CommandContext& context, const Account& account, const SyncArguments& arguments, JsonWriter& json) {
    std::variant<store::Store, WatchReply> opened = open_or_ask_watch(account);
    if (const auto* reply = std::get_if<WatchReply>(&opened)) {
        context.output.detail(fmt::format("{}: synced by the running `mailsync watch`", account.name));
        return relay_watch_reply(context, *reply, json);
    }
    store::Store& store = std::get<store::Store>(opened);
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

}  // namespace mailsync::cli

// What `sync` and `watch` share: the connections of a pull, the sweep of orphaned bodies after it,
// the record of a run for `status`, and the reports in words and JSON (sync_support.cpp,
// sync_report.cpp).
#pragma once

#include <optional>
#include <string>

#include "cli/config.hpp"
#include "cli/maildir_view.hpp"
#include "cli/output.hpp"
#include "store/store.hpp"
#include "sync/pull/partial_bodies.hpp"
#include "sync/pull/pull.hpp"
#include "sync/push/replay.hpp"

namespace mailsync::cli {

sync::PullMode pull_mode(SyncMode mode);

// Connections for the pull's workers, the queue's replay and watch. The secret is asked for once
// and shared: the provider may run a command or use the store, which the workers' threads must not
// do at the same time.
sync::ConnectionFactory connection_factory(const Account& account, store::Store& store);

// sync's pull connections, knowing the capabilities the server listed at the last sync: the first
// one with its login still in flight (sync::open_pipelined), for the LIST to join it; the workers'
// with login and ENABLE in one flight (sync::connect).
struct PullConnections {
    sync::ConnectionFactory first, more;
};
PullConnections pull_connections(const Account& account, store::Store& store);

// Removes orphaned body files (sync_commands.cpp's header comment) after a pull with no failed
// mailbox; a failure to sweep is a warning, never the sync's failure.
std::optional<store::SweepReport> sweep_orphans(const Account& account, store::Store& store,
                                               const sync::PullReport& report, Output& output);

// Keeps how a run went in the store, for `status` (and monitoring through `status --json`): the
// attempt's time, and its time as last_success when `error` is empty.
void record_run(store::Store& store, store::UnixTime started, const std::string& error);
// record_run, then the search index brought to the store as the run left it. The index was
// current before the record when the run changed no message (a no-op sync, a quiet pull of
// watch): then only the record's one transaction is new, and the index takes it without
// comparing the mirror (update_index_after, nothing changed); else it compares everything.
void record_run_and_index(const Account& account, store::Store& store, store::UnixTime started, const std::string& error,
                          Output& output);

// "work: queue: 3 pushed, 0 conflicts resolved, 0 refused, 0 left"
std::string push_line(const Account& account, const sync::ReplayReport& pushed);
// "work: mailboxes: 2 synced, 5 unchanged, 1 failed; messages: ...; 1.2 MB in 0.8 s": a mailbox that
// failed counts as failed, never as synced; "failed" appears only when some did.
std::string summary_line(const Account& account, const sync::PullReport& report, double seconds);

// `sync --json`: the member "pushed", and one account's whole object.
void write_json_push(JsonWriter& json, const std::optional<sync::ReplayReport>& pushed);
void write_json_report(JsonWriter& json, const Account& account, const sync::PullReport& report, double seconds,
                       const std::optional<sync::ReplayReport>& pushed, const std::optional<store::SweepReport>& swept,
                       const ViewScanOutcome& view_scan, const std::optional<sync::ViewUpdateReport>& view_update,
                       const std::optional<sync::CompletionReport>& completed);

}  // namespace mailsync::cli

// What sync and watch share: connections, the sweep of orphaned bodies, the record of a run.
#include "cli/sync_support.hpp"

#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "cli/search_index.hpp"
#include "cli/server.hpp"
#include "common/error.hpp"

namespace mailsync::cli {

sync::PullMode pull_mode(SyncMode mode) {
    switch (mode) {
        case SyncMode::two_way: return sync::PullMode::two_way;
        case SyncMode::pull: return sync::PullMode::pull;
        case SyncMode::backup: return sync::PullMode::backup;
    }
    return sync::PullMode::two_way;
}

namespace {

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

}  // namespace

sync::ConnectionFactory connection_factory(const Account& account, store::Store& store) {
    return [settings = server_settings(account), secret = shared_secret(account, store)] { return sync::connect(settings, secret); };
}

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
        const store::SweepReport swept = store.sweep_if_due();
        if (swept.orphan_bodies > 0)
            output.detail(fmt::format("{}: removed {} orphaned body files ({:.1f} MB)", account.name, swept.orphan_bodies,
                                      static_cast<double>(swept.orphan_bytes) / 1e6));
        return swept;
    } catch (const Error& error) {
        output.warning(fmt::format("{}: could not remove orphaned body files: {}", account.name, error.what()));
        return std::nullopt;
    }
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

void record_run_and_index(const Account& account, store::Store& store, store::UnixTime started, const std::string& error,
                          Output& output) {
    const std::string before = search_state_before(account, store);
    record_run(store, started, error);
    update_search_index_after(account, store, {}, before, output);
}

}  // namespace mailsync::cli

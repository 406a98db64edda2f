#include "sync/pull/pull.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "sync/pull/body_catalog.hpp"
#include "sync/pull/body_repair.hpp"
#include "sync/imap/mutf7.hpp"
#include "sync/imap/tcp_transport.hpp"
#include "sync/pull/mailbox_filter.hpp"
#include "sync/pull/mailbox_list.hpp"
#include "sync/pull/mailbox_plan.hpp"
#include "sync/pull/mailbox_sync.hpp"
#include "sync/server/mailbox_names.hpp"
#include "sync/pull/worker_progress.hpp"
#include "sync/pull/shared_pull_state.hpp"
#include "sync/pull/serialized_store.hpp"

namespace mailsync::sync {

std::uint64_t PullReport::total_new() const {
    std::uint64_t n = 0;
    for (const auto& m : mailboxes) n += m.new_messages;
    return n;
}
std::uint64_t PullReport::total_changed() const {
    std::uint64_t n = 0;
    for (const auto& m : mailboxes) n += m.changed;
    return n;
}
std::uint64_t PullReport::total_expunged() const {
    std::uint64_t n = 0;
    for (const auto& m : mailboxes) n += m.expunged;
    return n;
}
std::uint64_t PullReport::total_bytes() const {
    std::uint64_t n = 0;
    for (const auto& m : mailboxes) n += m.bytes;
    return n;
}
std::uint64_t PullReport::failed() const {
    return static_cast<std::uint64_t>(
        std::count_if(mailboxes.begin(), mailboxes.end(), [](const MailboxReport& m) { return m.error.has_value(); }));
}

namespace {

std::string utf8_name(const std::string& wire) { return imap::mutf7_decode(wire).value_or(wire); }

struct Job {
    store::MailboxId id = 0;
    ServerMailbox server;
    std::size_t report = 0;   // index into PullReport::mailboxes
    bool changes_only = false;   // only_changes_known(): no mail to download
};

// Records what STATUS said of new, empty mailboxes (settles_from_status) as their first sync, all
// in one transaction: what an EXAMINE of each would have recorded, less the round trips.
void settle_from_status(store::Store& store, const std::vector<const Job*>& jobs) {
    if (jobs.empty()) return;
    const store::UnixTime now = unix_time_now();
    store.write([&](store::WriteTxn& txn) {
        for (const Job* job : jobs) {
            auto mailbox = *txn.mailbox(job->id);
            mailbox.uidvalidity = job->server.uidvalidity;
            mailbox.uidnext = job->server.uidnext;
            mailbox.highestmodseq = job->server.highestmodseq.value_or(0);
            mailbox.server_messages = 0;
            mailbox.last_sync_method = store::SyncMethod::plain;
            mailbox.last_sync_time = now;
            mailbox.special_use = job->server.special_use;
            mailbox.attributes = job->server.attributes;
            txn.put_mailbox(mailbox);
        }
    });
}

// Applies the mailbox diff; returns the report entries of the mailboxes present afterwards, with
// their ids, in server order.
std::vector<Job> apply_mailbox_plan(store::Store& store, const MailboxPlan& plan, PullReport& report) {
    std::vector<std::pair<store::MailboxId, ServerMailbox>> created;
    store.write([&](store::WriteTxn& txn) {
        created.clear();
        for (const auto& rename : plan.rename) {
            auto record = *txn.mailbox(rename.id);
            record.name = rename.new_name;
            txn.put_mailbox(record);
        }
        for (const auto& mailbox : plan.create) {
            store::MailboxRecord record;
            record.name = mailbox.name;
            if (mailbox.delimiter != '\0') record.delimiter = std::string(1, mailbox.delimiter);
            record.special_use = mailbox.special_use;
            record.attributes = mailbox.attributes;
            record.subscribed = std::find(mailbox.attributes.begin(), mailbox.attributes.end(), "\\SUBSCRIBED") !=
                                mailbox.attributes.end();
            created.emplace_back(txn.add_mailbox(record), mailbox);
        }
        for (store::MailboxId id : plan.remove) txn.remove_mailbox(id);
        const store::UnixTime when = unix_time_now();
        for (store::MailboxId id : plan.mark_deleted) {
            auto record = *txn.mailbox(id);
            record.deleted_on_server = when;
            txn.put_mailbox(record);
        }
    });
    std::vector<Job> jobs;
    const auto add = [&](store::MailboxId id, const ServerMailbox& server) {
        MailboxReport entry;
        entry.name = server.name;
        jobs.push_back({id, server, report.mailboxes.size()});
        report.mailboxes.push_back(std::move(entry));
    };
    for (const auto& [id, server] : plan.present) {
        add(id, server);
        for (const auto& rename : plan.rename)
            if (rename.id == id) report.mailboxes.back().renamed_from = rename.old_name;
    }
    for (const auto& [id, server] : created) {
        add(id, server);
        report.mailboxes.back().created = true;
    }
    return jobs;
}

class Workers {
public:
    Workers(const ConnectionFactory& connect, SharedPullState& context, std::vector<Job> jobs, PullReport& report,
            std::size_t downloads)
        : connect_(connect), context_(context), jobs_(std::move(jobs)), report_(report), downloads_(downloads) {}

    // Runs every job; the first connection is the one that listed the mailboxes. More connections
    // only for mailboxes with messages to download: a mailbox whose flags changed or whose
    // messages were expunged is one EXAMINE (QRESYNC), about a round trip, while another
    // connection costs its own round trips (greeting, login) and ~0.7 kB (greeting, the server's
    // capabilities, LOGOUT), more than such a mailbox's whole exchange.
    void run(Connection first) {
        const std::size_t count = std::clamp<std::size_t>(context_.options.connections, 1, std::max<std::size_t>(1, downloads_));
        alone_ = count == 1;
        std::vector<std::thread> threads;
        for (std::size_t i = 1; i < count; ++i) threads.emplace_back([this] { work(std::nullopt); });
        work(std::move(first));
        for (auto& thread : threads) thread.join();
        if (failure_) std::rethrow_exception(failure_);
    }

private:
    void work(std::optional<Connection> connection) {
        try {
            if (!connection) {
                if (next_ >= jobs_.size()) return;
                try {
                    connection = connect_();
                } catch (const Error&) {
                    return;   // one more connection refused (a server limit): the others carry on
                }
            }
            account(*connection);
            // The protocol error of one mailbox fails that mailbox: the session may be in the middle
            // of a response it could not parse, so the connection starts afresh.
            const auto start_afresh = [&] {
                connection->session->logout();
                account(*connection, true);
                connection = connect_();
                account(*connection);
            };
            const auto run_job = [&](const Job& job) {
                MailboxReport& entry = report_.mailboxes[job.report];
                try {
                    sync_mailbox(context_, *connection->session, job.id, job.server, entry);
                    context_.progress.settle(job.server.name);
                } catch (const Error& error) {
                    context_.progress.settle(job.server.name);
                    if (error.category() != ErrorCategory::protocol) throw;
                    entry.error = error.what();
                    start_afresh();
                }
            };
            if (alone_) {
                // Alone on the account: the mailboxes without new mail (first in the queue) are
                // examined in one flight; what that leaves undone goes the usual way.
                std::vector<const Job*> batch;
                std::vector<MailboxToSync> mailboxes;
                while (next_ < jobs_.size() && jobs_[next_].changes_only) {
                    const Job& job = jobs_[next_++];
                    batch.push_back(&job);
                    mailboxes.push_back({job.id, &job.server, &report_.mailboxes[job.report]});
                }
                std::vector<bool> done(batch.size(), false);
                if (!batch.empty()) {
                    try {
                        done = sync_mailboxes_together(context_, *connection->session, mailboxes);
                    } catch (const Error& error) {
                        if (error.category() != ErrorCategory::protocol) throw;
                        start_afresh();
                        done.assign(batch.size(), false);
                    }
                }
                for (std::size_t i = 0; i < batch.size(); ++i) {
                    context_.progress.check_stop();
                    if (done[i]) context_.progress.settle(batch[i]->server.name);
                    else run_job(*batch[i]);
                }
            }
            while (true) {
                context_.progress.check_stop();
                const std::size_t index = next_++;
                if (index >= jobs_.size()) break;
                run_job(jobs_[index]);
            }
            connection->session->logout();
            account(*connection, true);
        } catch (const PullStopped&) {
            if (connection) account(*connection, true);
        } catch (...) {
            if (connection) account(*connection, true);
            std::lock_guard lock(mutex_);
            if (!failure_) failure_ = std::current_exception();
            context_.progress.stop();
        }
    }

    // Counts a connection when opened, its bytes when done with it.
    void account(const Connection& connection, bool done = false) {
        std::lock_guard lock(mutex_);
        if (!done) {
            ++report_.connections;
            return;
        }
        if (connection.tcp) {
            report_.wire_bytes_sent += connection.tcp->bytes_sent();
            report_.wire_bytes_received += connection.tcp->bytes_received();
        }
    }

    const ConnectionFactory& connect_;
    SharedPullState& context_;
    std::vector<Job> jobs_;
    PullReport& report_;
    std::size_t downloads_;
    bool alone_ = false;   // one connection does every job
    std::atomic<std::size_t> next_{0};
    std::mutex mutex_;
    std::exception_ptr failure_;
};

}  // namespace

PullReport pull(const ConnectionFactory& connect, store::Store& store, const PullOptions& options, PullProgress* progress) {
    return pull(connect, connect, store, options, progress);
}

PullReport pull(const ConnectionFactory& open_first, const ConnectionFactory& connect, store::Store& store,
                const PullOptions& options, PullProgress* progress) {
    PullReport report;
    Connection first = open_first();
    ++report.connections;

    const MailboxFilter filter(options.patterns);
    const MailboxSelector selects = [&](const std::string& wire, char delimiter) {
        return filter.selects(utf8_name(wire), delimiter);
    };
    const std::vector<ServerMailbox> server = list_mailboxes(*first.session, selects);
    report.server_capabilities = first.session->capabilities();   // the login's answer is in by now

    std::set<std::string> only;
    for (const auto& name : options.only) {
        const auto known = std::find_if(server.begin(), server.end(), [&](const ServerMailbox& m) {
            return names_mailbox(name, m.name) && selects(m.name, m.delimiter);   // `sync inbox` too
        });
        if (known == server.end())
            throw Error(ErrorCategory::bad_input,
                        fmt::format("there is no mailbox \"{}\" on the server that this account mirrors", name));
        only.insert(known->name);
    }

    const auto local = store.read([](const store::ReadTxn& txn) { return txn.mailboxes(); });
    const MailboxPlan plan = plan_mailboxes(server, local, selects, options.mode);
    for (store::MailboxId id : plan.remove)
        for (const auto& record : local)
            if (record.id == id) report.removed_mailboxes.push_back(record.name);
    for (store::MailboxId id : plan.mark_deleted)
        for (const auto& record : local)
            if (record.id == id) report.removed_mailboxes.push_back(record.name);
    std::vector<Job> all = apply_mailbox_plan(store, plan, report);

    // Unchanged mailboxes, and new ones STATUS says are empty, are settled here, without a SELECT.
    // The others are expected to bring as many new messages as the server counts beyond the
    // mirror: the progress bar's first total.
    std::vector<Job> jobs;
    std::vector<const Job*> empty_new;
    std::vector<std::pair<std::string, std::uint64_t>> expected;
    std::size_t downloads = 0;   // jobs that may bring messages to download (Workers::run)
    store.read([&](const store::ReadTxn& txn) {
        const auto current = txn.mailboxes();
        for (auto& job : all) {
            MailboxReport& entry = report.mailboxes[job.report];
            const bool wanted = only.empty() || only.count(job.server.name) > 0;
            const auto record = std::find_if(current.begin(), current.end(), [&](const auto& r) { return r.id == job.id; });
            const std::uint32_t mirrored = txn.counts(job.id).value_or(store::MailboxCounts{}).messages;
            if (!wanted || (record != current.end() && is_unchanged(*record, job.server))) {
                entry.skipped = true;
            } else if (record != current.end() && settles_from_status(*record, mirrored, job.server)) {
                entry.method = store::SyncMethod::plain;
                empty_new.push_back(&job);
            } else {
                if (job.server.messages > mirrored) expected.emplace_back(job.server.name, job.server.messages - mirrored);
                job.changes_only = record != current.end() && only_changes_known(*record, job.server);
                if (!job.changes_only) ++downloads;
                jobs.push_back(std::move(job));
            }
        }
    });
    settle_from_status(store, empty_new);
    // The mailboxes without new mail first: examined together (Workers::run).
    std::stable_partition(jobs.begin(), jobs.end(), [](const Job& job) { return job.changes_only; });

    // The first connection does more than the LIST only when something changed: only then is
    // COMPRESS worth its round trip.
    const bool repairs = !store.read([](const store::ReadTxn& txn) { return txn.damaged_bodies(); }).empty();
    if (!jobs.empty() || repairs) finish_connect(first);
    // Bodies found damaged (by verify or export) are fetched again first, on the first connection
    // before the workers take it over; a no-op sync with none listed reads one key (body_repair.hpp).
    for (const BodyRepair& repair : repair_bodies(*first.session, store)) {
        if (repair.result == RepairResult::already_sound) continue;
        const auto entry = std::find_if(report.mailboxes.begin(), report.mailboxes.end(),
                                        [&](const MailboxReport& m) { return m.name == repair.mailbox; });
        if (entry != report.mailboxes.end()) entry->notes.push_back(describe(repair));
        if (repair.result == RepairResult::repaired) ++report.bodies_refetched;
    }

    SerializedStore serialized_store(store);
    BodyCatalog catalog(serialized_store);
    WorkerProgress worker_progress(progress);
    for (const auto& [name, messages] : expected) worker_progress.expect(name, messages);
    worker_progress.announce();
    std::atomic<unsigned> examined{0};
    SharedPullState context{options, serialized_store, catalog, worker_progress, examined};
    Workers workers(connect, context, std::move(jobs), report, downloads);
    --report.connections;   // the first one is counted again by the worker that takes it over
    std::atomic<bool> workers_done{false};
    std::thread beside;
    if (options.beside) {
        const PullOptions::StoreRead read = [&](const std::function<void(const store::ReadTxn&)>& body) {
            serialized_store.read([&](const store::ReadTxn& txn) { body(txn); });
        };
        beside = std::thread([&, read] { options.beside(store, read, workers_done); });
    }
    struct JoinBeside {
        std::atomic<bool>& done;
        std::thread& thread;
        ~JoinBeside() {
            done = true;
            if (thread.joinable()) thread.join();
        }
    } join_beside{workers_done, beside};
    workers.run(std::move(first));
    report.examined = examined;
    return report;
}

}  // namespace mailsync::sync

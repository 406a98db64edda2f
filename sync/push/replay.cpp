// The walk of the queue (replay.hpp): records in seq order, grouped where one command can carry
// several, marked sent, handed to the executor of their kind (executors.hpp), and what is left
// behind blocks what depends on it.
#include "sync/push/replay.hpp"

#include <array>
#include <ctime>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "sync/push/executors.hpp"
#include "sync/push/replay_ledger.hpp"

namespace mailsync::sync {
namespace {

using store::MessageId;
using store::QueueKind;
using store::QueueRecord;
using store::QueueState;
using store::Seq;

bool is_mailbox_kind(QueueKind kind) {
    return kind == QueueKind::create_mailbox || kind == QueueKind::rename_mailbox || kind == QueueKind::delete_mailbox;
}

// What the records left behind so far hold back: a later record acting on the same message (or on
// a mailbox a left-behind mailbox record changes) depends on them and must not overtake them. A
// record left behind because the server refused it for good makes its dependents refused for good
// too (they were made on top of a change that will not happen); one that is only waiting (refused
// this time, retried later) makes them wait. Unrelated records go on.
class Dependencies {
public:
    struct Holder {
        Seq seq = 0;
        bool for_good = false;
        store::UnixTime since = 0;   // a record created after this was made on the rolled-back mirror
    };

    // `since`: for a record refused for good, when (its sending, or that of the change it depends on).
    void hold(const QueueRecord& record, bool for_good, std::optional<store::UnixTime> since = std::nullopt) {
        const Holder holder{record.seq, for_good, since.value_or(record.sent_at.value_or(0))};
        if (is_mailbox_kind(record.kind)) {
            mailboxes_.emplace(record.mailbox, holder);
            if (record.kind == QueueKind::rename_mailbox && !for_good) rename_waits_ = true;
            return;
        }
        if (record.message) messages_.emplace(record.message, holder);
        if (record.copy_message) messages_.emplace(record.copy_message, holder);
        if (!for_good) {
            named_by_waiting_.insert(record.mailbox);
            if (record.target_mailbox) named_by_waiting_.insert(record.target_mailbox);
        }
    }

    // The record `record` depends on, if any.
    std::optional<Holder> holder_of(const QueueRecord& record) const {
        std::optional<Holder> found;
        const auto consider = [&](const auto& map, auto key) {
            if (!key) return;
            if (auto it = map.find(key); it != map.end() && applies(it->second, record) && !found) found = it->second;
        };
        consider(messages_, record.message);
        consider(messages_, record.copy_message);
        consider(mailboxes_, record.mailbox);
        consider(mailboxes_, record.target_mailbox);
        return found;
    }

    // Whether a mailbox record must wait: a waiting record uses the names it would change.
    bool mailbox_record_waits(const QueueRecord& record) const {
        return rename_waits_ || named_by_waiting_.count(record.mailbox) > 0;
    }

    const std::set<MessageId> held_messages() const {
        std::set<MessageId> held;
        for (const auto& [message, holder] : messages_) held.insert(message);
        return held;
    }

private:
    static bool applies(const Holder& holder, const QueueRecord& record) {
        return record.seq > holder.seq && (!holder.for_good || record.created <= holder.since);
    }

    std::map<MessageId, Holder> messages_;
    std::map<store::MailboxId, Holder> mailboxes_;
    std::set<store::MailboxId> named_by_waiting_;
    bool rename_waits_ = false;
};

class QueueWalk {
public:
    QueueWalk(imap::Session& session, store::Store& store, const ReplayOptions& options)
        : store_(store), options_(options), server_(session), ledger_(store, options),
          context_{server_, store_, ledger_, options_} {}

    ReplayReport run();

private:
    bool pass();
    std::vector<std::size_t> gather_group(const std::vector<QueueRecord>& queue, std::size_t first,
                                          const std::set<MessageId>& blocked) const;
    std::vector<MarkedRecord> mark_sent(const std::vector<Seq>& seqs,
                                        const std::function<bool(const QueueRecord&)>& fits);
    void hold_refused(Dependencies& dependencies, Seq seq) const;

    store::Store& store_;
    const ReplayOptions& options_;
    PushServer server_;
    ReplayLedger ledger_;
    ReplayContext context_;
};

ReplayReport QueueWalk::run() {
    while (pass()) {
    }
    server_.leave();
    ReplayReport report = ledger_.report();
    report.left = store_.read([](const store::ReadTxn& txn) {
        std::size_t left = 0;
        for (const auto& record : txn.queue())
            if (record.state != QueueState::confirmed) ++left;
        return left;
    });
    return report;
}

// One walk over the queue as it is now; returns whether anything was done (local commands may
// have queued more meanwhile: the caller walks again until nothing is left to do).
bool QueueWalk::pass() {
    const auto queue = store_.read([](const store::ReadTxn& txn) { return txn.queue(); });
    bool progressed = false;
    Dependencies dependencies;
    std::set<Seq> handled_here;        // done as part of a group
    for (std::size_t i = 0; i < queue.size(); ++i) {
        const QueueRecord& record = queue[i];
        if (record.state == QueueState::confirmed) {
            store_.write([&](store::WriteTxn& txn) {
                if (auto fresh = txn.queue_entry(record.seq); fresh && fresh->state == QueueState::confirmed)
                    txn.remove_queue_entry(record.seq);
            });
            continue;
        }
        if (ledger_.confirmed_in_this_run(record.seq) || handled_here.count(record.seq)) continue;
        if (refused_for_good(record, options_.max_attempts)) {
            dependencies.hold(record, true);
            continue;
        }
        if (ledger_.refused_in_this_run(record.seq)) {
            dependencies.hold(record, false);
            continue;
        }
        if (const auto holder = dependencies.holder_of(record)) {
            if (holder->for_good) {
                ledger_.refuse(record, fmt::format("it was made on top of change {}, which was refused", holder->seq), false);
                dependencies.hold(record, true, holder->since);
                progressed = true;
            } else {
                dependencies.hold(record, false);
            }
            continue;
        }
        if (is_mailbox_kind(record.kind)) {
            if (dependencies.mailbox_record_waits(record)) {
                dependencies.hold(record, false);
                continue;
            }
            auto sent = mark_sent({record.seq}, {});
            if (sent.empty()) continue;
            progressed = true;
            replay_mailbox_change(context_, sent.front());
            if (ledger_.refused_in_this_run(record.seq)) hold_refused(dependencies, record.seq);
            continue;
        }
        progressed = true;
        if (record.kind == QueueKind::flags || record.kind == QueueKind::remove) {
            const auto members = gather_group(queue, i, dependencies.held_messages());
            std::vector<Seq> seqs;
            for (std::size_t index : members) seqs.push_back(queue[index].seq);
            const auto fits = [&](const QueueRecord& fresh) {
                return fresh.kind == record.kind && fresh.name == record.name &&
                       fresh.uidvalidity == record.uidvalidity && same_flags(fresh.add_flags, record.add_flags) &&
                       same_flags(fresh.remove_flags, record.remove_flags) &&
                       fresh.add_flags.size() == record.add_flags.size() &&
                       fresh.remove_flags.size() == record.remove_flags.size();
            };
            auto group = mark_sent(seqs, fits);
            for (const auto& member : group) handled_here.insert(member.record.seq);
            if (group.empty()) continue;
            if (record.kind == QueueKind::flags) replay_flags(context_, group);
            else replay_remove(context_, group);
        } else {
            auto sent = mark_sent({record.seq}, {});
            if (sent.empty()) continue;
            if (record.kind == QueueKind::append) replay_append(context_, sent.front());
            else replay_move_or_copy(context_, sent.front());
        }
        if (ledger_.refused_in_this_run(record.seq)) hold_refused(dependencies, record.seq);
    }
    return progressed;
}

// A record refused just now holds back what depends on it, as the store has it now (refused for
// good or not, and since when).
void QueueWalk::hold_refused(Dependencies& dependencies, Seq seq) const {
    const auto record = store_.read([&](const store::ReadTxn& txn) { return txn.queue_entry(seq); });
    if (record) dependencies.hold(*record, refused_for_good(*record, options_.max_attempts));
}

// The records that can go with queue[first] in one command: same kind, mailbox and change, up to
// the next mailbox record, and none of whose message has a record between them that stays behind.
std::vector<std::size_t> QueueWalk::gather_group(const std::vector<QueueRecord>& queue, std::size_t first,
                                                const std::set<MessageId>& blocked) const {
    const QueueRecord& lead = queue[first];
    std::vector<std::size_t> members{first};
    std::set<MessageId> passed_over;
    for (std::size_t j = first + 1; j < queue.size() && members.size() < options_.max_group; ++j) {
        const QueueRecord& record = queue[j];
        if (is_mailbox_kind(record.kind)) break;
        if (record.state == QueueState::confirmed || ledger_.confirmed_in_this_run(record.seq)) continue;
        const bool fits = record.kind == lead.kind && record.name == lead.name &&
                          record.uidvalidity == lead.uidvalidity && record.add_flags == lead.add_flags &&
                          record.remove_flags == lead.remove_flags && record.uid.has_value() == lead.uid.has_value() &&
                          !ledger_.refused_in_this_run(record.seq) && !blocked.count(record.message) &&
                          !passed_over.count(record.message);
        if (fits) {
            members.push_back(j);
        } else {
            if (record.message) passed_over.insert(record.message);
            if (record.copy_message) passed_over.insert(record.copy_message);
        }
    }
    return members;
}

// pending (or refused, to try again) → sent, in one write transaction (attempts counts refusals,
// not sends: a cut connection is no reason to give a change up); the records are re-read inside it and the
// commands are built from those copies. Records gone meanwhile (cancelled by a local command) or
// no longer fitting the group are left out.
std::vector<MarkedRecord> QueueWalk::mark_sent(const std::vector<Seq>& seqs, const std::function<bool(const QueueRecord&)>& fits) {
    const store::UnixTime when = ledger_.now();
    return store_.write([&](store::WriteTxn& txn) {
        std::vector<MarkedRecord> out;
        for (Seq seq : seqs) {
            auto record = txn.queue_entry(seq);
            if (!record) continue;
            if (record->state == QueueState::confirmed) {
                txn.remove_queue_entry(seq);
                continue;
            }
            if (fits && !fits(*record)) continue;
            MarkedRecord sent;
            sent.may_have_reached_server = record->state == QueueState::sent;
            record->state = QueueState::sent;
            record->sent_at = when;
            txn.put_queue_entry(*record);
            sent.record = *record;
            out.push_back(std::move(sent));
        }
        return out;
    });
}

}  // namespace

ReplayReport replay(imap::Session& session, store::Store& store, const ReplayOptions& options) {
    QueueWalk walk(session, store, options);
    return walk.run();
}

std::string imap_internal_date(store::UnixTime time, std::int16_t zone_minutes) {
    static constexpr std::array<const char*, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::time_t local = static_cast<std::time_t>(time + zone_minutes * 60);
    std::tm parts{};
    ::gmtime_r(&local, &parts);
    const int zone = zone_minutes < 0 ? -zone_minutes : zone_minutes;
    return fmt::format("{:02}-{}-{:04} {:02}:{:02}:{:02} {}{:02}{:02}", parts.tm_mday,
                       months[static_cast<std::size_t>(parts.tm_mon)], parts.tm_year + 1900, parts.tm_hour,
                       parts.tm_min, parts.tm_sec, zone_minutes < 0 ? '-' : '+', zone / 60, zone % 60);
}

}  // namespace mailsync::sync

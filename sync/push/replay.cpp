#include "sync/push/replay.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/rules/conflict_rules.hpp"
#include "sync/rules/flag_merge.hpp"
#include "sync/imap/mutf7.hpp"
#include "sync/local/local_message_file.hpp"

namespace mailsync::sync {
namespace {

using store::MailboxId;
using store::MessageId;
using store::QueueKind;
using store::QueueRecord;
using store::QueueState;
using store::Seq;
using store::Uid;
using Flags = std::vector<std::string>;

// A command line holding a UID set stays well under the servers' limits.
constexpr std::size_t uid_set_bytes = 6000;

// The server said NO (or BAD) to one change: that record fails, the others go on.
struct Refused {
    std::string why;
};

bool is_mailbox_kind(QueueKind kind) {
    return kind == QueueKind::create_mailbox || kind == QueueKind::rename_mailbox || kind == QueueKind::delete_mailbox;
}

bool same_name(const std::string& a, const std::string& b) {
    const auto upper = [](std::string s) {
        for (char& c : s)
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        return s;
    };
    return a == b || (upper(a) == "INBOX" && upper(b) == "INBOX");
}

std::string display(const std::string& wire) { return "'" + imap::mailbox_display_name(wire) + "'"; }

Flags without_recent(const Flags& flags) { return normalize_flags(flags); }

struct ServerFlags {
    Flags flags;
    std::uint64_t modseq = 0;
};

// What identifies a message on the server when its UID is unknown.
struct Identity {
    std::string message_id;
    std::uint64_t size = 0;
};

// A record marked sent, and whether it had been sent before (a crash or cut since).
struct Sent {
    QueueRecord record;
    bool was_sent = false;
};

struct Outcome {
    ReplayDecision decision;
    std::string server_change;
};

class Replayer final : public imap::UntaggedHandler {
public:
    Replayer(imap::Session& session, store::Store& store, const ReplayOptions& options)
        : session_(session), store_(store), options_(options) {
        condstore_ = session_.has_capability("CONDSTORE") || session_.has_capability("QRESYNC");
        session_.set_handler(this);
    }
    ~Replayer() override { session_.set_handler(nullptr); }
    Replayer(const Replayer&) = delete;
    Replayer& operator=(const Replayer&) = delete;

    ReplayReport run();
    void on_untagged(const imap::Response& response) override;

private:
    // ---- the walk
    bool pass();
    std::vector<std::size_t> gather_group(const std::vector<QueueRecord>& queue, std::size_t first,
                                          const std::set<MessageId>& blocked) const;
    std::vector<Sent> mark_sent(const std::vector<Seq>& seqs, const std::function<bool(const QueueRecord&)>& fits);

    // ---- kinds
    void flags_group(std::vector<Sent> group);
    void remove_group(std::vector<Sent> group);
    void move_or_copy(const Sent& sent);
    void append(const Sent& sent);
    void mailbox_change(const Sent& sent);
    void reupload(const Sent& sent, ServerFinding finding, const std::string& server_change);

    // ---- server helpers
    bool select(const std::string& name);
    void leave();
    std::optional<Uid> resolve_uid(const QueueRecord& record);
    std::map<Uid, ServerFlags> fetch_flags(const imap::SequenceSet& uids);
    imap::SequenceSet store_flags(const imap::SequenceSet& uids, const Flags& flags, imap::cmd::StoreMode mode,
                                  std::optional<std::uint64_t> unchanged_since);
    void expunge_exactly(const imap::SequenceSet& uids);
    struct Placed {
        std::optional<Uid> uid;
        std::uint32_t uidvalidity = 0;
        bool recreated = false;
    };
    Placed append_to(const std::string& name, MailboxId local_mailbox, const Flags& flags, store::UnixTime date,
                     std::int16_t zone, const store::BodyHash& hash, const Identity& identity);
    std::optional<Uid> find_in(const std::string& name, MailboxId local_mailbox, const Identity& identity);
    bool mailbox_exists(const std::string& name);
    void create(const std::string& name);
    Identity identity_of(MessageId message, const std::optional<store::BodyHash>& hash);

    // ---- store helpers
    void finish(const QueueRecord& record, const Outcome& outcome,
                const std::function<void(store::WriteTxn&)>& fold = {});
    void fail(const QueueRecord& record, const std::string& why);
    void place(store::WriteTxn& txn, MessageId message, MailboxId mailbox, Uid uid, std::uint32_t uidvalidity,
               Seq after);
    store::UnixTime now() const;

    imap::Session& session_;
    store::Store& store_;
    const ReplayOptions& options_;
    bool condstore_ = false;
    ReplayReport report_;

    std::optional<std::string> selected_;
    std::uint32_t uidvalidity_ = 0;

    std::set<Seq> done_;     // confirmed in this run
    std::set<Seq> failed_;   // refused in this run: left queued

    // Untagged data of the command running.
    std::map<Uid, ServerFlags> fetched_;
    std::map<Uid, std::uint64_t> fetched_sizes_;
    imap::SequenceSet searched_;
    std::optional<imap::code::CopyUid> copyuid_;
    std::vector<imap::ListData> listed_;
    std::vector<imap::StatusData> statuses_;
};

// ---- untagged data ----------------------------------------------------------------------------

void Replayer::on_untagged(const imap::Response& response) {
    if (const auto* fetch = std::get_if<imap::FetchData>(&response)) {
        if (!fetch->uid) return;
        if (fetch->flags || fetch->modseq) {
            auto& entry = fetched_[*fetch->uid];
            if (fetch->flags) entry.flags = without_recent(*fetch->flags);
            if (fetch->modseq) entry.modseq = *fetch->modseq;
        }
        if (fetch->rfc822_size) fetched_sizes_[*fetch->uid] = *fetch->rfc822_size;
    } else if (const auto* search = std::get_if<imap::SearchData>(&response)) {
        for (std::uint32_t uid : search->numbers)
            if (uid != 0) searched_.add(uid);
    } else if (const auto* esearch = std::get_if<imap::ESearchData>(&response)) {
        if (esearch->all) searched_.add(*esearch->all);
    } else if (const auto* status = std::get_if<imap::StatusResponse>(&response)) {
        // UID MOVE reports COPYUID in an untagged OK (RFC 6851 §4.3).
        if (status->code)
            if (const auto* copy = std::get_if<imap::code::CopyUid>(&*status->code)) copyuid_ = *copy;
    } else if (const auto* list = std::get_if<imap::ListData>(&response)) {
        listed_.push_back(*list);
    } else if (const auto* mailbox_status = std::get_if<imap::StatusData>(&response)) {
        statuses_.push_back(*mailbox_status);
    }
}

// ---- the walk -------------------------------------------------------------------------------

ReplayReport Replayer::run() {
    while (pass()) {
    }
    leave();
    report_.left = store_.read([](const store::ReadTxn& txn) {
        std::size_t left = 0;
        for (const auto& record : txn.queue())
            if (record.state != QueueState::confirmed) ++left;
        return left;
    });
    return report_;
}

// One walk over the queue as it is now; returns whether anything was done (local commands may
// have queued more meanwhile: the caller walks again until nothing is left to do).
bool Replayer::pass() {
    const auto queue = store_.read([](const store::ReadTxn& txn) { return txn.queue(); });
    bool progressed = false;
    bool left_behind = false;          // an earlier record stays queued
    std::set<MessageId> blocked;       // messages with an earlier record that stays queued
    std::set<Seq> handled_here;        // done as part of a group
    const auto block = [&](const QueueRecord& record) {
        left_behind = true;
        if (record.message) blocked.insert(record.message);
        if (record.copy_message) blocked.insert(record.copy_message);
    };
    const auto is_blocked = [&](const QueueRecord& record) {
        return blocked.count(record.message) > 0 || (record.copy_message && blocked.count(record.copy_message) > 0);
    };
    for (std::size_t i = 0; i < queue.size(); ++i) {
        const QueueRecord& record = queue[i];
        if (record.state == QueueState::confirmed) {
            store_.write([&](store::WriteTxn& txn) {
                if (auto fresh = txn.queue_entry(record.seq); fresh && fresh->state == QueueState::confirmed)
                    txn.remove_queue_entry(record.seq);
            });
            continue;
        }
        if (done_.count(record.seq) || handled_here.count(record.seq)) continue;
        if (failed_.count(record.seq)) {
            block(record);
            continue;
        }
        if (is_mailbox_kind(record.kind)) {
            // A barrier: later records rely on the names it changes.
            if (left_behind) return progressed;
            auto sent = mark_sent({record.seq}, {});
            if (sent.empty()) continue;
            progressed = true;
            mailbox_change(sent.front());
            if (failed_.count(record.seq)) return progressed;
            continue;
        }
        if (is_blocked(record)) {
            block(record);
            continue;
        }
        progressed = true;
        if (record.kind == QueueKind::flags || record.kind == QueueKind::remove) {
            const auto members = gather_group(queue, i, blocked);
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
            if (record.kind == QueueKind::flags) flags_group(std::move(group));
            else remove_group(std::move(group));
        } else {
            auto sent = mark_sent({record.seq}, {});
            if (sent.empty()) continue;
            if (record.kind == QueueKind::append) append(sent.front());
            else move_or_copy(sent.front());
        }
        if (failed_.count(record.seq)) block(record);
    }
    return progressed;
}

// The records that can go with queue[first] in one command: same kind, mailbox and change, up to
// the next mailbox record, and none of whose message has a record between them that stays behind.
std::vector<std::size_t> Replayer::gather_group(const std::vector<QueueRecord>& queue, std::size_t first,
                                                const std::set<MessageId>& blocked) const {
    const QueueRecord& lead = queue[first];
    std::vector<std::size_t> members{first};
    std::set<MessageId> passed_over;
    for (std::size_t j = first + 1; j < queue.size() && members.size() < options_.max_group; ++j) {
        const QueueRecord& record = queue[j];
        if (is_mailbox_kind(record.kind)) break;
        if (record.state == QueueState::confirmed || done_.count(record.seq)) continue;
        const bool fits = record.kind == lead.kind && record.name == lead.name &&
                          record.uidvalidity == lead.uidvalidity && record.add_flags == lead.add_flags &&
                          record.remove_flags == lead.remove_flags && record.uid.has_value() == lead.uid.has_value() &&
                          !failed_.count(record.seq) && !blocked.count(record.message) &&
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

// pending → sent, attempts+1, in one write transaction; the records are re-read inside it and the
// commands are built from those copies. Records gone meanwhile (cancelled by a local command) or
// no longer fitting the group are left out.
std::vector<Sent> Replayer::mark_sent(const std::vector<Seq>& seqs, const std::function<bool(const QueueRecord&)>& fits) {
    const store::UnixTime when = now();
    return store_.write([&](store::WriteTxn& txn) {
        std::vector<Sent> out;
        for (Seq seq : seqs) {
            auto record = txn.queue_entry(seq);
            if (!record) continue;
            if (record->state == QueueState::confirmed) {
                txn.remove_queue_entry(seq);
                continue;
            }
            if (fits && !fits(*record)) continue;
            Sent sent;
            sent.was_sent = record->state == QueueState::sent;
            record->state = QueueState::sent;
            record->attempts += 1;
            record->sent_at = when;
            txn.put_queue_entry(*record);
            sent.record = *record;
            out.push_back(std::move(sent));
        }
        return out;
    });
}

// ---- flags ----------------------------------------------------------------------------------

void Replayer::flags_group(std::vector<Sent> group) {
    const QueueRecord& lead = group.front().record;
    const Flags add = lead.add_flags;
    const Flags remove = lead.remove_flags;
    try {
        if (!select(lead.name)) {
            for (const auto& sent : group)
                finish(sent.record, {decide(QueueKind::flags, ServerFinding::message_gone),
                                     "the mailbox " + display(sent.record.name) + " was deleted"});
            return;
        }
        std::map<Uid, const Sent*> by_uid;
        for (const auto& sent : group) {
            const auto uid = resolve_uid(sent.record);
            if (!uid) {
                finish(sent.record, {decide(QueueKind::flags, ServerFinding::unplaced),
                                     sent.record.uid ? "the mailbox's UIDVALIDITY changed" : "it never reached the server"});
                continue;
            }
            by_uid[*uid] = &sent;
        }
        if (by_uid.empty()) return;
        imap::SequenceSet uids;
        for (const auto& [uid, sent] : by_uid) uids.add(uid);

        // Which still exist, and what the server did to their flags since the last sync.
        const auto before = fetch_flags(uids);
        imap::SequenceSet present;
        std::map<Uid, ServerFinding> finding;
        std::map<Uid, std::string> server_change;
        std::optional<std::uint64_t> since;
        for (const auto& [uid, sent] : by_uid) {
            const auto found = before.find(uid);
            if (found == before.end()) {
                finish(sent->record, {decide(QueueKind::flags, ServerFinding::message_gone), "the message was deleted"});
                continue;
            }
            present.add(uid);
            const auto& record = sent->record;
            const bool changed = server_changed_flags(found->second.flags, record.base_flags, add, remove, sent->was_sent);
            finding[uid] = changed ? ServerFinding::flags_changed : ServerFinding::as_before;
            server_change[uid] = fmt::format("flags changed from ({}) to ({})", fmt::join(record.base_flags, " "),
                                             fmt::join(found->second.flags, " "));
            if (condstore_ && uidvalidity_ != 0) {
                const std::uint64_t m = record.modseq != 0 ? record.modseq : found->second.modseq;
                if (m != 0) since = since ? std::min(*since, m) : m;
            }
        }
        if (present.empty()) return;
        if (!condstore_) since.reset();

        // +FLAGS / -FLAGS (UNCHANGEDSINCE): the per-flag merge, done by the server.
        fetched_.clear();
        imap::SequenceSet modified;
        if (!add.empty()) modified = store_flags(present, add, imap::cmd::StoreMode::add, since);
        if (!remove.empty()) {
            imap::SequenceSet rest = present;
            rest.remove(modified);
            if (!rest.empty())
                modified.add(store_flags(rest, remove, imap::cmd::StoreMode::remove, add.empty() ? since : std::nullopt));
        }
        std::map<Uid, std::uint64_t> new_modseq;
        for (const auto& [uid, flags] : fetched_)
            if (flags.modseq) new_modseq[uid] = flags.modseq;
        std::map<Uid, Flags> final_flags;
        for (Uid uid : present.values())
            if (!modified.contains(uid)) final_flags[uid] = apply_change(before.at(uid).flags, add, remove);

        // MODIFIED: the server changed them meanwhile. Re-read and store the merge, conditionally.
        for (unsigned round = 0; !modified.empty() && round < options_.max_modified_rounds; ++round) {
            const auto now_on_server = fetch_flags(modified);
            imap::SequenceSet again;
            for (Uid uid : modified.values()) {
                const auto found = now_on_server.find(uid);
                if (found == now_on_server.end()) {
                    finish(by_uid.at(uid)->record,
                           {decide(QueueKind::flags, ServerFinding::message_gone), "the message was deleted"});
                    continue;
                }
                const Flags merged = apply_change(found->second.flags, add, remove);
                imap::SequenceSet one;
                one.add(uid);
                fetched_.clear();
                const auto refused =
                    store_flags(one, merged, imap::cmd::StoreMode::replace,
                                condstore_ && found->second.modseq ? std::optional(found->second.modseq) : std::nullopt);
                if (!refused.empty()) {
                    again.add(uid);
                    continue;
                }
                if (auto m = fetched_.find(uid); m != fetched_.end() && m->second.modseq) new_modseq[uid] = m->second.modseq;
                final_flags[uid] = merged;
                if (server_changed_flags(found->second.flags, by_uid.at(uid)->record.base_flags, add, remove, true))
                    finding[uid] = ServerFinding::flags_changed;
                server_change[uid] = fmt::format("flags changed from ({}) to ({})",
                                                 fmt::join(by_uid.at(uid)->record.base_flags, " "),
                                                 fmt::join(found->second.flags, " "));
            }
            modified = again;
        }
        for (Uid uid : modified.values())
            fail(by_uid.at(uid)->record, "the server kept changing the message's flags (MODIFIED)");

        for (const auto& [uid, flags] : final_flags) {
            const QueueRecord& record = by_uid.at(uid)->record;
            const std::uint64_t modseq = new_modseq.count(uid) ? new_modseq.at(uid) : 0;
            finish(record, {decide(QueueKind::flags, finding.at(uid)), server_change.at(uid)},
                   [&, uid = uid](store::WriteTxn& txn) {
                       auto message = txn.message(record.message);
                       if (!message || message->mailbox != record.mailbox || message->uid != uid) return;
                       if (take_server_flags(*message, flags, modseq)) txn.put_message(*message);
                   });
        }
    } catch (const Refused& refused) {
        for (const auto& sent : group)
            if (!done_.count(sent.record.seq) && !failed_.count(sent.record.seq)) fail(sent.record, refused.why);
    }
}

// ---- remove ---------------------------------------------------------------------------------

void Replayer::remove_group(std::vector<Sent> group) {
    const QueueRecord& lead = group.front().record;
    try {
        if (!select(lead.name)) {
            for (const auto& sent : group)
                finish(sent.record, {decide(QueueKind::remove, ServerFinding::message_gone), "the mailbox was deleted"});
            return;
        }
        std::map<Uid, const Sent*> by_uid;
        for (const auto& sent : group) {
            const auto uid = resolve_uid(sent.record);
            if (!uid) {
                finish(sent.record, {decide(QueueKind::remove, ServerFinding::unplaced),
                                     sent.record.uid ? "the mailbox's UIDVALIDITY changed" : "it never reached the server"});
                continue;
            }
            by_uid[*uid] = &sent;
        }
        if (by_uid.empty()) return;
        if (!session_.has_capability("UIDPLUS"))
            throw Refused{"the server does not offer UIDPLUS (UID EXPUNGE): refusing to delete, since a plain EXPUNGE "
                          "would also remove other clients' messages marked \\Deleted"};
        imap::SequenceSet uids;
        for (const auto& [uid, sent] : by_uid) uids.add(uid);
        const auto before = fetch_flags(uids);
        imap::SequenceSet present;
        for (const auto& [uid, sent] : by_uid) {
            if (before.count(uid)) present.add(uid);
            else finish(sent->record, {decide(QueueKind::remove, ServerFinding::message_gone), "the message was deleted"});
        }
        if (present.empty()) return;
        store_flags(present, {"\\Deleted"}, imap::cmd::StoreMode::add, std::nullopt);
        expunge_exactly(present);
        for (Uid uid : present.values()) {
            const QueueRecord& record = by_uid.at(uid)->record;
            const auto& flags = before.at(uid).flags;
            const bool changed = server_changed_flags(flags, record.base_flags, {}, {}, false);
            finish(record, {decide(QueueKind::remove, changed ? ServerFinding::flags_changed : ServerFinding::as_before),
                            fmt::format("flags changed from ({}) to ({})", fmt::join(record.base_flags, " "),
                                        fmt::join(flags, " "))});
        }
    } catch (const Refused& refused) {
        for (const auto& sent : group)
            if (!done_.count(sent.record.seq) && !failed_.count(sent.record.seq)) fail(sent.record, refused.why);
    }
}

// ---- move, copy -----------------------------------------------------------------------------

void Replayer::move_or_copy(const Sent& sent) {
    const QueueRecord& record = sent.record;
    const bool move = record.kind == QueueKind::move;
    const MessageId placed = move ? record.message : record.copy_message;
    const std::string& destination = record.new_name;
    try {
        const bool source_there = select(record.name);
        const std::optional<Uid> uid = source_there ? resolve_uid(record) : std::nullopt;
        if (!uid) {
            reupload(sent, source_there ? ServerFinding::unplaced : ServerFinding::message_gone,
                     source_there ? (record.uid ? "the mailbox's UIDVALIDITY changed" : "it never reached the server")
                                  : "the mailbox " + display(record.name) + " was deleted");
            return;
        }
        const bool use_move = move && session_.has_capability("MOVE");
        if (move && !use_move && !session_.has_capability("UIDPLUS"))
            throw Refused{"the server offers neither MOVE nor UIDPLUS: refusing to move, since COPY would need a plain "
                          "EXPUNGE, which also removes other clients' messages marked \\Deleted"};
        const Identity identity = identity_of(placed, record.body_hash);
        const auto expunge_source = [&](Uid source_uid) {
            if (!select(record.name)) return;
            imap::SequenceSet one;
            one.add(source_uid);
            store_flags(one, {"\\Deleted"}, imap::cmd::StoreMode::add, std::nullopt);
            expunge_exactly(one);
        };
        const auto done = [&](Uid new_uid, std::uint32_t uidvalidity, const Outcome& outcome) {
            finish(record, outcome, [&](store::WriteTxn& txn) {
                place(txn, placed, record.target_mailbox, new_uid, uidvalidity, record.seq);
            });
        };
        // A COPY that may have happened before a crash is looked for before copying again.
        if (sent.was_sent && !use_move) {
            if (auto found = find_in(destination, record.target_mailbox, identity)) {
                const std::uint32_t validity = uidvalidity_;
                if (move) expunge_source(*uid);
                done(*found, validity, {});
                return;
            }
            if (!select(record.name)) {
                reupload(sent, ServerFinding::message_gone, "the mailbox " + display(record.name) + " was deleted");
                return;
            }
        }
        Outcome outcome;
        imap::SequenceSet one;
        one.add(*uid);
        const auto send = [&] {
            copyuid_.reset();
            return use_move ? session_.run(imap::cmd::UidMove{one, destination})
                            : session_.run(imap::cmd::UidCopy{one, destination});
        };
        auto response = send();
        if (response.status == imap::Status::no && response.code &&
            std::holds_alternative<imap::code::TryCreate>(*response.code)) {
            outcome = {decide(record.kind, ServerFinding::target_gone), "the mailbox " + display(destination) + " was deleted"};
            create(destination);
            response = send();
        }
        if (response.status != imap::Status::ok) throw Refused{"server refused " + describe_change(record) + ": " + response.text};
        if (response.code)
            if (const auto* copy = std::get_if<imap::code::CopyUid>(&*response.code)) copyuid_ = *copy;
        std::optional<Uid> new_uid;
        std::uint32_t validity = 0;
        if (copyuid_ && copyuid_->source.contains(*uid)) {
            const auto sources = copyuid_->source.values();
            const auto destinations = copyuid_->destination.values();
            const auto at = std::find(sources.begin(), sources.end(), *uid) - sources.begin();
            if (static_cast<std::size_t>(at) < destinations.size()) {
                new_uid = destinations[static_cast<std::size_t>(at)];
                validity = copyuid_->uidvalidity;
            }
        }
        if (!new_uid) {
            // Nothing was copied (the server expunged it meanwhile), or the server has no UIDPLUS.
            new_uid = find_in(destination, record.target_mailbox, identity);
            validity = uidvalidity_;
            if (!new_uid) {
                reupload(sent, ServerFinding::message_gone, "the message was deleted");
                return;
            }
        }
        if (move && !use_move) expunge_source(*uid);
        done(*new_uid, validity, outcome);
    } catch (const Refused& refused) {
        fail(record, refused.why);
    } catch (const Error& error) {
        if (error.category() != ErrorCategory::bad_input && error.category() != ErrorCategory::io) throw;
        fail(record, error.what());
    }
}

// The move/copy-of-expunged rule: the mirror's body goes into the destination (APPEND).
void Replayer::reupload(const Sent& sent, ServerFinding finding, const std::string& server_change) {
    const QueueRecord& record = sent.record;
    const MessageId placed = record.kind == QueueKind::copy ? record.copy_message : record.message;
    Outcome outcome{decide(record.kind, finding), server_change};
    if (!record.body_hash || !store_.has_body(*record.body_hash)) {
        fail(record, "cannot upload the message again: its body is not in the store");
        return;
    }
    const auto message = store_.read([&](const store::ReadTxn& txn) { return txn.message(placed); });
    const Flags flags = message ? message->flags : record.base_flags;
    const Identity identity = identity_of(placed, record.body_hash);
    // An upload before a crash is looked for first.
    std::optional<Uid> found;
    if (sent.was_sent) found = find_in(record.new_name, record.target_mailbox, identity);
    Placed result;
    if (found) {
        result.uid = found;
        result.uidvalidity = uidvalidity_;
    } else {
        result = append_to(record.new_name, record.target_mailbox, flags, message ? message->internaldate : 0,
                           message ? message->internaldate_zone_minutes : std::int16_t{0}, *record.body_hash, identity);
    }
    if (!result.uid) {
        fail(record, "the server took the message but did not say where (no APPENDUID, not found by Message-ID)");
        return;
    }
    finish(record, outcome, [&](store::WriteTxn& txn) {
        place(txn, placed, record.target_mailbox, *result.uid, result.uidvalidity, record.seq);
        // Uploaded with the mirror's flags: that is what the server has now.
        if (auto m = txn.message(placed); m && m->uid == result.uid) {
            m->synced_flags = m->flags;
            txn.put_message(*m);
        }
    });
}

// ---- append ---------------------------------------------------------------------------------

void Replayer::append(const Sent& sent) {
    const QueueRecord& record = sent.record;
    try {
        if (!record.body_hash) throw Refused{"the queued append names no body"};
        const Identity identity = identity_of(record.message, record.body_hash);
        std::optional<Uid> found;
        std::uint32_t validity = 0;
        if (sent.was_sent) {
            found = find_in(record.name, record.mailbox, identity);
            validity = uidvalidity_;
        }
        Outcome outcome;
        if (!found) {
            const Placed result = append_to(record.name, record.mailbox, record.add_flags, record.internaldate,
                                            record.internaldate_zone_minutes, *record.body_hash, identity);
            if (result.recreated)
                outcome = {decide(QueueKind::append, ServerFinding::target_gone),
                           "the mailbox " + display(record.name) + " was deleted"};
            found = result.uid;
            validity = result.uidvalidity;
        }
        if (!found) {
            fail(record, "the server took the message but did not say where (no APPENDUID, not found by Message-ID)");
            return;
        }
        finish(record, outcome, [&](store::WriteTxn& txn) {
            place(txn, record.message, record.mailbox, *found, validity, record.seq);
        });
    } catch (const Refused& refused) {
        fail(record, refused.why);
    } catch (const Error& error) {
        if (error.category() != ErrorCategory::bad_input && error.category() != ErrorCategory::io) throw;
        fail(record, error.what());
    }
}

// ---- mailboxes ------------------------------------------------------------------------------

void Replayer::mailbox_change(const Sent& sent) {
    const QueueRecord& record = sent.record;
    try {
        leave();
        const auto outcome_for = [&](ServerFinding finding, std::string words) {
            return Outcome{decide(record.kind, finding), std::move(words)};
        };
        switch (record.kind) {
            case QueueKind::create_mailbox: {
                const auto response = session_.run(imap::cmd::Create{record.name, std::nullopt});
                Outcome outcome;
                if (response.status != imap::Status::ok) {
                    outcome = mailbox_exists(record.name)
                                  ? outcome_for(ServerFinding::name_taken, "the server has it already")
                                  : outcome_for(ServerFinding::refused, "the server refused it: " + response.text);
                }
                if (outcome.decision.action != ReplayAction::keep_server)
                    session_.run(imap::cmd::Subscribe{record.name});   // best effort
                finish(record, outcome, [&](store::WriteTxn& txn) {
                    if (auto mailbox = txn.mailbox(record.mailbox); mailbox && mailbox->created_offline) {
                        mailbox->created_offline = false;
                        txn.put_mailbox(*mailbox);
                    }
                });
                return;
            }
            case QueueKind::rename_mailbox: {
                const auto response = session_.run(imap::cmd::Rename{record.name, record.new_name});
                Outcome outcome;
                if (response.status != imap::Status::ok) {
                    const bool old_there = mailbox_exists(record.name);
                    const bool new_there = mailbox_exists(record.new_name);
                    if (!old_there && !new_there) {
                        outcome = outcome_for(ServerFinding::mailbox_gone, "the mailbox was deleted");
                        create(record.new_name);
                    } else if (old_there && new_there) {
                        outcome = outcome_for(ServerFinding::name_taken, "the server has a mailbox " + display(record.new_name));
                    } else if (old_there) {
                        outcome = outcome_for(ServerFinding::refused, "the server refused it: " + response.text);
                    }   // else: renamed already (before a crash)
                }
                if (outcome.decision.action != ReplayAction::keep_server)
                    session_.run(imap::cmd::Subscribe{record.new_name});   // best effort
                finish(record, outcome);
                return;
            }
            case QueueKind::delete_mailbox: {
                statuses_.clear();
                const auto status = session_.run(imap::cmd::Status{record.name, {"MESSAGES"}});
                if (status.status != imap::Status::ok) {
                    finish(record, outcome_for(ServerFinding::mailbox_gone, "deleted already"));
                    return;
                }
                std::uint32_t messages = 0;
                // Only a STATUS with MESSAGES counts: under NOTIFY (watch) the server may also send
                // one of its own, e.g. (HIGHESTMODSEQ n) for a flag change, which says nothing of it.
                for (const auto& data : statuses_)
                    if (same_name(data.mailbox, record.name) && data.messages) messages = *data.messages;
                if (messages > 0) {
                    finish(record, outcome_for(ServerFinding::mailbox_not_empty,
                                               fmt::format("{} messages arrived in it", messages)));
                    return;
                }
                const auto response = session_.run(imap::cmd::Delete{record.name});
                Outcome outcome;
                if (response.status != imap::Status::ok && mailbox_exists(record.name))
                    outcome = outcome_for(ServerFinding::refused, "the server refused it: " + response.text);
                finish(record, outcome);
                return;
            }
            case QueueKind::flags:
            case QueueKind::move:
            case QueueKind::copy:
            case QueueKind::remove:
            case QueueKind::append: break;
        }
        throw Error(ErrorCategory::internal, "mailbox_change called for a message record");
    } catch (const Refused& refused) {
        fail(record, refused.why);
    }
}

// ---- server helpers -------------------------------------------------------------------------

bool Replayer::select(const std::string& name) {
    if (selected_ && *selected_ == name) return true;
    imap::cmd::Select command;
    command.mailbox = name;
    command.condstore = condstore_;
    const auto selected = session_.select(command, true);
    if (!selected) {
        selected_.reset();
        return false;
    }
    selected_ = name;
    uidvalidity_ = selected->uidvalidity;
    return true;
}

// Never CLOSE: it would expunge every message marked \Deleted, other clients' included.
void Replayer::leave() {
    if (!selected_) return;
    selected_.reset();
    if (session_.has_capability("UNSELECT")) session_.run(imap::cmd::Unselect{});
}

// The record's UID, if it still means the message: the mailbox's UIDVALIDITY is the one the record
// was made against, or the pull re-paired the message (then the message's own UID counts).
std::optional<Uid> Replayer::resolve_uid(const QueueRecord& record) {
    if (!record.uid) return std::nullopt;
    if (record.uidvalidity == 0 || record.uidvalidity == uidvalidity_) return record.uid;
    return store_.read([&](const store::ReadTxn& txn) -> std::optional<Uid> {
        const auto message = txn.message(record.message);
        const auto mailbox = txn.mailbox(record.mailbox);
        if (message && mailbox && message->mailbox == record.mailbox && message->uid &&
            mailbox->uidvalidity == uidvalidity_)
            return message->uid;
        return std::nullopt;
    });
}

std::map<Uid, ServerFlags> Replayer::fetch_flags(const imap::SequenceSet& uids) {
    fetched_.clear();
    for (const auto& piece : uids.split(uid_set_bytes)) {
        imap::cmd::UidFetch fetch;
        fetch.uids = piece;
        fetch.items = {"UID", "FLAGS"};
        if (condstore_) fetch.items.emplace_back("MODSEQ");
        const auto response = session_.run(std::move(fetch));
        if (response.status != imap::Status::ok) throw Refused{"server refused to show the flags: " + response.text};
    }
    std::map<Uid, ServerFlags> result;
    for (auto& [uid, flags] : fetched_)
        if (uids.contains(uid)) result.emplace(uid, std::move(flags));
    fetched_.clear();
    return result;
}

// Returns the UIDs the server reported MODIFIED (not stored).
imap::SequenceSet Replayer::store_flags(const imap::SequenceSet& uids, const Flags& flags, imap::cmd::StoreMode mode,
                                        std::optional<std::uint64_t> unchanged_since) {
    imap::SequenceSet modified;
    for (const auto& piece : uids.split(uid_set_bytes)) {
        imap::cmd::UidStore store;
        store.uids = piece;
        store.unchanged_since = unchanged_since;
        store.mode = mode;
        store.silent = true;
        store.flags = flags;
        const auto response = session_.run(std::move(store));
        if (response.code)
            if (const auto* m = std::get_if<imap::code::Modified>(&*response.code)) modified.add(m->set);
        if (response.status != imap::Status::ok) throw Refused{"server refused to store flags: " + response.text};
    }
    return modified;
}

void Replayer::expunge_exactly(const imap::SequenceSet& uids) {
    for (const auto& piece : uids.split(uid_set_bytes)) {
        const auto response = session_.run(imap::cmd::UidExpunge{piece});
        if (response.status != imap::Status::ok) throw Refused{"server refused UID EXPUNGE: " + response.text};
    }
}

Replayer::Placed Replayer::append_to(const std::string& name, MailboxId local_mailbox, const Flags& flags,
                                     store::UnixTime date, std::int16_t zone, const store::BodyHash& hash,
                                     const Identity& identity) {
    imap::cmd::Append command;
    command.mailbox = name;
    command.flags = without_recent(flags);
    if (date != 0) command.internal_date = imap_internal_date(date, zone);
    command.path = store_.body_path(hash).string();
    std::error_code error;
    command.size = std::filesystem::file_size(command.path, error);
    if (error) throw Error(ErrorCategory::io, fmt::format("cannot read {}: {}", command.path, error.message()));
    Placed placed;
    auto response = session_.run(command);
    if (response.status == imap::Status::no && response.code &&
        std::holds_alternative<imap::code::TryCreate>(*response.code)) {
        create(name);
        placed.recreated = true;
        response = session_.run(command);
    }
    if (response.status != imap::Status::ok) throw Refused{"server refused APPEND to " + display(name) + ": " + response.text};
    if (response.code)
        if (const auto* uid = std::get_if<imap::code::AppendUid>(&*response.code); uid && uid->uids.min()) {
            placed.uid = uid->uids.min();
            placed.uidvalidity = uid->uidvalidity;
        }
    if (!placed.uid) {
        // No UIDPLUS: find it by Message-ID and size.
        placed.uid = find_in(name, local_mailbox, identity);
        placed.uidvalidity = uidvalidity_;
    }
    return placed;
}

// A message in mailbox `name` with this Message-ID and size that the mirror does not know there:
// the result of a change of ours that reached the server before a crash or a cut.
std::optional<Uid> Replayer::find_in(const std::string& name, MailboxId local_mailbox, const Identity& identity) {
    if (identity.message_id.empty()) return std::nullopt;
    if (!select(name)) return std::nullopt;
    searched_ = {};
    imap::cmd::UidSearch search;
    search.header = std::make_pair(std::string("Message-ID"), identity.message_id);
    const auto response = session_.run(std::move(search));
    if (response.status != imap::Status::ok) return std::nullopt;
    imap::SequenceSet candidates = searched_;
    store_.read([&](const store::ReadTxn& txn) {
        const auto mailbox = txn.mailbox(local_mailbox);
        if (!mailbox || mailbox->uidvalidity != uidvalidity_) return;
        txn.for_each_uid(local_mailbox, [&](Uid uid, MessageId) {
            if (candidates.contains(uid)) candidates.remove(uid);
        });
    });
    if (candidates.empty()) return std::nullopt;
    if (identity.size == 0) return candidates.min();
    fetched_sizes_.clear();
    imap::cmd::UidFetch fetch;
    fetch.uids = candidates;
    fetch.items = {"UID", "RFC822.SIZE"};
    if (session_.run(std::move(fetch)).status != imap::Status::ok) return std::nullopt;
    for (Uid uid : candidates.values())
        if (auto size = fetched_sizes_.find(uid); size != fetched_sizes_.end() && size->second == identity.size)
            return uid;
    return std::nullopt;
}

bool Replayer::mailbox_exists(const std::string& name) {
    listed_.clear();
    imap::cmd::List list;
    list.pattern = name;
    if (session_.run(std::move(list)).status != imap::Status::ok) return false;
    return std::any_of(listed_.begin(), listed_.end(), [&](const imap::ListData& data) {
        return same_name(data.mailbox, name) &&
               std::find(data.attributes.begin(), data.attributes.end(), "\\NONEXISTENT") == data.attributes.end() &&
               std::find(data.attributes.begin(), data.attributes.end(), "\\NOSELECT") == data.attributes.end();
    });
}

// CREATE, for a mailbox the server deleted while local changes still put mail there.
void Replayer::create(const std::string& name) {
    const auto response = session_.run(imap::cmd::Create{name, std::nullopt});
    if (response.status != imap::Status::ok && !mailbox_exists(name))
        throw Refused{"server refused to create " + display(name) + ": " + response.text};
    session_.run(imap::cmd::Subscribe{name});
}

Identity Replayer::identity_of(MessageId message, const std::optional<store::BodyHash>& hash) {
    Identity identity;
    const auto record = store_.read([&](const store::ReadTxn& txn) { return txn.message(message); });
    if (record) {
        identity.message_id = record->message_id;
        identity.size = record->size;
    }
    if (hash && store_.has_body(*hash)) {
        std::error_code error;
        const auto size = std::filesystem::file_size(store_.body_path(*hash), error);
        if (!error) identity.size = size;
        if (identity.message_id.empty()) {
            auto body = store_.open_body(*hash);
            if (auto header = read_message_header(body)) identity.message_id = header->message_id;
        }
    }
    return identity;
}

// ---- store helpers --------------------------------------------------------------------------

store::UnixTime Replayer::now() const {
    if (options_.now) return options_.now();
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Folds the answer in, records the conflict when a rule decided one, and deletes the record: one
// transaction, so a crash leaves either the record `sent` (resolved again next time) or all of it.
void Replayer::finish(const QueueRecord& record, const Outcome& outcome, const std::function<void(store::WriteTxn&)>& fold) {
    const store::UnixTime when = now();
    const bool conflict = outcome.decision.conflict();
    store_.write([&](store::WriteTxn& txn) {
        if (fold) fold(txn);
        if (txn.queue_entry(record.seq)) txn.remove_queue_entry(record.seq);
        if (conflict) {
            store::ConflictRecord entry;
            entry.time = when;
            entry.message = record.kind == QueueKind::copy ? record.copy_message : record.message;
            entry.mailbox = record.mailbox;
            entry.uid = record.uid;
            entry.rule = std::string(outcome.decision.rule);
            entry.local_change = describe_change(record);
            entry.server_change = outcome.server_change;
            entry.resolution = std::string(outcome.decision.resolution);
            txn.add_conflict(std::move(entry));
        }
    });
    done_.insert(record.seq);
    ++report_.confirmed;
    if (conflict) ++report_.conflicts;
    if (options_.on_record) options_.on_record(record.seq);
}

void Replayer::fail(const QueueRecord& record, const std::string& why) {
    if (record.attempts >= options_.max_attempts) {
        finish(record, {decide(record.kind, ServerFinding::refused), why});
        return;
    }
    store_.write([&](store::WriteTxn& txn) {
        auto fresh = txn.queue_entry(record.seq);
        if (!fresh) return;
        fresh->last_error = why;
        txn.put_queue_entry(*fresh);
    });
    failed_.insert(record.seq);
    ++report_.failed;
    report_.failures.push_back(describe_change(record) + ": " + why);
    if (options_.on_record) options_.on_record(record.seq);
}

// The contract's fold-back rule: message M got UID `uid` in mailbox X.
void Replayer::place(store::WriteTxn& txn, MessageId message, MailboxId mailbox, Uid uid, std::uint32_t uidvalidity,
                     Seq after) {
    for (auto record : txn.queue()) {
        if (record.seq <= after || record.state == QueueState::confirmed) continue;
        if (record.message != message || record.mailbox != mailbox || record.uid) continue;
        record.uid = uid;
        record.uidvalidity = uidvalidity;
        txn.put_queue_entry(record);
    }
    auto record = txn.message(message);
    if (!record || record->mailbox != mailbox || record->uid) return;
    // A pull that ran meanwhile may have downloaded it as new mail: it is this message.
    if (auto other = txn.message_by_uid(mailbox, uid); other && other->id != message) txn.remove_message(other->id);
    record->uid = uid;
    record->modseq = 0;
    txn.put_message(*record);
}

}  // namespace

ReplayReport replay(imap::Session& session, store::Store& store, const ReplayOptions& options) {
    Replayer replayer(session, store, options);
    return replayer.run();
}

imap::SequenceSet locally_removed_uids(const store::ReadTxn& txn, MailboxId mailbox, std::uint32_t uidvalidity) {
    imap::SequenceSet uids;
    for (const auto& record : txn.queue()) {
        if (record.state == QueueState::confirmed || record.mailbox != mailbox || !record.uid) continue;
        if (record.kind != QueueKind::move && record.kind != QueueKind::remove) continue;
        if (record.uidvalidity != 0 && uidvalidity != 0 && record.uidvalidity != uidvalidity) continue;
        uids.add(*record.uid);
    }
    return uids;
}

bool has_outstanding_changes(store::Store& store) {
    return store.read([](const store::ReadTxn& txn) {
        for (const auto& record : txn.queue())
            if (record.state != QueueState::confirmed) return true;
        return false;
    });
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

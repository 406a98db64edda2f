#include "sync/pull/mailbox_sync.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "sync/imap/mutf7.hpp"
#include "sync/local/local_changes.hpp"
#include "sync/rules/flag_merge.hpp"
#include "sync/pull/selected_mailbox_listener.hpp"
#include "sync/pull/record_from_fetch.hpp"
#include "sync/pull/message_identity.hpp"
#include "sync/pull/new_messages.hpp"
#include "sync/pull/uid_sets.hpp"

namespace mailsync::sync {
namespace {

// Flags of known messages are compared this many at a time in the full comparison.
constexpr std::size_t flag_chunk = 5000;

struct ServerFlags {
    std::vector<std::string> flags;
    std::uint64_t modseq = 0;
};
using FlagChanges = std::map<store::Uid, ServerFlags>;

class MailboxSync {
public:
    MailboxSync(SharedPullState& context, imap::Session& session, store::MailboxId id, const ServerMailbox& server,
                MailboxReport& report)
        : context_(context),
          session_(session),
          id_(id),
          server_(server),
          report_(report),
          events_(session, session.is_enabled("QRESYNC")) {}

    void run();
    // The EXAMINE of sync_mailboxes_together(), when this mailbox's sync would be QRESYNC's; the
    // answer's FETCH data is kept from here on, for settle_together().
    std::optional<imap::cmd::Select> examine_together();
    // What run() does with the answer to examine_together(), when nothing more has to be asked in
    // the mailbox; false (a fallback or new mail): run() must do it all again.
    bool settle_together(const imap::SelectedMailbox& selected);
    void on_untagged(const imap::Response& response) { events_.on_untagged(response); }

private:
    imap::cmd::Select examine_command(const store::MailboxRecord& local, bool qresync, bool condstore);
    imap::SelectedMailbox examine(const store::MailboxRecord& local, bool qresync, bool condstore);
    imap::SequenceSet qresync_added(const store::MailboxRecord& local, const imap::SelectedMailbox& selected);
    bool qresync_pass(const store::MailboxRecord& local, const imap::SelectedMailbox& selected);
    bool condstore_pass(const store::MailboxRecord& local, const imap::SelectedMailbox& selected);
    void full_pass(const imap::SelectedMailbox& selected);
    void repair_uidvalidity(const imap::SelectedMailbox& selected);
    bool trustworthy(const store::MailboxRecord& local, const imap::SelectedMailbox& selected);
    bool count_matches(const imap::SelectedMailbox& selected);
    void finish(const imap::SelectedMailbox& selected, store::SyncMethod method);

    imap::SequenceSet mirror_uids();
    // The mirror's UIDs among `within`: a walk of those ranges of the index only.
    imap::SequenceSet mirror_uids_in(const imap::SequenceSet& within);
    std::uint64_t mirror_count();
    imap::SequenceSet server_uids(std::uint32_t from = 1);
    void fetch_flags(imap::cmd::UidFetch command, const std::string& what);
    void apply_flags(const FlagChanges& changes);
    void apply_expunges(const imap::SequenceSet& gone);
    void download(const imap::SequenceSet& uids, const imap::SelectedMailbox& selected);
    bool has_modseq(const imap::SelectedMailbox& selected) const { return selected.highestmodseq.has_value(); }
    std::size_t changes_per_write() const { return std::max<std::size_t>(1, context_.options.changes_per_write); }

    SharedPullState& context_;
    imap::Session& session_;
    store::MailboxId id_;
    const ServerMailbox& server_;
    MailboxReport& report_;
    SelectedMailboxListener events_;
    FlagChanges pending_select_changes_;   // FETCH data that came with SELECT (QRESYNC)
    std::uint32_t selected_exists_ = 0;
};

void MailboxSync::run() {
    const auto local = context_.store.read([&](const store::ReadTxn& txn) { return txn.mailbox(id_); });
    if (!local) throw Error(ErrorCategory::internal, fmt::format("mailbox {} vanished from the store during a sync", id_));
    const bool qresync_on = session_.is_enabled("QRESYNC");
    const bool condstore_on = qresync_on || session_.has_capability("CONDSTORE");
    const MethodChoice choice = context_.options.method;
    const bool uidvalidity_changed = local->uidvalidity != 0 && server_.has_status && server_.uidvalidity != local->uidvalidity;
    const bool incremental = local->last_sync_method != store::SyncMethod::never && local->highestmodseq != 0 && !uidvalidity_changed;
    const bool want_qresync = incremental && qresync_on && (choice == MethodChoice::best || choice == MethodChoice::qresync);
    const bool want_condstore = incremental && condstore_on && !want_qresync && choice != MethodChoice::plain;

    const imap::SelectedMailbox selected = examine(*local, want_qresync, condstore_on && choice != MethodChoice::plain);
    // 0 is how the mirror says "not known yet": taken from the server, it would hide every later change.
    if (selected.uidvalidity == 0) {
        throw Error(ErrorCategory::protocol,
                    fmt::format("the server gave mailbox '{}' UIDVALIDITY 0, which RFC 3501 forbids (it must be a "
                                "positive number): its UIDs cannot be trusted, so it is not synced",
                                imap::mailbox_display_name(server_.name)));
    }
    const bool select_misbehaved = events_.misbehaved;
    const std::string select_misbehaviour = events_.misbehaviour;
    events_.reset_flags();

    if (local->uidvalidity != 0 && selected.uidvalidity != local->uidvalidity) {
        report_.uidvalidity_changed = true;
        report_.notes.push_back(fmt::format("UIDVALIDITY changed from {} to {}", local->uidvalidity, selected.uidvalidity));
        repair_uidvalidity(selected);
        full_pass(selected);
        finish(selected, store::SyncMethod::plain);
        return;
    }
    if (want_qresync) {
        if (select_misbehaved) {
            report_.notes.push_back("fell back to a full comparison: " + select_misbehaviour);
        } else if (trustworthy(*local, selected) && qresync_pass(*local, selected)) {
            finish(selected, store::SyncMethod::qresync);
            return;
        }
    } else if (want_condstore) {
        if (trustworthy(*local, selected) && condstore_pass(*local, selected)) {
            finish(selected, store::SyncMethod::condstore);
            return;
        }
    }
    full_pass(selected);
    finish(selected, store::SyncMethod::plain);
}

std::optional<imap::cmd::Select> MailboxSync::examine_together() {
    const auto local = context_.store.read([&](const store::ReadTxn& txn) { return txn.mailbox(id_); });
    if (!local || !session_.is_enabled("QRESYNC")) return std::nullopt;
    const MethodChoice choice = context_.options.method;
    if (choice != MethodChoice::best && choice != MethodChoice::qresync) return std::nullopt;
    if (local->last_sync_method == store::SyncMethod::never || local->highestmodseq == 0 || local->uidvalidity == 0 ||
        !server_.has_status || server_.uidvalidity != local->uidvalidity)
        return std::nullopt;
    return examine_command(*local, true, true);
}

bool MailboxSync::settle_together(const imap::SelectedMailbox& selected) {
    events_.on_fetch = nullptr;
    ++context_.examined;
    selected_exists_ = selected.exists;
    const auto local = context_.store.read([&](const store::ReadTxn& txn) { return txn.mailbox(id_); });
    const bool misbehaved = events_.misbehaved;
    events_.reset_flags();
    if (!local || misbehaved || selected.uidvalidity == 0 || selected.uidvalidity != local->uidvalidity) return false;
    if (!selected.highestmodseq || *selected.highestmodseq < local->highestmodseq) return false;
    // New mail (UIDs given out since, or FETCH data for UIDs the mirror lacks) is fetched in the
    // mailbox itself, which is no longer the one selected; so is the search for a sparse UID range.
    const std::uint32_t uidnext = selected.uidnext != 0 ? selected.uidnext : server_.uidnext;
    if (local->uidnext == 0 || uidnext > local->uidnext) return false;
    if (!qresync_added(*local, selected).empty()) return false;
    apply_expunges(events_.vanished_earlier);
    apply_flags(pending_select_changes_);
    pending_select_changes_.clear();
    const bool backup = context_.options.mode == PullMode::backup;
    if (!backup && mirror_count() != selected.exists) return false;
    finish(selected, store::SyncMethod::qresync);
    return true;
}

imap::cmd::Select MailboxSync::examine_command(const store::MailboxRecord& local, bool qresync, bool condstore) {
    imap::cmd::Select select;
    select.mailbox = server_.name;
    select.read_only = true;
    select.condstore = condstore;
    if (qresync) {
        imap::cmd::QresyncParams params;
        params.uidvalidity = local.uidvalidity;
        params.modseq = local.highestmodseq;
        // The known UIDs as one range, 1 to the highest mirrored: the server reports which of them
        // vanished since the MODSEQ, and the UIDs of the gaps (expunged earlier) are not ours, which
        // apply_expunges() ignores. The exact set would grow with every gap, on every resync.
        const std::optional<store::Uid> highest =
            context_.store.read([&](const store::ReadTxn& txn) { return txn.highest_uid(id_); });
        if (highest) {
            imap::SequenceSet known;
            known.add(imap::Range{1, *highest});
            params.known_uids = std::move(known);
        }
        select.qresync = std::move(params);
    }
    // Changes QRESYNC reports during the SELECT are kept for qresync_pass().
    pending_select_changes_ = {};
    events_.on_fetch = [this](const imap::FetchData& fetch) {
        if (!fetch.uid || !fetch.flags) return;
        pending_select_changes_[*fetch.uid] = ServerFlags{*fetch.flags, fetch.modseq.value_or(0)};
    };
    return select;
}

imap::SelectedMailbox MailboxSync::examine(const store::MailboxRecord& local, bool qresync, bool condstore) {
    const imap::cmd::Select select = examine_command(local, qresync, condstore);
    auto selected = session_.select(select);
    events_.on_fetch = nullptr;
    ++context_.examined;
    selected_exists_ = selected->exists;   // EXISTS moves on as the session runs; this is the state we sync to
    return *selected;
}


// An incremental answer is only as good as the MODSEQ it starts from.
bool MailboxSync::trustworthy(const store::MailboxRecord& local, const imap::SelectedMailbox& selected) {
    if (!selected.highestmodseq) {
        report_.notes.push_back("fell back to a full comparison: the mailbox has no MODSEQ (NOMODSEQ)");
        return false;
    }
    if (*selected.highestmodseq < local.highestmodseq) {
        report_.notes.push_back(fmt::format("fell back to a full comparison: HIGHESTMODSEQ went back from {} to {}",
                                            local.highestmodseq, *selected.highestmodseq));
        return false;
    }
    return true;
}

bool MailboxSync::qresync_pass(const store::MailboxRecord& local, const imap::SelectedMailbox& selected) {
    // What is new is decided against the mirror as the EXAMINE found it, before its answer is applied.
    imap::SequenceSet added = qresync_added(local, selected);
    apply_expunges(events_.vanished_earlier);
    apply_flags(pending_select_changes_);
    pending_select_changes_.clear();
    download(added, selected);
    if (events_.misbehaved) {
        report_.notes.push_back("fell back to a full comparison: " + events_.misbehaviour);
        return false;
    }
    return count_matches(selected);
}

imap::SequenceSet MailboxSync::qresync_added(const store::MailboxRecord& local, const imap::SelectedMailbox& selected) {
    // New mail is every UID from the UIDNEXT we stored on: Dovecot reports changes under QRESYNC
    // only for the known UIDs, so new messages do not all come as FETCH. UIDs in that range that
    // do not exist are simply not answered by the metadata FETCH.
    imap::SequenceSet added;
    const std::uint32_t uidnext = selected.uidnext != 0 ? selected.uidnext : server_.uidnext;
    if (local.uidnext != 0 && uidnext > local.uidnext) {
        const imap::Range range{local.uidnext, uidnext - 1};
        if (std::uint64_t{range.last} - range.first + 1 <= selected.exists) {
            added.add(range);
        } else {
            // More UIDs than the mailbox holds messages: a sparse range, or a server announcing an
            // absurd UIDNEXT (up to 2^32 - 1). Ask which of them exist rather than describe each.
            added = server_uids(local.uidnext);
            if (local.uidnext > 1) added.remove(imap::Range{1, local.uidnext - 1});   // "n:*" may name the last UID below n
        }
    }
    // FETCH data for UIDs the mirror lacks: new too. Only the UIDs named are looked up in the
    // mirror, not the whole mailbox.
    for (const auto& [uid, flags] : pending_select_changes_) added.add(uid);
    added.remove(mirror_uids_in(added));
    return added;
}

bool MailboxSync::condstore_pass(const store::MailboxRecord& local, const imap::SelectedMailbox& selected) {
    imap::cmd::UidFetch changed;
    changed.uids.add(1);
    changed.to_star = true;
    changed.items = {"UID", "FLAGS", "MODSEQ"};
    changed.changed_since = local.highestmodseq;
    fetch_flags(std::move(changed), "the changed flags");
    const UidDiff diff = diff_uids(mirror_uids(), server_uids());
    apply_expunges(diff.gone);
    download(diff.added, selected);
    return count_matches(selected);
}

// The safety net of the incremental methods: with nothing moving on the server meanwhile, the
// mirror must now hold exactly as many live messages as the server announced.
bool MailboxSync::count_matches(const imap::SelectedMailbox& selected) {
    if (events_.mailbox_changed || context_.options.mode == PullMode::backup) return true;
    const std::uint64_t mirrored = mirror_count();
    if (mirrored == selected.exists) return true;
    report_.notes.push_back(fmt::format("fell back to a full comparison: the server has {} messages, the mirror {}",
                                        selected.exists, mirrored));
    return false;
}

void MailboxSync::full_pass(const imap::SelectedMailbox& selected) {
    const UidDiff diff = diff_uids(mirror_uids(), server_uids());
    for (const auto& chunk : chunk_by_count(diff.common, flag_chunk)) {
        imap::cmd::UidFetch command;
        command.uids = chunk;
        command.items = {"UID", "FLAGS"};
        if (has_modseq(selected)) command.items.emplace_back("MODSEQ");
        fetch_flags(std::move(command), "the flags");
    }
    apply_expunges(diff.gone);
    download(diff.added, selected);
}

void MailboxSync::repair_uidvalidity(const imap::SelectedMailbox& selected) {
    std::vector<ServerMessage> on_server;
    FlagChanges flags;
    if (selected.exists > 0) {
        events_.on_fetch = [&](const imap::FetchData& fetch) {
            if (!fetch.uid || !fetch.rfc822_size) return;
            store::MessageRecord facts;
            fill_from_fetch(facts, fetch);
            on_server.push_back({*fetch.uid, identity_of(facts)});
            flags[*fetch.uid] = ServerFlags{facts.flags, facts.modseq};
        };
        imap::cmd::UidFetch command;
        command.uids.add(1);
        command.to_star = true;
        command.items = {"UID", "FLAGS", "RFC822.SIZE", "ENVELOPE"};
        if (has_modseq(selected)) command.items.emplace_back("MODSEQ");
        const auto response = session_.run(std::move(command));
        events_.on_fetch = nullptr;
        if (response.status != imap::Status::ok)
            throw Error(ErrorCategory::protocol, fmt::format("server refused to describe its messages: {}", response.text));
    }
    std::vector<StoredMessage> stored;
    context_.store.read([&](const store::ReadTxn& txn) {
        txn.for_each_message(id_, [&](const store::MessageRecord& record) {
            if (record.uid) stored.push_back({record.id, identity_of(record), record.body_hash});
        });
    });
    // Identity proposes, the header section decides (message_identity.hpp); what fails is downloaded.
    const auto pairs = check_pairs(context_, session_, events_, stored, on_server, pair_messages(stored, on_server));
    const bool backup = context_.options.mode == PullMode::backup;
    const store::UnixTime when = unix_time_now();
    const std::uint64_t unpaired = context_.store.write([&](store::WriteTxn& txn) {
        // Every old UID is void: detach them all first, so that a new UID can go to any message.
        for (const auto& message : stored) {
            auto record = txn.message(message.id);
            record->uid.reset();
            txn.put_message(*record);
        }
        std::map<store::MessageId, store::Uid> new_uid(pairs.begin(), pairs.end());
        std::uint64_t gone = 0;
        for (const auto& message : stored) {
            auto record = *txn.message(message.id);
            auto paired = new_uid.find(message.id);
            if (paired != new_uid.end()) {
                record.uid = paired->second;
                const ServerFlags& server_flags = flags[paired->second];
                take_server_flags(record, server_flags.flags, server_flags.modseq);
                txn.put_message(record);
            } else if (backup) {
                if (!record.deleted_on_server) record.deleted_on_server = when;
                txn.put_message(record);
                ++gone;
            } else {
                context_.catalog.remember_removed(record);
                txn.remove_message(record.id);
                ++gone;
            }
        }
        auto mailbox = *txn.mailbox(id_);
        mailbox.uidvalidity = selected.uidvalidity;
        mailbox.highestmodseq = 0;
        mailbox.last_sync_method = store::SyncMethod::never;   // until the download below completes
        txn.put_mailbox(mailbox);
        return gone;
    });
    report_.repaired += pairs.size();
    report_.expunged += unpaired;
}

void MailboxSync::finish(const imap::SelectedMailbox& selected, store::SyncMethod method) {
    report_.method = method;
    if (events_.zero_uids != 0) {
        report_.notes.push_back(fmt::format("the server named UID 0, which no message can have, {} time{} (ignored)",
                                            events_.zero_uids, events_.zero_uids == 1 ? "" : "s"));
    }
    context_.store.write([&](store::WriteTxn& txn) {
        auto mailbox = *txn.mailbox(id_);
        mailbox.uidvalidity = selected.uidvalidity;
        mailbox.uidnext = selected.uidnext != 0 ? selected.uidnext : server_.uidnext;
        mailbox.highestmodseq = selected.highestmodseq.value_or(0);
        mailbox.server_messages = selected_exists_;
        mailbox.last_sync_method = method;
        mailbox.last_sync_time = unix_time_now();
        mailbox.deleted_on_server.reset();
        mailbox.special_use = server_.special_use;
        mailbox.attributes = server_.attributes;
        txn.put_mailbox(mailbox);
    });
}

// Straight from the index into a compressed set (UIDs come in ascending order, each one extends
// the last range or starts a new one): its size grows with the gaps between UIDs, never with a
// list of every message.
imap::SequenceSet MailboxSync::mirror_uids() {
    imap::SequenceSet set;
    context_.store.read([&](const store::ReadTxn& txn) {
        txn.for_each_uid(id_, [&](store::Uid uid, store::MessageId) { set.add(uid); });
    });
    return set;
}

imap::SequenceSet MailboxSync::mirror_uids_in(const imap::SequenceSet& within) {
    imap::SequenceSet set;
    if (within.empty()) return set;
    context_.store.read([&](const store::ReadTxn& txn) {
        for (const imap::Range& range : within.ranges())
            txn.for_each_uid_between(id_, range.first, range.last, [&](store::Uid uid, store::MessageId) { set.add(uid); });
    });
    return set;
}

// From the store's kept count (store::ReadTxn::count_uids), not a walk of the mailbox: the check
// after every incremental resync costs the same at a million messages as at ten.
std::uint64_t MailboxSync::mirror_count() {
    return context_.store.read([&](const store::ReadTxn& txn) { return txn.count_uids(id_); });
}

imap::SequenceSet MailboxSync::server_uids(std::uint32_t from) {
    events_.searched = {};
    imap::cmd::UidSearch search;
    if (session_.has_capability("ESEARCH")) search.return_options = {"ALL"};
    search.criteria = fmt::format("UID {}:*", from);
    const auto response = session_.run(std::move(search));
    if (response.status != imap::Status::ok)
        throw Error(ErrorCategory::protocol, fmt::format("server refused UID SEARCH in {}: {}", server_.name, response.text));
    return std::move(events_.searched);
}

// Takes the flags the command reports into the mirror as they arrive, changes_per_write at a time, so
// that memory does not grow with the number of messages that changed. What was written before a
// failed command is true server state; the mailbox's MODSEQ is not advanced, so the next run asks
// again.
void MailboxSync::fetch_flags(imap::cmd::UidFetch command, const std::string& what) {
    FlagChanges batch;
    struct Unhook {
        SelectedMailboxListener& events;
        ~Unhook() { events.on_fetch = nullptr; }
    } unhook{events_};
    events_.on_fetch = [&](const imap::FetchData& fetch) {
        if (!fetch.uid || !fetch.flags) return;
        batch[*fetch.uid] = ServerFlags{*fetch.flags, fetch.modseq.value_or(0)};
        if (batch.size() >= changes_per_write()) {
            apply_flags(batch);
            batch.clear();
        }
    };
    const auto response = session_.run(std::move(command));
    events_.on_fetch = nullptr;
    if (response.status != imap::Status::ok)
        throw Error(ErrorCategory::protocol, fmt::format("server refused to send {} of {}: {}", what, server_.name, response.text));
    apply_flags(batch);
}

void MailboxSync::apply_flags(const FlagChanges& changes) {
    auto next = changes.begin();
    while (next != changes.end()) {
        const auto first = next;
        for (std::size_t n = 0; n < changes_per_write() && next != changes.end(); ++n) ++next;
        const auto last = next;
        const std::uint64_t changed = context_.store.write([&](store::WriteTxn& txn) {
            std::uint64_t count = 0;
            for (auto it = first; it != last; ++it) {
                const auto& [uid, server] = *it;
                auto record = txn.message_by_uid(id_, uid);
                if (!record) continue;   // new: downloaded with its flags
                const auto flags_before = record->flags;
                const auto synced_before = record->synced_flags;
                if (!take_server_flags(*record, server.flags, server.modseq)) continue;
                txn.put_message(*record);
                // A MODSEQ that moved without a flag change (e.g. an annotation) is not a change to report.
                if (!same_flags(flags_before, record->flags) || !same_flags(synced_before, record->synced_flags)) ++count;
            }
            return count;
        });
        report_.changed += changed;
    }
}

void MailboxSync::apply_expunges(const imap::SequenceSet& gone) {
    if (gone.empty()) return;
    // VANISHED (EARLIER) may name UIDs the mirror never had (RFC 7162 allows it): only ours count.
    const imap::SequenceSet ours = mirror_uids_in(gone);
    if (ours.empty()) return;
    const bool backup = context_.options.mode == PullMode::backup;
    const store::UnixTime when = unix_time_now();
    for (const auto& chunk : chunk_by_count(ours, changes_per_write())) {
        const std::uint64_t expunged = context_.store.write([&](store::WriteTxn& txn) {
            std::uint64_t count = 0;
            for (store::Uid uid : chunk.values()) {
                auto record = txn.message_by_uid(id_, uid);
                if (!record) continue;
                if (backup) {
                    if (record->deleted_on_server) continue;
                    record->deleted_on_server = when;
                    txn.put_message(*record);
                } else {
                    context_.catalog.remember_removed(*record);
                    txn.remove_message(record->id);
                }
                ++count;
            }
            return count;
        });
        report_.expunged += expunged;
    }
}

void MailboxSync::download(const imap::SequenceSet& all, const imap::SelectedMailbox& selected) {
    // Moved or deleted locally and not replayed yet: not new mail (queue contract, local_changes.hpp).
    imap::SequenceSet uids = all;
    uids.remove(context_.store.read([&](const store::ReadTxn& txn) { return locally_removed_uids(txn, id_, selected.uidvalidity); }));
    if (uids.empty()) return;
    NewMessages fetcher(context_, session_, events_, id_, server_.name, has_modseq(selected), report_);
    fetcher.fetch(uids);
}

// Hands each untagged response of pipelined EXAMINEs to the mailbox whose answer it belongs to:
// the first one whose tagged answer has not arrived yet. Takes from it what Session::select()
// would (codes, EXISTS, FLAGS); the rest goes to that mailbox's listener.
class TogetherRouter final : public imap::UntaggedHandler {
public:
    struct Entry {
        MailboxSync* sync = nullptr;
        std::string tag;
        bool collected = false;   // its wait() returned
        imap::SelectedMailbox selected;
    };
    TogetherRouter(imap::Session& session, std::vector<Entry>& entries) : session_(session), entries_(entries) {}

    void on_untagged(const imap::Response& response) override {
        Entry* entry = current();
        if (!entry) return;
        imap::SelectedMailbox& selected = entry->selected;
        if (const auto* status = std::get_if<imap::StatusResponse>(&response); status && status->code) {
            std::visit([&](const auto& c) {
                using C = std::decay_t<decltype(c)>;
                if constexpr (std::is_same_v<C, imap::code::UidValidity>) selected.uidvalidity = c.value;
                else if constexpr (std::is_same_v<C, imap::code::UidNext>) selected.uidnext = c.value;
                else if constexpr (std::is_same_v<C, imap::code::HighestModSeq>) selected.highestmodseq = c.value;
                else if constexpr (std::is_same_v<C, imap::code::NoModSeq>) selected.highestmodseq.reset();
                else if constexpr (std::is_same_v<C, imap::code::PermanentFlags>) selected.permanent_flags = c.flags;
            }, *status->code);
        } else if (const auto* exists = std::get_if<imap::ExistsData>(&response)) {
            selected.exists = exists->count;
        } else if (const auto* flags = std::get_if<imap::FlagsData>(&response)) {
            selected.flags = flags->flags;
        }
        entry->sync->on_untagged(response);
    }

private:
    Entry* current() {
        for (auto& entry : entries_)
            if (!entry.collected && !session_.is_answered(entry.tag)) return &entry;
        return nullptr;
    }

    imap::Session& session_;
    std::vector<Entry>& entries_;
};

}  // namespace

void sync_mailbox(SharedPullState& context, imap::Session& session, store::MailboxId id, const ServerMailbox& server,
                  MailboxReport& report) {
    MailboxSync(context, session, id, server, report).run();
}

std::vector<bool> sync_mailboxes_together(SharedPullState& context, imap::Session& session,
                                          const std::vector<MailboxToSync>& mailboxes) {
    std::vector<bool> done(mailboxes.size(), false);
    std::vector<std::unique_ptr<MailboxSync>> syncs;
    std::vector<std::size_t> index;   // entries[i] is mailboxes[index[i]]
    std::vector<TogetherRouter::Entry> entries;
    std::vector<imap::cmd::Select> commands;
    for (std::size_t i = 0; i < mailboxes.size(); ++i) {
        syncs.push_back(std::make_unique<MailboxSync>(context, session, mailboxes[i].id, *mailboxes[i].server,
                                                      *mailboxes[i].report));
        if (auto command = syncs.back()->examine_together()) {
            commands.push_back(std::move(*command));
            entries.push_back({syncs.back().get(), {}, false, {}});
            index.push_back(i);
        }
    }
    if (entries.size() < 2) return done;   // one EXAMINE is no flight to share
    session.wait_all();
    TogetherRouter router(session, entries);
    const imap::ScopedHandler scope(session, router);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        entries[i].selected.name = commands[i].mailbox;
        entries[i].selected.read_only = true;
        entries[i].tag = session.send(commands[i]);
    }
    std::vector<bool> answered(entries.size(), false);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        answered[i] = session.wait(entries[i].tag).status == imap::Status::ok;
        entries[i].collected = true;
    }
    session.set_handler(nullptr);
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (answered[i]) done[index[i]] = entries[i].sync->settle_together(entries[i].selected);
    return done;
}

}  // namespace mailsync::sync

#include "sync/pull/partial_bodies.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "sync/pull/blob_sink.hpp"
#include "sync/pull/pipelined_fetch.hpp"
#include "sync/pull/selected_mailbox_listener.hpp"

namespace mailsync::sync {
namespace {

// As the pull's downloads (pull_report.hpp): commands of a bounded byte total, a few in flight,
// and rows committed in batches.
constexpr std::uint64_t fetch_command_bytes = 8ull << 20;
constexpr std::size_t fetch_depth = 4;
constexpr std::size_t commit_messages = 100;

// The bodies of one examined mailbox.
class MailboxCompletion {
public:
    MailboxCompletion(imap::Session& session, store::Store& store, store::MailboxId mailbox, CompletionReport& report)
        : session_(session), store_(store), mailbox_(mailbox), report_(report), events_(session, false) {}

    void run(const std::vector<const PartialMessage*>& messages) {
        std::vector<std::pair<std::uint32_t, std::uint64_t>> sizes;
        for (const PartialMessage* message : messages) {
            sizes.emplace_back(message->uid, message->size);
            waiting_.emplace(message->uid, message->id);
        }
        BlobSink sink([this] { return store_.begin_body(); }, "");
        SinkScope scope(session_, sink);
        events_.on_fetch = [&](const imap::FetchData& fetch) {
            std::optional<store::StoredBody> body = sink.take(fetch);
            if (!body || !fetch.uid) return;
            auto it = waiting_.find(*fetch.uid);
            if (it == waiting_.end()) return;
            batch_.push_back({it->second, *fetch.uid, *body});
            waiting_.erase(it);
            if (batch_.size() >= commit_messages) commit();
        };
        try {
            run_uid_fetches(session_, split_by_bytes(sizes, fetch_command_bytes), {"UID", "BODY.PEEK[]"}, fetch_depth,
                            "to send message bodies");
        } catch (...) {
            events_.on_fetch = nullptr;
            commit();   // what came is kept (its files are written)
            throw;
        }
        events_.on_fetch = nullptr;
        commit();
        report_.not_on_server += waiting_.size();
    }

private:
    struct Arrived {
        store::MessageId id;
        store::Uid uid;
        store::StoredBody body;
    };

    void commit() {
        if (batch_.empty()) return;
        store_.write([&](store::WriteTxn& txn) {
            for (const Arrived& arrived : batch_) {
                auto record = txn.message(arrived.id);
                // Changed meanwhile (moved, deleted, completed by another process): not ours to touch.
                if (!record || !record->partial || record->mailbox != mailbox_ || record->uid != arrived.uid) continue;
                record->partial = false;
                record->structure.clear();
                record->body_hash = arrived.body.hash;
                record->size = arrived.body.size;
                txn.put_message(*record);
            }
        });
        for (const Arrived& arrived : batch_) {
            ++report_.completed;
            report_.bytes += arrived.body.size;
        }
        batch_.clear();
    }

    imap::Session& session_;
    store::Store& store_;
    store::MailboxId mailbox_;
    CompletionReport& report_;
    SelectedMailboxListener events_;
    std::map<store::Uid, store::MessageId> waiting_;
    std::vector<Arrived> batch_;
};

}  // namespace

std::vector<PartialMessage> partial_messages_to_complete(store::Store& store, const BodyRule& rule, bool everything,
                                                         store::UnixTime now, const std::vector<store::MailboxId>& mailboxes) {
    return store.read([&](const store::ReadTxn& txn) {
        std::vector<PartialMessage> out;
        for (const store::MailboxRecord& mailbox : txn.mailboxes()) {
            if (!mailboxes.empty() && std::find(mailboxes.begin(), mailboxes.end(), mailbox.id) == mailboxes.end()) continue;
            if (mailbox.deleted_on_server || mailbox.created_offline) continue;
            txn.for_each_message(mailbox.id, [&](const store::MessageRecord& message) {
                if (!message.partial || !message.uid || message.deleted_on_server) return;
                if (!everything && !wants_body(rule, message, now)) return;
                out.push_back({message.id, message.mailbox, *message.uid, message.size});
            });
        }
        return out;
    });
}

bool body_rule_changed(store::Store& store, const BodyRule& rule) {
    const auto recorded = store.read([](const store::ReadTxn& txn) { return txn.body_rule(); });
    return recorded.value_or(BodyRule{}.fingerprint()) != rule.fingerprint();
}

CompletionReport complete_partial_messages(imap::Session& session, store::Store& store, const std::vector<PartialMessage>& messages) {
    CompletionReport report;
    std::map<store::MailboxId, std::vector<const PartialMessage*>> by_mailbox;
    for (const PartialMessage& message : messages) by_mailbox[message.mailbox].push_back(&message);
    for (auto& [mailbox_id, in_mailbox] : by_mailbox) {
        const auto mailbox = store.read([&](const store::ReadTxn& txn) { return txn.mailbox(mailbox_id); });
        if (!mailbox) continue;
        imap::cmd::Select examine;
        examine.mailbox = mailbox->name;
        examine.read_only = true;
        const auto selected = session.select(examine, true);
        if (!selected || selected->uidvalidity != mailbox->uidvalidity) {
            report.not_on_server += in_mailbox.size();
            continue;
        }
        std::sort(in_mailbox.begin(), in_mailbox.end(), [](const PartialMessage* a, const PartialMessage* b) { return a->uid < b->uid; });
        MailboxCompletion(session, store, mailbox_id, report).run(in_mailbox);
    }
    return report;
}

CompletionReport complete_for_rule(const std::function<imap::Session&()>& connect, store::Store& store, const BodyRule& rule,
                                   bool everything, const std::vector<store::MailboxId>& mailboxes) {
    CompletionReport report;
    if (!everything && !body_rule_changed(store, rule)) return report;
    const auto wanted = partial_messages_to_complete(store, rule, everything, unix_time_now(), mailboxes);
    if (!wanted.empty()) report = complete_partial_messages(connect(), store, wanted);
    if (report.not_on_server == 0 && mailboxes.empty()) {
        store.write([&](store::WriteTxn& txn) { txn.set_body_rule(rule.fingerprint()); });
        report.rule_recorded = true;
    }
    return report;
}

}  // namespace mailsync::sync

#include "sync/new_messages.hpp"

#include <deque>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/imap/mutf7.hpp"
#include "sync/message_facts.hpp"
#include "sync/uid_sets.hpp"

namespace mailsync::sync {
namespace {

// One body literal → one blob file. The FETCH response that carried it is dispatched right after
// its last byte, so the finished body waits here, by sequence number, only until then.
class BlobSink final : public imap::BodySink {
public:
    explicit BlobSink(StoreGate& store) : store_(store) {}

    void begin(const imap::BodyContext& context) override {
        writer_.emplace(store_.begin_body());
        seq_ = context.seq;
    }
    void write(std::string_view chunk) override { writer_->write(chunk); }
    void finish() override {
        finished_.insert_or_assign(seq_, writer_->commit());
        writer_.reset();
    }
    std::optional<store::StoredBody> take(std::uint32_t seq) {
        auto it = finished_.find(seq);
        if (it == finished_.end()) return std::nullopt;
        store::StoredBody body = it->second;
        finished_.erase(it);
        return body;
    }

private:
    StoreGate& store_;
    std::optional<store::BlobWriter> writer_;
    std::uint32_t seq_ = 0;
    std::map<std::uint32_t, store::StoredBody> finished_;
};

// Installs a sink on the session for one scope.
class SinkScope {
public:
    SinkScope(imap::Session& session, imap::BodySink& sink) : session_(session) { session_.set_body_sink(&sink); }
    ~SinkScope() { session_.set_body_sink(nullptr); }
    SinkScope(const SinkScope&) = delete;
    SinkScope& operator=(const SinkScope&) = delete;

private:
    imap::Session& session_;
};

// A UID FETCH command must not outgrow a line: UID sets of this many values stay well under it
// however sparse they are (11 bytes per value at worst).
constexpr std::size_t max_uids_per_command = 500;

void require_ok(const imap::StatusResponse& response, const std::string& what) {
    if (response.status != imap::Status::ok)
        throw Error(ErrorCategory::protocol, fmt::format("server refused {}: {}", what, response.text));
}

}  // namespace

NewMessages::NewMessages(PullContext& context, imap::Session& session, MailboxEvents& events, store::MailboxId mailbox,
                         std::string mailbox_name, bool with_modseq, MailboxReport& report)
    : context_(context),
      session_(session),
      events_(events),
      mailbox_(mailbox),
      mailbox_name_(std::move(mailbox_name)),
      with_modseq_(with_modseq),
      report_(report) {}

void NewMessages::fetch(const imap::SequenceSet& uids) {
    if (uids.empty()) return;
    context_.progress.add_total(uids.count(), 0);
    for (const auto& chunk : chunk_by_count(uids, std::max<std::size_t>(1, context_.options.metadata_chunk))) {
        context_.progress.check_stop();
        std::vector<store::MessageRecord> records = fetch_metadata(chunk);
        context_.progress.drop_from_total(chunk.count() - records.size());

        // Bodies the store already has: no download.
        std::vector<store::MessageRecord> wanted;
        std::vector<store::MessageRecord> reusable;
        context_.store.read([&](const store::ReadTxn& txn) {
            for (auto& record : records) {
                if (auto hash = context_.catalog.find(txn, identity_of(record))) {
                    record.body_hash = *hash;
                    reusable.push_back(std::move(record));
                } else {
                    wanted.push_back(std::move(record));
                }
            }
        });
        std::uint64_t wanted_bytes = 0;
        for (const auto& record : wanted) wanted_bytes += record.size;
        context_.progress.add_total(0, wanted_bytes);
        for (auto& record : reusable) {
            ++report_.reused;
            add_to_batch(std::move(record), 0);
        }
        fetch_bodies(std::move(wanted));
    }
    commit_batch();
}

std::vector<store::MessageRecord> NewMessages::fetch_metadata(const imap::SequenceSet& uids) {
    std::vector<store::MessageRecord> records;
    events_.on_fetch = [&](const imap::FetchData& fetch) {
        if (!fetch.uid || !uids.contains(*fetch.uid) || !fetch.rfc822_size) return;
        store::MessageRecord record;
        record.mailbox = mailbox_;
        record.uid = *fetch.uid;
        fill_from_fetch(record, fetch);
        records.push_back(std::move(record));
    };
    imap::cmd::UidFetch command;
    command.uids = uids;
    command.items = {"UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"};
    if (with_modseq_) command.items.emplace_back("MODSEQ");
    const auto response = session_.run(command);
    events_.on_fetch = nullptr;
    require_ok(response, "to describe new messages");
    // A message expunged meanwhile is simply not there; a duplicate answer is taken once.
    std::map<store::Uid, store::MessageRecord> unique;
    for (auto& record : records) unique.insert_or_assign(*record.uid, std::move(record));
    records.clear();
    for (auto& [uid, record] : unique) records.push_back(std::move(record));
    return records;
}

void NewMessages::fetch_bodies(std::vector<store::MessageRecord> wanted) {
    if (wanted.empty()) return;
    // Commands of a bounded byte total (a message bigger than the bound goes alone).
    std::vector<imap::SequenceSet> commands;
    imap::SequenceSet current;
    std::uint64_t current_bytes = 0;
    std::map<store::Uid, store::MessageRecord> waiting;
    for (auto& record : wanted) {
        if (!current.empty() && (current_bytes + record.size > context_.options.fetch_command_bytes ||
                                 current.count() >= max_uids_per_command)) {
            commands.push_back(std::move(current));
            current = {};
            current_bytes = 0;
        }
        current.add(*record.uid);
        current_bytes += record.size;
        waiting.emplace(*record.uid, std::move(record));
    }
    if (!current.empty()) commands.push_back(std::move(current));

    BlobSink sink(context_.store);
    SinkScope scope(session_, sink);
    events_.on_fetch = [&](const imap::FetchData& fetch) {
        std::optional<store::StoredBody> body = sink.take(fetch.seq);
        if (!body || !fetch.uid) return;
        auto it = waiting.find(*fetch.uid);
        if (it == waiting.end()) return;
        store::MessageRecord record = std::move(it->second);
        waiting.erase(it);
        record.body_hash = body->hash;
        record.size = body->size;   // the bytes we hold are the truth, whatever RFC822.SIZE said
        ++report_.downloaded;
        report_.bytes += body->size;
        add_to_batch(std::move(record), body->size);
    };
    std::deque<std::string> in_flight;
    std::size_t next = 0;
    const std::size_t depth = std::max<std::size_t>(1, context_.options.fetch_depth);
    while (next < commands.size() || !in_flight.empty()) {
        while (next < commands.size() && in_flight.size() < depth) {
            imap::cmd::UidFetch command;
            command.uids = commands[next++];
            command.items = {"UID", "BODY.PEEK[]"};
            in_flight.push_back(session_.send(std::move(command)));
        }
        const auto response = session_.wait(in_flight.front());
        in_flight.pop_front();
        require_ok(response, "to send message bodies");
    }
    events_.on_fetch = nullptr;
}

void NewMessages::add_to_batch(store::MessageRecord record, std::uint64_t downloaded_bytes) {
    batch_bytes_ += record.size;
    batch_downloaded_ += downloaded_bytes;
    batch_.push_back(std::move(record));
    if (batch_.size() >= context_.options.commit_messages || batch_bytes_ >= context_.options.commit_bytes) commit_batch();
}

void NewMessages::commit_batch() {
    if (batch_.empty()) return;
    const std::uint64_t added = context_.store.write([&](store::WriteTxn& txn) {
        std::uint64_t count = 0;
        for (const auto& record : batch_) {
            if (txn.message_by_uid(mailbox_, *record.uid)) continue;   // committed by an earlier run
            txn.add_message(record);
            ++count;
        }
        return count;
    });
    report_.new_messages += added;
    const std::uint64_t messages = batch_.size();
    const std::uint64_t bytes = batch_downloaded_;
    batch_.clear();
    batch_bytes_ = 0;
    batch_downloaded_ = 0;
    context_.progress.add_done(messages, bytes, imap::mailbox_display_name(mailbox_name_));
}

}  // namespace mailsync::sync

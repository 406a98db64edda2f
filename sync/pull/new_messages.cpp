#include "sync/pull/new_messages.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "common/ascii.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "sync/imap/mutf7.hpp"
#include "sync/pull/blob_sink.hpp"
#include "sync/pull/pipelined_fetch.hpp"
#include "sync/pull/record_from_fetch.hpp"
#include "sync/pull/uid_sets.hpp"

namespace mailsync::sync {
namespace {

// BODY[HEADER] literals → header digests, by sequence number until their FETCH is dispatched (right
// after the literal's last byte). Nothing is kept but the digest: memory does not grow with a header.
class HeaderSink final : public imap::BodySink {
public:
    void begin(const imap::BodyContext& context) override {
        hasher_.reset();
        if (is_header_item(context.item, context.section)) hasher_.emplace();
        seq_ = context.seq;
    }
    void write(std::string_view chunk) override {
        if (hasher_) hasher_->update(chunk);
    }
    void finish() override {
        if (hasher_) finished_.insert_or_assign(seq_, hasher_->finish());
        hasher_.reset();
    }
    // The digest of the header literal of message `seq` (itself nullopt when over the bound), or
    // nullopt when none arrived.
    std::optional<std::optional<HeaderDigest>> take(std::uint32_t seq) {
        auto it = finished_.find(seq);
        if (it == finished_.end()) return std::nullopt;
        std::optional<HeaderDigest> digest = it->second;
        finished_.erase(it);
        return digest;
    }

    static bool is_header_item(std::string_view item, std::string_view section) {
        static constexpr std::string_view header = "HEADER";
        return item == "BODY" && ascii::iequals(section, header);
    }

private:
    std::optional<HeaderHasher> hasher_;
    std::uint32_t seq_ = 0;
    std::map<std::uint32_t, std::optional<HeaderDigest>> finished_;
};

// Bodies made durable together (store/blob_store.hpp): enough for their fsyncs to share a journal
// commit; few enough that the open files stay far below a process's limit with several connections.
constexpr std::size_t max_pending_bodies = 64;

void require_ok(const imap::StatusResponse& response, const std::string& what) {
    if (response.status != imap::Status::ok)
        throw Error(ErrorCategory::protocol, fmt::format("server refused {}: {}", what, response.text));
}

}  // namespace

NewMessages::NewMessages(SharedPullState& context, imap::Session& session, SelectedMailboxListener& events, store::MailboxId mailbox,
                         std::string mailbox_name, bool with_modseq, MailboxReport& report)
    : context_(context),
      session_(session),
      events_(events),
      mailbox_(mailbox),
      mailbox_name_(std::move(mailbox_name)),
      with_modseq_(with_modseq),
      report_(report) {}

void NewMessages::fetch(const imap::SequenceSet& uids) {
    try {
        fetch_all(uids);
    } catch (...) {
        // What is complete is kept: every message in the batch has its body file written and
        // renamed, so a failure after it (a full disk, a cut connection, a server's garbage) must not
        // make the next run download it again. A failure of this commit too (the disk is full)
        // leaves the first error to be reported.
        try {
            commit_batch();
        } catch (...) {
        }
        throw;
    }
}

void NewMessages::fetch_all(const imap::SequenceSet& uids) {
    if (uids.empty()) return;
    context_.progress.learn_total(mailbox_name_, uids.count());
    for (const auto& chunk : chunk_by_count(uids, std::max<std::size_t>(1, context_.options.metadata_chunk))) {
        context_.progress.check_stop();
        std::vector<store::MessageRecord> records = fetch_metadata(chunk);
        context_.progress.drop_from_total(chunk.count() - records.size());

        // Bodies the store already has, once their header is checked: no download. The others stay
        // where they are (a chunk's records are the largest thing a first sync holds: no copy).
        std::vector<store::MessageRecord>& wanted = records;
        std::vector<std::vector<store::BodyHash>> stored(records.size());
        context_.store.read([&](const store::ReadTxn& txn) {
            for (std::size_t i = 0; i < records.size(); ++i) stored[i] = context_.catalog.find(txn, identity_of(records[i]));
        });
        std::vector<ReuseCandidate> candidates;
        std::size_t kept = 0;
        for (std::size_t i = 0; i < records.size(); ++i) {
            if (!stored[i].empty()) {
                candidates.push_back({std::move(records[i]), std::move(stored[i])});
                continue;
            }
            if (kept != i) records[kept] = std::move(records[i]);
            ++kept;
        }
        records.erase(records.begin() + static_cast<std::ptrdiff_t>(kept), records.end());
        stored = {};
        std::vector<store::MessageRecord> reusable = check_reuse(std::move(candidates), wanted);
        // Headers first: what the account's rule leaves out is mirrored as headers and structure.
        std::vector<store::MessageRecord> headers_only;
        if (!context_.options.body_rule.downloads_everything()) {
            const store::UnixTime now = unix_time_now();
            std::vector<store::MessageRecord> whole;
            for (auto& record : wanted)
                (wants_body(context_.options.body_rule, record, now) ? whole : headers_only).push_back(std::move(record));
            wanted = std::move(whole);
        }
        std::uint64_t wanted_bytes = 0;
        for (const auto& record : wanted) wanted_bytes += record.size;
        context_.progress.add_total(0, wanted_bytes);
        for (auto& record : reusable) {
            ++report_.reused;
            add_to_batch(std::move(record), 0);
        }
        fetch_headers_only(std::move(headers_only));
        fetch_bodies(std::move(wanted));
    }
    commit_batch();
}

std::vector<store::MessageRecord> NewMessages::check_reuse(std::vector<ReuseCandidate> candidates,
                                                           std::vector<store::MessageRecord>& wanted) {
    std::vector<store::MessageRecord> reusable;
    if (candidates.empty()) return reusable;
    imap::SequenceSet uids;
    std::map<store::Uid, std::size_t> index;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        uids.add(*candidates[i].record.uid);
        index.emplace(*candidates[i].record.uid, i);
    }
    // Per candidate: the stored body whose header matched, and whether the server answered at all.
    std::vector<std::optional<store::BodyHash>> matched(candidates.size());
    std::vector<bool> answered(candidates.size(), false);
    std::map<store::BodyHash, std::optional<HeaderDigest>> stored_headers;   // this chunk's, read once each
    fetch_headers(session_, events_, uids, context_.options.fetch_depth,
                  [&](store::Uid uid, const std::optional<HeaderDigest>& server) {
                      auto it = index.find(uid);
                      if (it == index.end() || answered[it->second]) return;
                      answered[it->second] = true;
                      if (!server) return;
                      for (const auto& body : candidates[it->second].bodies) {
                          auto stored = stored_headers.find(body);
                          if (stored == stored_headers.end())
                              stored = stored_headers.emplace(body, context_.catalog.header_of(body)).first;
                          if (stored->second == server) {
                              matched[it->second] = body;
                              return;
                          }
                      }
                  });
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        store::MessageRecord& record = candidates[i].record;
        if (matched[i]) {
            record.body_hash = *matched[i];
            reusable.push_back(std::move(record));
        } else {
            if (answered[i]) ++report_.reuse_rejected;   // not answered: expunged meanwhile
            wanted.push_back(std::move(record));
        }
    }
    return reusable;
}

std::vector<store::MessageRecord> NewMessages::fetch_metadata(const imap::SequenceSet& uids) {
    std::vector<store::MessageRecord> records;
    records.reserve(uids.count());
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
    // A message expunged meanwhile is simply not there; of a duplicate answer the last is taken. In
    // place: a chunk's records are the largest thing a first sync holds (1000 of 320 B each, and
    // their strings).
    std::stable_sort(records.begin(), records.end(),
                     [](const store::MessageRecord& a, const store::MessageRecord& b) { return *a.uid < *b.uid; });
    auto kept = records.begin();
    for (auto it = records.begin(); it != records.end(); ++it) {
        const auto next = std::next(it);
        if (next != records.end() && *next->uid == *it->uid) continue;
        if (kept != it) *kept = std::move(*it);
        ++kept;
    }
    records.erase(kept, records.end());
    return records;
}

void NewMessages::fetch_bodies(std::vector<store::MessageRecord> wanted) {
    if (wanted.empty()) return;
    // Found by UID when their body arrives: `wanted` sorted by UID, `sizes` in the same order, and
    // each taken once (no map: a node per message would double what the chunk holds).
    std::sort(wanted.begin(), wanted.end(),
              [](const store::MessageRecord& a, const store::MessageRecord& b) { return *a.uid < *b.uid; });
    std::vector<std::pair<std::uint32_t, std::uint64_t>> sizes;
    sizes.reserve(wanted.size());
    for (const auto& record : wanted) sizes.emplace_back(*record.uid, record.size);
    std::vector<bool> taken(wanted.size(), false);
    BlobSink sink([this] { return context_.store.begin_body(); }, "", &bodies_);
    SinkScope scope(session_, sink);
    events_.on_fetch = [&](const imap::FetchData& fetch) {
        std::optional<store::StoredBody> body = sink.take(fetch.seq);
        if (!body || !fetch.uid) return;
        const auto at = std::lower_bound(sizes.begin(), sizes.end(), *fetch.uid,
                                         [](const auto& entry, std::uint32_t uid) { return entry.first < uid; });
        const auto i = static_cast<std::size_t>(at - sizes.begin());
        if (at == sizes.end() || at->first != *fetch.uid || taken[i]) return;
        taken[i] = true;
        store::MessageRecord record = std::move(wanted[i]);
        record.body_hash = body->hash;
        record.size = body->size;   // the bytes we hold are the truth, whatever RFC822.SIZE said
        ++report_.downloaded;
        report_.bytes += body->size;
        add_to_batch(std::move(record), body->size);
    };
    // Commands of a bounded byte total (a message bigger than the bound goes alone).
    run_uid_fetches(session_, split_by_bytes(sizes, context_.options.fetch_command_bytes), {"UID", "BODY.PEEK[]"},
                    context_.options.fetch_depth, "to send message bodies");
    events_.on_fetch = nullptr;
}

void NewMessages::fetch_headers_only(std::vector<store::MessageRecord> records) {
    if (records.empty()) return;
    std::map<store::Uid, store::MessageRecord> waiting;
    imap::SequenceSet uids;
    for (auto& record : records) {
        uids.add(*record.uid);
        waiting.emplace(*record.uid, std::move(record));
    }
    BlobSink sink([this] { return context_.store.begin_body(); }, "HEADER", &bodies_);
    SinkScope scope(session_, sink);
    events_.on_fetch = [&](const imap::FetchData& fetch) {
        std::optional<store::StoredBody> header = sink.take(fetch);
        if (!header || !fetch.uid) return;
        auto it = waiting.find(*fetch.uid);
        if (it == waiting.end()) return;
        store::MessageRecord record = std::move(it->second);
        waiting.erase(it);
        record.body_hash = header->hash;   // size stays RFC822.SIZE: the whole message's
        record.partial = true;
        if (fetch.body_structure && fetch.body_structure->size() <= max_structure_bytes) record.structure = *fetch.body_structure;
        ++report_.headers_only;
        add_to_batch(std::move(record), header->size);
    };
    run_uid_fetches(session_, chunk_by_count(uids, max_uids_per_command), {"UID", "BODY.PEEK[HEADER]", "BODYSTRUCTURE"},
                    context_.options.fetch_depth, "to send message headers");
    events_.on_fetch = nullptr;
}

void fetch_headers(imap::Session& session, SelectedMailboxListener& events, const imap::SequenceSet& uids, std::size_t depth,
                   const std::function<void(store::Uid, const std::optional<HeaderDigest>&)>& on_header) {
    if (uids.empty()) return;
    HeaderSink sink;
    SinkScope scope(session, sink);
    events.on_fetch = [&](const imap::FetchData& fetch) {
        const auto section = std::find_if(fetch.sections.begin(), fetch.sections.end(), [](const imap::BodySection& s) {
            return !s.origin && HeaderSink::is_header_item(s.item, s.section);
        });
        if (section == fetch.sections.end()) return;   // another FETCH (a flag change): not ours
        std::optional<std::optional<HeaderDigest>> streamed = sink.take(fetch.seq);
        if (!fetch.uid || !uids.contains(*fetch.uid)) return;
        std::optional<HeaderDigest> digest;
        if (section->streamed) {
            if (streamed) digest = *streamed;
        } else if (!section->nil) {   // a quoted string: short, kept in memory by the parser
            HeaderHasher hasher;
            hasher.update(section->data);
            digest = hasher.finish();
        }
        on_header(*fetch.uid, digest);
    };
    try {
        run_uid_fetches(session, chunk_by_count(uids, max_uids_per_command), {"UID", "BODY.PEEK[HEADER]"}, depth,
                        "to send message headers");
    } catch (...) {
        events.on_fetch = nullptr;
        throw;
    }
    events.on_fetch = nullptr;
}

std::vector<std::pair<store::MessageId, store::Uid>> check_pairs(
    SharedPullState& context, imap::Session& session, SelectedMailboxListener& events, const std::vector<StoredMessage>& stored,
    const std::vector<ServerMessage>& server, const std::vector<std::pair<store::MessageId, store::Uid>>& pairs) {
    using Pair = std::pair<store::MessageId, store::Uid>;
    if (pairs.empty()) return {};
    std::map<store::MessageId, const StoredMessage*> stored_by_id;
    for (const auto& message : stored) stored_by_id.emplace(message.id, &message);
    std::map<store::Uid, store::MessageId> paired;   // server UID → the stored message proposed
    imap::SequenceSet uids;
    for (const auto& [id, uid] : pairs) {
        paired.emplace(uid, id);
        uids.add(uid);
    }

    std::vector<Pair> kept;
    std::map<store::Uid, HeaderDigest> rejected;   // server headers that failed their pair (rare)
    fetch_headers(session, events, uids, context.options.fetch_depth,
                  [&](store::Uid uid, const std::optional<HeaderDigest>& header) {
                      auto it = paired.find(uid);
                      if (it == paired.end()) return;
                      const store::MessageId id = it->second;
                      paired.erase(it);   // a second answer for the UID is ignored
                      if (!header) return;
                      if (context.catalog.header_of(stored_by_id.at(id)->body) == header) kept.emplace_back(id, uid);
                      else rejected.emplace(uid, *header);
                  });

    if (!rejected.empty()) {
        // Second chance among the stored messages no kept pair took.
        std::set<store::MessageId> taken;
        for (const auto& [id, uid] : kept) taken.insert(id);
        std::vector<StoredMessage> free;
        for (const auto& message : stored)
            if (!taken.count(message.id)) free.push_back(message);
        std::vector<ServerMessage> again;
        for (const auto& message : server)
            if (rejected.count(message.uid)) again.push_back(message);
        std::map<store::BodyHash, std::optional<HeaderDigest>> stored_headers;
        const auto more = pair_messages(free, again, [&](const StoredMessage& candidate, const ServerMessage& message) {
            auto header = stored_headers.find(candidate.body);
            if (header == stored_headers.end())
                header = stored_headers.emplace(candidate.body, context.catalog.header_of(candidate.body)).first;
            return header->second == rejected.at(message.uid);
        });
        kept.insert(kept.end(), more.begin(), more.end());
    }
    std::sort(kept.begin(), kept.end(), [](const Pair& a, const Pair& b) { return a.second < b.second; });
    return kept;
}

void NewMessages::add_to_batch(store::MessageRecord record, std::uint64_t downloaded_bytes) {
    batch_bytes_ += record.size;
    batch_downloaded_ += downloaded_bytes;
    batch_.push_back(std::move(record));
    if (batch_.size() >= context_.options.commit_messages || batch_bytes_ >= context_.options.commit_bytes) commit_batch();
    // Each body waiting in bodies_ holds an open file: made durable early, before the row batch is full.
    else if (bodies_.size() >= max_pending_bodies) bodies_.commit();
}

void NewMessages::commit_batch() {
    // The crash promise: every body durable before the row that names it commits.
    bodies_.commit();
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

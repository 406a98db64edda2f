// Brings the messages a mailbox has and the mirror lacks into the mirror, in four steps per chunk
// of UIDs:
//   1. UID FETCH (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE [MODSEQ]) — what the server says
//      about them, small;
//   2. those whose identity names a body the store already has (body_catalog.hpp) are checked:
//      one pipelined UID FETCH (UID BODY.PEEK[HEADER]) for them all, each header section streamed
//      through a hasher and compared with the stored body's (message_identity.hpp). A match is
//      added without a download; a mismatch joins the downloads (report: reuse_rejected);
//   3. those the account's body rule leaves out (body_rule.hpp): UID FETCH (UID BODY.PEEK[HEADER]
//      BODYSTRUCTURE), pipelined; the header section becomes the record's body file, marked partial;
//   4. the others: pipelined UID FETCH (UID BODY.PEEK[]) commands, each asking for a bounded number
//      of bytes, several in flight; every body streams from the socket into its own blob file
//      (hashed on the way); the bodies are made durable a few dozen at a time (store::BlobBatch),
//      always before the rows naming them, which commit in batches.
// Memory is bounded by the chunk size and the commit batch, never by the size of a mailbox or of
// a message. Rows whose UID the mirror already has are skipped, so a rerun after an interruption
// only completes what is missing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/blob_store.hpp"
#include "store/records.hpp"
#include "sync/imap/session.hpp"
#include "sync/pull/selected_mailbox_listener.hpp"
#include "sync/pull/message_identity.hpp"
#include "sync/pull/shared_pull_state.hpp"

namespace mailsync::sync {

class NewMessages {
public:
    NewMessages(SharedPullState& context, imap::Session& session, SelectedMailboxListener& events, store::MailboxId mailbox,
                std::string mailbox_name, bool with_modseq, MailboxReport& report);

    // Downloads (or reuses) the messages of `uids` and commits them in batches; when it fails, the
    // messages complete so far are committed before the error goes on.
    void fetch(const imap::SequenceSet& uids);

private:
    void fetch_all(const imap::SequenceSet& uids);
    struct ReuseCandidate {
        store::MessageRecord record;
        std::vector<store::BodyHash> bodies;   // stored bodies of the same identity
    };

    std::vector<store::MessageRecord> fetch_metadata(const imap::SequenceSet& uids);
    // The candidates whose header matches one of their stored bodies (body_hash set to it); the
    // others are appended to `wanted`.
    std::vector<store::MessageRecord> check_reuse(std::vector<ReuseCandidate> candidates,
                                                  std::vector<store::MessageRecord>& wanted);
    void fetch_bodies(std::vector<store::MessageRecord> wanted);
    // Headers first (body_rule.hpp): UID FETCH (UID BODY.PEEK[HEADER] BODYSTRUCTURE), the header
    // section streamed into a blob file that stands for the body of a partial record.
    void fetch_headers_only(std::vector<store::MessageRecord> records);
    void add_to_batch(store::MessageRecord record, std::uint64_t downloaded_bytes);
    void commit_batch();

    SharedPullState& context_;
    imap::Session& session_;
    SelectedMailboxListener& events_;
    store::MailboxId mailbox_;
    std::string mailbox_name_;
    bool with_modseq_;
    MailboxReport& report_;
    std::vector<store::MessageRecord> batch_;
    store::BlobBatch bodies_;   // written, made durable together before batch_ commits
    std::uint64_t batch_bytes_ = 0;
    std::uint64_t batch_downloaded_ = 0;
};

// The header section of each of `uids` (UID FETCH (UID BODY.PEEK[HEADER]), commands of at most 500
// UIDs, `depth` in flight), streamed through a hasher: `on_header` is called once per UID the
// server answers for, with nullopt when the header is NIL or over max_header_bytes. A UID expunged
// meanwhile is not answered. Uses the session's body sink and events.on_fetch while it runs.
void fetch_headers(imap::Session& session, SelectedMailboxListener& events, const imap::SequenceSet& uids, std::size_t depth,
                   const std::function<void(store::Uid, const std::optional<HeaderDigest>&)>& on_header);

// For the re-pairing after a UIDVALIDITY change: keeps the `pairs` (from pair_messages, in UID
// order) whose server header section is byte-identical to the stored body's. A server message whose
// pair fails is offered the other stored messages of its identity that no kept pair took (two
// deliveries of one mail, paired crosswise by order); the rest stay unpaired, to be downloaded.
// Returns the kept pairs in UID order.
std::vector<std::pair<store::MessageId, store::Uid>> check_pairs(
    SharedPullState& context, imap::Session& session, SelectedMailboxListener& events, const std::vector<StoredMessage>& stored,
    const std::vector<ServerMessage>& server, const std::vector<std::pair<store::MessageId, store::Uid>>& pairs);

}  // namespace mailsync::sync

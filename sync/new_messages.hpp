// Brings the messages a mailbox has and the mirror lacks into the mirror, in three steps per chunk
// of UIDs:
//   1. UID FETCH (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE [MODSEQ]) — what the server says
//      about them, small;
//   2. those whose body the store already has (body_catalog.hpp) are added without a download;
//   3. the others: pipelined UID FETCH (UID BODY.PEEK[]) commands, each asking for a bounded number
//      of bytes, several in flight; every body streams from the socket into its own blob file
//      (hashed on the way), and the rows naming them commit in batches.
// Memory is bounded by the chunk size and the commit batch, never by the size of a mailbox or of
// a message. Rows whose UID the mirror already has are skipped, so a rerun after an interruption
// only completes what is missing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/records.hpp"
#include "sync/imap/session.hpp"
#include "sync/mailbox_events.hpp"
#include "sync/pull_context.hpp"

namespace mailsync::sync {

class NewMessages {
public:
    NewMessages(PullContext& context, imap::Session& session, MailboxEvents& events, store::MailboxId mailbox,
                std::string mailbox_name, bool with_modseq, MailboxReport& report);

    void fetch(const imap::SequenceSet& uids);

private:
    std::vector<store::MessageRecord> fetch_metadata(const imap::SequenceSet& uids);
    void fetch_bodies(std::vector<store::MessageRecord> wanted);
    void add_to_batch(store::MessageRecord record, std::uint64_t downloaded_bytes);
    void commit_batch();

    PullContext& context_;
    imap::Session& session_;
    MailboxEvents& events_;
    store::MailboxId mailbox_;
    std::string mailbox_name_;
    bool with_modseq_;
    MailboxReport& report_;
    std::vector<store::MessageRecord> batch_;
    std::uint64_t batch_bytes_ = 0;
    std::uint64_t batch_downloaded_ = 0;
};

}  // namespace mailsync::sync

// The decisions of `mailsync restore` that need no server and no store, tested as tables:
// a mailbox's name on the target, and which source messages the target already holds.
//
// Already there: a source message is not uploaded when the target mailbox holds a message that is
// it, each target message standing for at most one source message (a mailbox holding the same
// message twice gets it twice). A target message is it when
//   - the journal says so (`placed` with a UID, under the target mailbox's UIDVALIDITY now) and
//     the target still holds that UID (never reused under one UIDVALIDITY, so it is the message
//     uploaded then, whatever the target made of its bytes): "restored before", no header read;
//   - else, its RFC822.SIZE is the size of the message's bytes and its header section
//     (BODY.PEEK[HEADER]) is byte-identical to the stored one's: the check the pull makes before it
//     takes a server message for a stored one (sync/pull/message_identity.hpp). This finds an
//     upload whose tagged OK was lost (a `sending` in the journal: "recovered"), an upload made
//     without APPENDUID, and mail the target had before the restore (a restore into an account that
//     still holds half its mail), whether or not it has a Message-ID.
// The limit is the pull's: a message with a byte-identical header section and the same size but
// another body is taken for the same message. INTERNALDATE and flags are not compared: a message
// found already there keeps the target's.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/records.hpp"
#include "sync/pull/message_identity.hpp"
#include "sync/restore/restore_journal.hpp"

namespace mailsync::sync {

// The name on the target of source mailbox `name`: its levels (split at `source_delimiter`, empty:
// a flat name) joined with `target_delimiter` (nullopt: the target has no hierarchy). INBOX is
// INBOX in any case. nullopt when it cannot be written there: a level contains the target's
// delimiter, or the name has levels and the target none.
std::optional<std::string> target_mailbox_name(const std::string& name, const std::string& source_delimiter,
                                               std::optional<char> target_delimiter);

// One message of the source mailbox to restore, in the order they are uploaded.
struct SourceMessage {
    store::MessageId id = 0;
    std::uint64_t size = 0;                          // bytes of its body file
    std::optional<RestoreJournal::Entry> journal;    // its last event for this target mailbox
};

// What the target mailbox holds now: UIDVALIDITY and each UID's RFC822.SIZE.
struct TargetMailbox {
    std::uint32_t uidvalidity = 0;
    std::map<store::Uid, std::uint64_t> sizes;
};

enum class Verdict {
    upload,            // not on the target: upload it
    restored_before,   // the journal's UID holds it
    recovered,         // an upload cut before its answer (journal: sending) that reached the target
    already_there,     // found on the target by size and header section
};

struct Match {
    Verdict verdict = Verdict::upload;
    store::Uid uid = 0;   // the target message standing for it (0 for upload)
};

struct MatchPlan {
    std::vector<Match> matches;                 // one per source message, in order
    std::set<store::Uid> claimed;               // target UIDs that stand for a source message
    std::vector<std::size_t> sources_to_check;  // indexes of the sources a header check may settle
    std::vector<store::Uid> targets_to_check;   // the target UIDs whose header section that needs
};

// Step 1, from the journal and the sizes alone: the sources restored before, and what is left
// for the header check (the unclaimed target messages of a size some unsettled source has).
MatchPlan plan_matches(const std::vector<SourceMessage>& sources, const TargetMailbox& target);

// Step 2: each source to check takes the first unclaimed target message (lowest UID) of its size
// whose header section is its own. A missing digest (nullopt: not read, over the bound) matches
// nothing.
void match_headers(MatchPlan& plan, const std::vector<SourceMessage>& sources, const TargetMailbox& target,
                   const std::map<std::size_t, std::optional<HeaderDigest>>& source_headers,
                   const std::map<store::Uid, std::optional<HeaderDigest>>& target_headers);

}  // namespace mailsync::sync

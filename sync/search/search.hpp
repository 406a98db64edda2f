// Running a query (search_query.hpp) on an account's index (search_index.hpp): the ids of the
// messages that match, newest first (INTERNALDATE; equal dates by id, the later first).
//
// Phrases. The index keeps positions of header terms only (search_document.hpp), so the index
// alone can prove a phrase in a header but not one in body text. A query with a phrase (or NEAR)
// is run twice on the index: once narrowed, each phrase as the index can prove it (a match is
// certain), once widened, each phrase as the AND of its words (every match is among these). A
// candidate of the second that is not in the first is checked against its own message: the
// message's text read from the store and indexed with positions, and the whole query run on that
// one document — exactly the answer an index with every position would give. What it costs is one
// decode of each such candidate, newest first, until the limit is reached.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include <xapian.h>

#include "store/records.hpp"
#include "store/store.hpp"

namespace mailsync::sync::search {

struct SearchOptions {
    std::optional<store::MailboxId> mailbox;   // only this mailbox
    std::size_t limit = 0;                     // 0: every match
    bool deleted = false;                      // also what the server deleted (backup mode keeps it)
};

// Error(io) when the index cannot be read (missing: say so; `search` builds it first).
std::vector<store::MessageId> find_messages(store::Store& store, const Xapian::Query& query,
                                            const SearchOptions& options = {});

}  // namespace mailsync::sync::search

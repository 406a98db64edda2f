// Running a query (search_query.hpp) on an account's index (search_index.hpp): the ids of the
// messages that match, newest first (INTERNALDATE; equal dates by id, the later first).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <vector>

#include <xapian.h>

#include "store/records.hpp"

namespace mailsync::sync::search {

struct SearchOptions {
    std::optional<store::MailboxId> mailbox;   // only this mailbox
    std::size_t limit = 0;                     // 0: every match
    bool deleted = false;                      // also what the server deleted (backup mode keeps it)
};

// Error(io) when the index cannot be read (missing: say so; `search` builds it first).
std::vector<store::MessageId> find_messages(const std::filesystem::path& store_directory, const Xapian::Query& query,
                                            const SearchOptions& options = {});

}  // namespace mailsync::sync::search

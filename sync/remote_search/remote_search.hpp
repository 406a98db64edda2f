// `search --server`: the server answers a query (query.hpp) for each mailbox asked: EXAMINE, then
// UID SEARCH (RETURN (ALL) where ESEARCH is offered, CHARSET UTF-8 for 8-bit terms). The matches
// the mirror holds are the mirror's messages; the others (not yet synced, excluded by the
// account's patterns, or arrived since) are described from the server: envelope, INTERNALDATE,
// size and flags, no body downloaded.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/records.hpp"
#include "store/store.hpp"
#include "sync/server/connect.hpp"

namespace mailsync::sync::remote_search {

struct MailboxMatches {
    std::string mailbox;                           // wire name
    std::vector<store::MessageRecord> mirrored;    // matches the mirror holds, as it holds them
    std::vector<store::MessageRecord> not_mirrored;   // filled from the server: no id, no body
    std::optional<std::string> error;              // the server refused to select or search it
};

// `mailboxes`: wire names. Error(usage) for a query the server cannot be asked (query.hpp).
std::vector<MailboxMatches> search(Connection& connection, store::Store& store, const std::vector<std::string>& mailboxes,
                                   const std::string& query);

}  // namespace mailsync::sync::remote_search

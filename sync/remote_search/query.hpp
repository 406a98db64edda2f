// `search --server`: the query language of `mailsync search` (search_query.hpp) said as IMAP
// SEARCH criteria (RFC 3501 §6.4.4), for the server to answer about mail the mirror does not hold.
//
//   words, "a phrase"           TEXT (header or body, as the server matches it: substrings)
//   from: to: cc: subject:      FROM TO CC SUBJECT
//   flag:seen ...               SEEN ANSWERED FLAGGED DELETED DRAFT RECENT
//   keyword:NAME                KEYWORD NAME
//   date:A..B                   SINCE first day of A, BEFORE the day after B (dates of INTERNALDATE
//                               in the server's zone, where the mirror's search counts in UTC)
//   larger:N smaller:N          LARGER N, SMALLER N (bytes)
//   not X, -X                   NOT X
//   X or Y                      OR X Y
//   X Y, X and Y                X Y (parenthesised where needed)
//   mailbox:NAME                not a SEARCH key: the mailboxes to search (only where it narrows
//                               the whole query: and-ed at its top, not under not/or)
//
// has:attachment has no SEARCH key: Error(usage) saying so, as for any query that does not parse.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sync/imap/command.hpp"

namespace mailsync::sync::remote_search {

struct ServerQuery {
    std::vector<imap::cmd::SearchKey> criteria;
    std::vector<std::string> mailboxes;   // named by mailbox: terms; empty: every mailbox
};

ServerQuery to_server_query(std::string_view text);

}  // namespace mailsync::sync::remote_search

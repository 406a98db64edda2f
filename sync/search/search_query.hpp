// The query language of `mailsync search`, translated to a Xapian query (Xapian's QueryParser with
// the prefixes and slots of search_document.hpp):
//
//   bare words, "a phrase"            in any header or text part (case-insensitive; CJK by character)
//   from: to: cc: subject:            in that header only (from:"Jane Doe" is a phrase)
//   flag:seen|answered|flagged|deleted|draft   a system flag (flag:unseen etc. as "not flag:seen")
//   keyword:$Label1                   a keyword (any case)
//   mailbox:NAME                      in that mailbox (as `list` takes it; quote names with spaces)
//   has:attachment
//   date:A..B  date:A..  date:..B     INTERNALDATE from the start of A to the end of B, each a
//                                     day (2026-11-23), a month (2026-11) or a year (2026), UTC
//   larger:N  smaller:N               size in bytes, or with k, M, G (1024-based): larger:1M
//   and or not ( )  + -               boolean operators (any case); words side by side mean "and"
//
// Errors: Error(usage) for a query that does not parse or uses an unknown flag, date or size
// (saying which); Error(bad_input) for a mailbox the mirror does not have.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include <xapian.h>

#include "store/records.hpp"

namespace mailsync::sync::search {

// The mailbox a user means by NAME (nullopt: none such in the mirror).
using MailboxResolver = std::function<std::optional<store::MailboxId>(std::string_view name)>;

Xapian::Query parse_query(std::string_view text, const MailboxResolver& mailboxes);

// "1M" -> 1048576; nullopt when not a size.
std::optional<std::uint64_t> parse_size(std::string_view text);
// The first and the last second (UTC) of the day, month or year `text` names; nullopt when it names none.
std::optional<std::pair<store::UnixTime, store::UnixTime>> parse_date_span(std::string_view text);

}  // namespace mailsync::sync::search

// From what a FETCH told about a message to the fields of its mirror record: flags, MODSEQ,
// INTERNALDATE (with its zone), size, and the envelope summary `list` shows.
#pragma once

#include <optional>
#include <string>

#include "store/records.hpp"
#include "sync/imap/response.hpp"

namespace mailsync::sync {

// Fills every field the FETCH carries; leaves id, mailbox, uid and body_hash alone.
void fill_from_fetch(store::MessageRecord& record, const imap::FetchData& fetch);

// "Name <mailbox@host>", or "mailbox@host" without a name; empty for an empty list. Encoded words
// (RFC 2047) are kept as sent.
std::string address_summary(const std::vector<imap::Address>& addresses);

// "+0100" at the end of an INTERNALDATE, in minutes; 0 when absent or malformed.
std::int16_t internal_date_zone_minutes(std::string_view internal_date);

}  // namespace mailsync::sync

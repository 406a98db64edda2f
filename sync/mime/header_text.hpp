// Header field values for people: RFC 2047 encoded words and 8-bit text decoded to UTF-8, folding
// undone, addresses and dates parsed. The one place for these rules (cli/ and the search index
// use it; the store keeps headers as the server sent them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailsync::mime {

struct Address {
    std::string name;      // display name, decoded ("" when none)
    std::string address;   // addr-spec, "user@example.org" (may be "" in a malformed header)
    friend bool operator==(const Address&, const Address&) = default;
};

// An unstructured value (Subject, or a From summary) decoded and unfolded: encoded words in any
// charset iconv knows (white space between two of them dropped, RFC 2047 §6.2), raw 8-bit text
// read as UTF-8 or else windows-1252. Malformed encoded words stay as they are. Always valid UTF-8.
std::string decode_header_text(std::string_view raw_value);

// The mailboxes of an address header (From, To, Cc), groups flattened, names decoded.
std::vector<Address> parse_addresses(std::string_view raw_value);

// "Name <user@example.org>", or the bare address when there is no name.
std::string address_text(const Address& address);

struct HeaderDate {
    std::int64_t unix_seconds = 0;
    int zone_minutes = 0;   // the zone the sender wrote, e.g. +60 for "+0100"
};
// An RFC 5322 date (obsolete forms and common mistakes accepted); nullopt when it is not a date.
std::optional<HeaderDate> parse_date(std::string_view raw_value);

}  // namespace mailsync::mime

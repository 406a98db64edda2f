#include "sync/pull/record_from_fetch.hpp"

#include "sync/rules/flag_merge.hpp"
#include "sync/imap/parser.hpp"

namespace mailsync::sync {

std::string address_summary(const std::vector<imap::Address>& addresses) {
    for (const auto& address : addresses) {
        // A group start or end (RFC 3501 §7.4.2: NIL host) is not an address.
        if (!address.mailbox || !address.host) continue;
        std::string email = *address.mailbox + "@" + *address.host;
        if (address.name && !address.name->empty()) return *address.name + " <" + email + ">";
        return email;
    }
    return {};
}

std::int16_t internal_date_zone_minutes(std::string_view internal_date) {
    if (internal_date.size() < 5) return 0;
    const std::string_view zone = internal_date.substr(internal_date.size() - 5);
    if (zone[0] != '+' && zone[0] != '-') return 0;
    int digits[4];
    for (int i = 0; i < 4; ++i) {
        const char c = zone[static_cast<std::size_t>(i + 1)];
        if (c < '0' || c > '9') return 0;
        digits[i] = c - '0';
    }
    const int minutes = (digits[0] * 10 + digits[1]) * 60 + digits[2] * 10 + digits[3];
    return static_cast<std::int16_t>(zone[0] == '-' ? -minutes : minutes);
}

void fill_from_fetch(store::MessageRecord& record, const imap::FetchData& fetch) {
    if (fetch.flags) {
        record.flags = normalize_flags(*fetch.flags);
        record.synced_flags = record.flags;
    }
    if (fetch.modseq) record.modseq = *fetch.modseq;
    if (fetch.internal_date) {
        if (auto when = imap::parse_internal_date(*fetch.internal_date)) record.internaldate = *when;
        record.internaldate_zone_minutes = internal_date_zone_minutes(*fetch.internal_date);
    }
    if (fetch.rfc822_size) record.size = *fetch.rfc822_size;
    if (fetch.envelope) {
        const auto& envelope = *fetch.envelope;
        record.message_id = envelope.message_id.value_or("");
        record.date = envelope.date.value_or("");
        record.subject = envelope.subject.value_or("");
        record.from = address_summary(envelope.from);
    }
}

}  // namespace mailsync::sync

#include "sync/server/mailbox_names.hpp"

#include "common/error.hpp"
#include "common/inbox.hpp"
#include "common/utf8.hpp"

namespace mailsync::sync {

std::optional<std::string> mailbox_wire_name(std::string_view typed) {
    if (!utf8::is_valid(typed)) return std::nullopt;
    try {
        return imap::mutf7_encode(typed);
    } catch (const Error&) {
        return std::nullopt;   // U+0000: valid UTF-8, but no mailbox name can hold it
    }
}

bool names_mailbox(std::string_view typed, std::string_view wire) {
    if (is_inbox(typed) || is_inbox(wire)) return is_inbox(typed) && is_inbox(wire);
    if (typed == wire) return true;
    const auto encoded = mailbox_wire_name(typed);
    return encoded && *encoded == wire;
}

}  // namespace mailsync::sync

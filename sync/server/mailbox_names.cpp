#include "sync/server/mailbox_names.hpp"

#include "common/error.hpp"
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

}  // namespace mailsync::sync

// "INBOX", the one mailbox name that is case-insensitive (RFC 3501 §5.1): "inbox" and "Inbox" name
// the same mailbox, every other name is compared byte for byte.
#pragma once

#include <string_view>

#include "common/ascii.hpp"

namespace mailsync {

constexpr std::string_view inbox_name = "INBOX";

constexpr bool is_inbox(std::string_view mailbox_name) noexcept { return ascii::iequals(mailbox_name, inbox_name); }

}  // namespace mailsync

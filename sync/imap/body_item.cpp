#include "sync/imap/body_item.hpp"

#include <limits>

#include "common/ascii.hpp"
#include "sync/imap/wire_syntax.hpp"

namespace mailsync::imap::detail {

namespace {

// "<" number ">" at the end of `name`, removed from it; nullopt (and `name` unchanged) if absent.
// An origin that is not a valid number makes the whole name unrecognised (`valid` false).
std::optional<std::uint32_t> take_origin(std::string_view& name, bool& valid) {
    if (name.empty() || name.back() != '>') return std::nullopt;
    const auto open = name.rfind('<');
    if (open == std::string_view::npos || open + 2 > name.size() - 1) {
        valid = false;
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (char c : name.substr(open + 1, name.size() - open - 2)) {
        if (!wire::is_digit(c)) {
            valid = false;
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
        if (value > std::numeric_limits<std::uint32_t>::max()) {
            valid = false;
            return std::nullopt;
        }
    }
    name = name.substr(0, open);
    return static_cast<std::uint32_t>(value);
}

}  // namespace

std::optional<BodyItemName> classify_body_item(std::string_view name) {
    for (std::string_view plain : {"RFC822", "RFC822.HEADER", "RFC822.TEXT"}) {
        if (ascii::iequals(name, plain)) return BodyItemName{std::string(plain), "", std::nullopt};
    }
    for (std::string_view item : {"BODY", "BINARY"}) {
        if (!ascii::istarts_with(name, item) || name.size() <= item.size() ||
            name[item.size()] != '[') {
            continue;
        }
        std::string_view rest = name.substr(item.size() + 1);
        bool valid = true;
        const auto origin = take_origin(rest, valid);
        if (!valid || rest.empty() || rest.back() != ']') return std::nullopt;
        rest.remove_suffix(1);
        return BodyItemName{std::string(item), std::string(rest), origin};
    }
    return std::nullopt;
}

}  // namespace mailsync::imap::detail

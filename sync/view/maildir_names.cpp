#include "sync/view/maildir_names.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>

#include "common/inbox.hpp"
#include "sync/rules/flag_set.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::sync {
namespace {

struct Letter {
    char letter;
    std::string_view flag;
};
// In ASCII order of the letter: the order names carry them in.
constexpr std::array<Letter, 6> letters{{{'D', "\\Draft"},
                                         {'F', "\\Flagged"},
                                         {'P', "$Forwarded"},
                                         {'R', "\\Answered"},
                                         {'S', "\\Seen"},
                                         {'T', "\\Deleted"}}};

std::optional<std::uint64_t> number(std::string_view text) {
    std::uint64_t value = 0;
    if (text.empty() || text.size() > 19) return std::nullopt;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

bool is_maildir_directory_name(std::string_view level) { return level == "cur" || level == "new" || level == "tmp"; }

// One level of a folder path, reversibly (README): '%', the separators, control bytes, a leading
// '.', and (verbatim) the names of a Maildir's own directories are percent-encoded.
std::string encode_level(std::string_view level, MaildirLayout layout) {
    std::string out;
    for (std::size_t i = 0; i < level.size(); ++i) {
        const auto byte = static_cast<unsigned char>(level[i]);
        const bool encode = byte == '%' || byte == '/' || byte < 0x20 || byte == 0x7f ||
                            (byte == '.' && (i == 0 || layout == MaildirLayout::maildir_plus_plus)) ||
                            (i == 0 && layout == MaildirLayout::verbatim && is_maildir_directory_name(level));
        if (encode) out += fmt::format("%{:02X}", byte);
        else out.push_back(static_cast<char>(byte));
    }
    return out.empty() ? std::string("%") : out;   // an empty level ("a//b") still has a name
}

std::optional<std::string> decode_level(std::string_view level) {
    if (level == "%") return std::string();
    std::string out;
    for (std::size_t i = 0; i < level.size(); ++i) {
        if (level[i] != '%') {
            out.push_back(level[i]);
            continue;
        }
        if (i + 2 >= level.size()) return std::nullopt;   // '%' needs two hex digits
        unsigned value = 0;
        const auto [end, error] = std::from_chars(level.data() + i + 1, level.data() + i + 3, value, 16);
        if (error != std::errc() || end != level.data() + i + 3) return std::nullopt;
        out.push_back(static_cast<char>(value));
        i += 2;
    }
    return out;
}

std::vector<std::string_view> split(std::string_view text, std::string_view separator) {
    std::vector<std::string_view> parts;
    if (separator.empty()) return {text};
    for (;;) {
        const auto at = text.find(separator);
        if (at == std::string_view::npos) break;
        parts.push_back(text.substr(0, at));
        text.remove_prefix(at + separator.size());
    }
    parts.push_back(text);
    return parts;
}

}  // namespace

std::string_view to_string(MaildirLayout layout) {
    switch (layout) {
        case MaildirLayout::verbatim: return "verbatim";
        case MaildirLayout::maildir_plus_plus: return "maildir++";
    }
    return "verbatim";
}

std::string maildir_info(const std::vector<std::string>& flags) {
    std::string info;
    for (const Letter& letter : letters) {
        if (has_flag(flags, letter.flag)) info.push_back(letter.letter);
    }
    return info;
}

std::vector<std::string> flags_of_maildir_info(std::string_view info) {
    std::vector<std::string> flags;
    for (const Letter& letter : letters) {
        if (info.find(letter.letter) != std::string_view::npos) flags.emplace_back(letter.flag);
    }
    return flags;
}

std::string normalized_maildir_info(std::string_view info) { return maildir_info(flags_of_maildir_info(info)); }

std::string maildir_host_part(std::string_view host) {
    std::string out;
    for (char c : host) {
        if (c == '/') out += "\\057";
        else if (c == ':') out += "\\072";
        else if (c == ',') out += "\\054";
        else out.push_back(c);
    }
    return out.empty() ? std::string("localhost") : out;
}

std::string view_file_name(const store::MessageRecord& message, std::string_view host_part) {
    std::string name = fmt::format("{}.{}_0.{}", std::max<store::UnixTime>(message.internaldate, 0), message.id, host_part);
    if (message.uid) name += fmt::format(",U={}", *message.uid);
    return name + ":2," + maildir_info(message.flags);
}

MaildirFileName parse_maildir_file_name(std::string_view name) {
    MaildirFileName parsed;
    const auto colon = name.find(':');
    parsed.base = std::string(name.substr(0, colon));
    if (colon != std::string_view::npos && name.substr(colon).starts_with(":2,")) parsed.info = std::string(name.substr(colon + 3));

    // <time>.<id>_<n>.<host>[,U=<uid>]
    const std::string_view base = parsed.base;
    const auto first_dot = base.find('.');
    const auto underscore = base.find('_');
    if (first_dot == std::string_view::npos || underscore == std::string_view::npos || underscore < first_dot) return parsed;
    const auto second_dot = base.find('.', underscore);
    if (second_dot == std::string_view::npos) return parsed;
    if (!number(base.substr(0, first_dot)) || !number(base.substr(underscore + 1, second_dot - underscore - 1))) return parsed;
    const auto id = number(base.substr(first_dot + 1, underscore - first_dot - 1));
    if (!id || *id == 0) return parsed;
    parsed.id = *id;
    if (const auto u = base.rfind(",U="); u != std::string_view::npos && u > second_dot) {
        const auto uid = number(base.substr(u + 3));
        if (uid && *uid > 0 && *uid <= 0xffffffffu) parsed.uid = static_cast<store::Uid>(*uid);
    }
    return parsed;
}

std::string maildir_folder(std::string_view wire_name, std::string_view delimiter, MaildirLayout layout) {
    if (is_inbox(wire_name)) return layout == MaildirLayout::verbatim ? std::string(inbox_name) : std::string();
    const std::string display = mailbox_display_name(wire_name);
    std::string out;
    for (std::string_view level : split(display, delimiter)) {
        if (layout == MaildirLayout::verbatim) {
            if (!out.empty()) out.push_back('/');
        } else {
            out.push_back('.');
        }
        out += encode_level(level, layout);
    }
    return out;
}

std::optional<std::string> mailbox_of_maildir_folder(std::string_view folder, std::string_view delimiter, MaildirLayout layout) {
    std::string_view rest = folder;
    if (layout == MaildirLayout::maildir_plus_plus) {
        if (folder.empty()) return std::string(inbox_name);
        if (!folder.starts_with('.') || folder.find('/') != std::string_view::npos) return std::nullopt;
        rest.remove_prefix(1);
    }
    std::string name;
    bool first = true;
    for (std::string_view level : split(rest, layout == MaildirLayout::verbatim ? "/" : ".")) {
        if (level.empty()) return std::nullopt;
        const auto decoded = decode_level(level);
        if (!decoded) return std::nullopt;
        if (!first) name += delimiter;
        name += *decoded;
        first = false;
    }
    return name;
}

}  // namespace mailsync::sync

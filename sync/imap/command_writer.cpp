#include "sync/imap/command_writer.hpp"

#include <limits>
#include <type_traits>

#include "common/inbox.hpp"
#include "common/utf8.hpp"

namespace mailsync::imap::encoding {
namespace {

// Longer strings go as literals: a quoted string has to be scanned for its end by the server,
// and some servers cap the length of a quoted string well below their line limit.
constexpr std::size_t longest_quoted = 1024;
constexpr std::uint64_t literal_minus_limit = 4096;  // RFC 7888 §4
constexpr std::uint64_t largest_mod_sequence = std::numeric_limits<std::int64_t>::max();  // RFC 7162: 63-bit

bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// RFC 3501: ATOM-CHAR = <any CHAR except atom-specials>;
// atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
bool is_atom_char(unsigned char c) {
    if (c >= 0x80 || is_ctl(c)) return false;
    switch (c) {
    case '(': case ')': case '{': case ' ': case '%': case '*': case '"': case '\\': case ']':
        return false;
    default:
        return true;
    }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

[[noreturn]] void fail(ErrorCategory category, std::string message) { throw Error(category, std::move(message)); }

// RFC 9051: ASTRING-CHAR = ATOM-CHAR / resp-specials
bool is_astring_char(unsigned char c) { return c == ']' || is_atom_char(c); }

bool all_of(std::string_view text, bool (*predicate)(unsigned char)) {
    for (char c : text) {
        if (!predicate(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

bool is_atom(std::string_view text) { return !text.empty() && all_of(text, is_atom_char); }

// flag = "\" atom / atom (system flags, flag-extension and flag-keyword all have this shape).
bool is_flag(std::string_view text) {
    if (!text.empty() && text.front() == '\\') text.remove_prefix(1);
    return is_atom(text);
}

bool is_base64_char(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
           c == '=';
}

// fetch-att as the engine writes it, e.g. "BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.1024>": atom
// characters outside brackets, and inside one pair of brackets also spaces and parentheses.
bool is_fetch_item(std::string_view text) {
    if (text.empty()) return false;
    bool in_section = false;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '[') {
            if (in_section) return false;
            in_section = true;
        } else if (c == ']') {
            if (!in_section) return false;
            in_section = false;
        } else if (in_section) {
            if (!(is_atom_char(c) || c == ' ' || c == '(' || c == ')' || c == '"')) return false;
        } else if (!is_atom_char(c)) {
            return false;
        }
    }
    return !in_section;
}

// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
// e.g. "17-Jul-1996 02:44:25 -0700" (without the quotes here).
bool is_date_time(std::string_view text) {
    if (text.size() != 26) return false;
    static constexpr std::string_view months[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    bool day_ok = (text[0] == ' ' || is_digit(text[0])) && is_digit(text[1]);
    bool month_ok = false;
    for (auto month : months) month_ok = month_ok || text.substr(3, 3) == month;
    auto digits = [&](std::size_t from, std::size_t count) {
        for (std::size_t i = from; i < from + count; ++i) {
            if (!is_digit(text[i])) return false;
        }
        return true;
    };
    return day_ok && text[2] == '-' && month_ok && text[6] == '-' && digits(7, 4) && text[11] == ' ' &&
           digits(12, 2) && text[14] == ':' && digits(15, 2) && text[17] == ':' && digits(18, 2) &&
           text[20] == ' ' && (text[21] == '+' || text[21] == '-') && digits(22, 4);
}

void Writer::raw(std::string_view text) {
    append_bytes(text);
    line_length_ += text.size();
}

void Writer::space() {
    raw(" ");
}

void Writer::token(std::string_view text, bool valid, ErrorCategory category, std::string_view what) {
    if (!valid && mode_ == Mode::wire) {
        fail(category, std::string("invalid ") + std::string(what) + " '" + printable(text) + "'");
    }
    if (mode_ == Mode::log && !valid) {
        quoted_for_log(text);
    } else {
        raw(text);
    }
}

void Writer::number(std::uint64_t value) {
    raw(std::to_string(value));
}

void Writer::astring(std::string_view text) {
    if (!text.empty() && all_of(text, is_astring_char)) {
        raw(text);
    } else {
        string(text);
    }
}

void Writer::string(std::string_view text) {
    if (mode_ == Mode::log) {
        quoted_for_log(text);
    } else if (quotable(text)) {
        quoted(text);
    } else {
        literal(text);
    }
}

void Writer::mailbox(std::string_view name) {
    astring(is_inbox(name) ? inbox_name : name);
}

void Writer::secret(std::string_view text) {
    if (mode_ == Mode::log) {
        raw("***");
    } else {
        astring(text);
    }
}

void Writer::sequence_set(const SequenceSet& set, std::string_view what, bool to_star) {
    if (set.empty()) {
        if (mode_ == Mode::log) {
            raw("<empty>");
            return;
        }
        fail(ErrorCategory::internal, "cannot send an empty " + std::string(what));
    }
    if (!to_star) {
        raw(set.to_string());
        return;
    }
    const auto& ranges = set.ranges();
    SequenceSet head;
    for (std::size_t i = 0; i + 1 < ranges.size(); ++i) head.add(ranges[i]);
    if (!head.empty()) raw(head.to_string() + ",");
    raw(std::to_string(ranges.back().first) + ":*");
}

void Writer::flag_list(const std::vector<std::string>& flags) {
    raw("(");
    for (std::size_t i = 0; i < flags.size(); ++i) {
        if (i > 0) space();
        token(flags[i], is_flag(flags[i]), ErrorCategory::bad_input, "flag");
    }
    raw(")");
}

void Writer::file(const std::string& path, std::uint64_t size) {
    if (mode_ == Mode::log) {
        raw("{" + std::to_string(size) + "} <" + printable(path) + ">");
        return;
    }
    if (path.empty()) fail(ErrorCategory::internal, "APPEND without a message file");
    bool synchronizing = literal_header(size);
    if (synchronizing) parts_.emplace_back(part::AwaitContinuation{});
    parts_.emplace_back(part::FileContent{path, size});
}

void Writer::end_line() {
    if (mode_ == Mode::wire) {
        raw("\r\n");
        check_line_length();
    }
}

std::vector<Part> Writer::take() {
    return std::move(parts_);
}

std::string Writer::text() const {
    std::string out;
    for (const auto& piece : parts_) {
        if (const auto* bytes = std::get_if<part::Bytes>(&piece)) out += bytes->bytes;
    }
    return out;
}

bool Writer::quotable(std::string_view text) const {
    if (text.size() > longest_quoted) return false;
    bool eight_bit = false;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '\r' || c == '\n' || c == 0) return false;
        eight_bit = eight_bit || c >= 0x80;
    }
    // RFC 6855: with UTF8=ACCEPT a quoted string may hold UTF-8, and only valid UTF-8.
    return !eight_bit || (options_.utf8_accept && utf8::is_valid(text));
}

void Writer::quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    raw(out);
}

void Writer::literal(std::string_view text) {
    // RFC 3501: literal = "{" number "}" CRLF *CHAR8, and CHAR8 excludes NUL.
    if (text.find('\0') != std::string_view::npos) {
        fail(ErrorCategory::bad_input, "a string sent to the server contains a NUL byte, which IMAP cannot carry");
    }
    bool synchronizing = literal_header(text.size());
    if (synchronizing) parts_.emplace_back(part::AwaitContinuation{});
    append_bytes(text);  // literal data is not part of any command line
}

bool Writer::literal_header(std::uint64_t size) {
    bool non_synchronizing = options_.literal_plus || (options_.literal_minus && size <= literal_minus_limit);
    raw("{" + std::to_string(size) + (non_synchronizing ? "+}" : "}"));
    end_line();
    return !non_synchronizing;
}

void Writer::check_line_length() {
    if (line_length_ > options_.max_line) {
        fail(ErrorCategory::internal,
            "command line of " + std::to_string(line_length_) + " bytes exceeds the limit of " +
                std::to_string(options_.max_line) + " bytes; split the UID set with SequenceSet::split");
    }
    line_length_ = 0;
}

void Writer::quoted_for_log(std::string_view text) {
    std::string out = "\"";
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (is_ctl(c) || c >= 0x80) {
            out += escaped_byte(c);
        } else {
            out += ch;
        }
    }
    out += '"';
    raw(out);
}

std::string Writer::escaped_byte(unsigned char c) {
    constexpr std::string_view hex = "0123456789ABCDEF";
    return std::string("\\x") + hex[c >> 4] + hex[c & 0x0f];
}

std::string Writer::printable(std::string_view text) {
    std::string out;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        out += (is_ctl(c) || c >= 0x80) ? escaped_byte(c) : std::string(1, ch);
    }
    return out;
}

void Writer::append_bytes(std::string_view text) {
    if (parts_.empty() || !std::holds_alternative<part::Bytes>(parts_.back())) {
        parts_.emplace_back(part::Bytes{});
    }
    std::get<part::Bytes>(parts_.back()).bytes.append(text);
}

void check_mod_sequence(std::uint64_t value, Mode mode) {
    if (mode == Mode::wire && value > largest_mod_sequence) {
        fail(ErrorCategory::internal, "mod-sequence " + std::to_string(value) + " exceeds 2^63-1");
    }
}

void atoms(Writer& w, const std::vector<std::string>& items, std::string_view what) {
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) w.space();
        w.token(items[i], is_atom(items[i]), ErrorCategory::internal, what);
    }
}

void require(bool condition, Mode mode, std::string_view message) {
    if (!condition && mode == Mode::wire) fail(ErrorCategory::internal, std::string(message));
}

}  // namespace mailsync::imap::encoding

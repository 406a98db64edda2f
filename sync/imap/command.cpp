#include "sync/imap/command.hpp"

#include <algorithm>
#include <limits>
#include <string_view>
#include <type_traits>

#include "common/error.hpp"
#include "sync/imap/mutf7.hpp"

namespace mailsync::imap {
namespace {

// Longer strings go as literals: a quoted string has to be scanned for its end by the server,
// and some servers cap the length of a quoted string well below their line limit.
constexpr std::size_t longest_quoted = 1024;
constexpr std::uint64_t literal_minus_limit = 4096;  // RFC 7888 §4
constexpr std::uint64_t largest_mod_sequence = std::numeric_limits<std::int64_t>::max();  // RFC 7162: 63-bit

[[noreturn]] void fail(ErrorCategory category, std::string message) { throw Error(category, std::move(message)); }

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

bool is_digit(char c) { return c >= '0' && c <= '9'; }

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

bool is_inbox(std::string_view name) {
    constexpr std::string_view inbox = "INBOX";
    if (name.size() != inbox.size()) return false;
    for (std::size_t i = 0; i < inbox.size(); ++i) {
        char c = name[i];
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (c != inbox[i]) return false;
    }
    return true;
}

// Encoding for the wire, or a one-line rendering for logs that hides secrets and never throws
// on content (a log line must be written even for the command that could not be encoded).
enum class Mode { wire, log };

class Writer {
public:
    Writer(const EncoderOptions& options, Mode mode) : options_(options), mode_(mode) {}

    void raw(std::string_view text) {
        append_bytes(text);
        line_length_ += text.size();
    }
    void space() { raw(" "); }

    // A token the encoder builds itself or checks with `valid` (atoms, flags, fetch items).
    void token(std::string_view text, bool valid, ErrorCategory category, std::string_view what) {
        if (!valid && mode_ == Mode::wire) {
            fail(category, std::string("invalid ") + std::string(what) + " '" + printable(text) + "'");
        }
        if (mode_ == Mode::log && !valid) {
            quoted_for_log(text);
        } else {
            raw(text);
        }
    }

    void number(std::uint64_t value) { raw(std::to_string(value)); }

    void astring(std::string_view text) {
        if (!text.empty() && all_of(text, is_astring_char)) {
            raw(text);
        } else {
            string(text);
        }
    }

    // string = quoted / literal: never an atom.
    void string(std::string_view text) {
        if (mode_ == Mode::log) {
            quoted_for_log(text);
        } else if (quotable(text)) {
            quoted(text);
        } else {
            literal(text);
        }
    }

    // RFC 3501 §5.1: INBOX is case-insensitive; sending it canonically avoids servers that
    // would otherwise create a second, differently cased mailbox.
    void mailbox(std::string_view name) { astring(is_inbox(name) ? std::string_view("INBOX") : name); }

    void secret(std::string_view text) {
        if (mode_ == Mode::log) {
            raw("***");
        } else {
            astring(text);
        }
    }

    void sequence_set(const SequenceSet& set, std::string_view what, bool to_star = false) {
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

    void flag_list(const std::vector<std::string>& flags) {
        raw("(");
        for (std::size_t i = 0; i < flags.size(); ++i) {
            if (i > 0) space();
            token(flags[i], is_flag(flags[i]), ErrorCategory::bad_input, "flag");
        }
        raw(")");
    }

    void file(const std::string& path, std::uint64_t size) {
        if (mode_ == Mode::log) {
            raw("{" + std::to_string(size) + "} <" + printable(path) + ">");
            return;
        }
        if (path.empty()) fail(ErrorCategory::internal, "APPEND without a message file");
        bool synchronizing = literal_header(size);
        if (synchronizing) parts_.emplace_back(part::AwaitContinuation{});
        parts_.emplace_back(part::FileContent{path, size});
    }

    void end_line() {
        if (mode_ == Mode::wire) {
            raw("\r\n");
            check_line_length();
        }
    }

    std::vector<Part> take() { return std::move(parts_); }

    std::string text() const {
        std::string out;
        for (const auto& piece : parts_) {
            if (const auto* bytes = std::get_if<part::Bytes>(&piece)) out += bytes->bytes;
        }
        return out;
    }

private:
    bool quotable(std::string_view text) const {
        if (text.size() > longest_quoted) return false;
        bool eight_bit = false;
        for (char ch : text) {
            auto c = static_cast<unsigned char>(ch);
            if (c == '\r' || c == '\n' || c == 0) return false;
            eight_bit = eight_bit || c >= 0x80;
        }
        // RFC 6855: with UTF8=ACCEPT a quoted string may hold UTF-8, and only valid UTF-8.
        return !eight_bit || (options_.utf8_accept && is_valid_utf8(text));
    }

    void quoted(std::string_view text) {
        std::string out = "\"";
        for (char c : text) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
        raw(out);
    }

    void literal(std::string_view text) {
        // RFC 3501: literal = "{" number "}" CRLF *CHAR8, and CHAR8 excludes NUL.
        if (text.find('\0') != std::string_view::npos) {
            fail(ErrorCategory::bad_input, "a string sent to the server contains a NUL byte, which IMAP cannot carry");
        }
        bool synchronizing = literal_header(text.size());
        if (synchronizing) parts_.emplace_back(part::AwaitContinuation{});
        append_bytes(text);  // literal data is not part of any command line
    }

    // Writes "{n}" or "{n+}" and ends the line; returns whether the server must send "+" first.
    bool literal_header(std::uint64_t size) {
        bool non_synchronizing = options_.literal_plus || (options_.literal_minus && size <= literal_minus_limit);
        raw("{" + std::to_string(size) + (non_synchronizing ? "+}" : "}"));
        end_line();
        return !non_synchronizing;
    }

    void check_line_length() {
        if (line_length_ > options_.max_line) {
            fail(ErrorCategory::internal,
                "command line of " + std::to_string(line_length_) + " bytes exceeds the limit of " +
                    std::to_string(options_.max_line) + " bytes; split the UID set with SequenceSet::split");
        }
        line_length_ = 0;
    }

    void quoted_for_log(std::string_view text) {
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

    static std::string escaped_byte(unsigned char c) {
        constexpr std::string_view hex = "0123456789ABCDEF";
        return std::string("\\x") + hex[c >> 4] + hex[c & 0x0f];
    }

    static std::string printable(std::string_view text) {
        std::string out;
        for (char ch : text) {
            auto c = static_cast<unsigned char>(ch);
            out += (is_ctl(c) || c >= 0x80) ? escaped_byte(c) : std::string(1, ch);
        }
        return out;
    }

    // Adjacent bytes are merged so that the session writes few, large buffers.
    void append_bytes(std::string_view text) {
        if (parts_.empty() || !std::holds_alternative<part::Bytes>(parts_.back())) {
            parts_.emplace_back(part::Bytes{});
        }
        std::get<part::Bytes>(parts_.back()).bytes.append(text);
    }

    const EncoderOptions& options_;
    Mode mode_;
    std::vector<Part> parts_;
    std::size_t line_length_ = 0;
};

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

// RFC 5465 §8: event names and filter-mailboxes keywords, spelled as the RFC's examples do.
std::string_view notify_event_name(cmd::NotifyEvent event) {
    switch (event) {
    case cmd::NotifyEvent::message_new: return "MessageNew";
    case cmd::NotifyEvent::message_expunge: return "MessageExpunge";
    case cmd::NotifyEvent::flag_change: return "FlagChange";
    case cmd::NotifyEvent::mailbox_name: return "MailboxName";
    case cmd::NotifyEvent::subscription_change: return "SubscriptionChange";
    }
    return "?";
}

std::string_view notify_filter_name(cmd::NotifyFilter filter) {
    switch (filter) {
    case cmd::NotifyFilter::selected: return "selected";
    case cmd::NotifyFilter::selected_delayed: return "selected-delayed";
    case cmd::NotifyFilter::inboxes: return "inboxes";
    case cmd::NotifyFilter::personal: return "personal";
    case cmd::NotifyFilter::subscribed: return "subscribed";
    case cmd::NotifyFilter::subtree: return "subtree";
    case cmd::NotifyFilter::mailboxes: return "mailboxes";
    }
    return "?";
}

bool is_selected_filter(cmd::NotifyFilter filter) {
    return filter == cmd::NotifyFilter::selected || filter == cmd::NotifyFilter::selected_delayed;
}

bool names_mailboxes(cmd::NotifyFilter filter) {
    return filter == cmd::NotifyFilter::subtree || filter == cmd::NotifyFilter::mailboxes;
}

// The composition rules of RFC 5465 §5 and §6.1 for one event group.
void check_notify_group(const cmd::NotifyGroup& group, Mode mode) {
    const auto has = [&](cmd::NotifyEvent event) {
        return std::find(group.events.begin(), group.events.end(), event) != group.events.end();
    };
    const bool message_new = has(cmd::NotifyEvent::message_new);
    const bool message_expunge = has(cmd::NotifyEvent::message_expunge);
    require(message_new == message_expunge, mode, "NOTIFY: MessageNew and MessageExpunge go together (RFC 5465 §5)");
    require(!has(cmd::NotifyEvent::flag_change) || (message_new && message_expunge), mode,
        "NOTIFY: FlagChange needs MessageNew and MessageExpunge (RFC 5465 §5)");
    if (is_selected_filter(group.filter)) {
        require(!has(cmd::NotifyEvent::mailbox_name) && !has(cmd::NotifyEvent::subscription_change), mode,
            "NOTIFY: the selected mailbox takes message events only (RFC 5465 §6.1)");
    }
    if (names_mailboxes(group.filter)) {
        require(!group.mailboxes.empty(), mode, "NOTIFY: subtree and mailboxes need at least one mailbox");
    } else {
        require(group.mailboxes.empty(), mode, "NOTIFY: only subtree and mailboxes name mailboxes");
    }
}

// Writes the command after "tag SP", without the final CRLF.
struct BodyWriter {
    Writer& w;
    Mode mode;

    void operator()(const cmd::Capability&) const { w.raw("CAPABILITY"); }
    void operator()(const cmd::Noop&) const { w.raw("NOOP"); }
    void operator()(const cmd::Logout&) const { w.raw("LOGOUT"); }
    void operator()(const cmd::StartTls&) const { w.raw("STARTTLS"); }
    void operator()(const cmd::Unselect&) const { w.raw("UNSELECT"); }
    void operator()(const cmd::Close&) const { w.raw("CLOSE"); }
    void operator()(const cmd::Idle&) const { w.raw("IDLE"); }
    void operator()(const cmd::Done&) const { w.raw("DONE"); }

    void operator()(const cmd::Login& c) const {
        w.raw("LOGIN ");
        w.astring(c.user);
        w.space();
        w.secret(c.password);
    }

    void operator()(const cmd::Authenticate& c) const {
        w.raw("AUTHENTICATE ");
        w.token(c.mechanism, is_atom(c.mechanism), ErrorCategory::internal, "SASL mechanism");
        if (!c.initial_response) return;
        w.space();
        if (mode == Mode::log) {
            w.raw("***");
        } else {
            bool base64 = !c.initial_response->empty() && all_of(*c.initial_response, is_base64_char);
            // Not echoed in the error: the response carries credentials.
            if (!base64) fail(ErrorCategory::internal, "SASL initial response is not base64");
            w.raw(*c.initial_response);
        }
    }

    void operator()(const cmd::Enable& c) const {
        require(!c.capabilities.empty(), mode, "ENABLE needs at least one capability");
        w.raw("ENABLE ");
        atoms(w, c.capabilities, "capability");
    }

    void operator()(const cmd::Id& c) const {
        w.raw("ID ");
        if (c.fields.empty()) {
            w.raw("NIL");
            return;
        }
        // RFC 2971 §3.3: at most 30 pairs, names up to 30 bytes, values up to 1024 bytes.
        require(c.fields.size() <= 30, mode, "ID allows at most 30 fields");
        w.raw("(");
        for (std::size_t i = 0; i < c.fields.size(); ++i) {
            const auto& [name, value] = c.fields[i];
            require(name.size() <= 30 && value.size() <= 1024, mode,
                "ID field names are limited to 30 bytes and values to 1024");
            if (i > 0) w.space();
            w.string(name);
            w.space();
            w.string(value);
        }
        w.raw(")");
    }

    void operator()(const cmd::Select& c) const {
        w.raw(c.read_only ? "EXAMINE " : "SELECT ");
        w.mailbox(c.mailbox);
        if (c.qresync) {
            // RFC 7162 §3.2.5: QRESYNC implies CONDSTORE, so (CONDSTORE) is not sent beside it.
            const auto& q = *c.qresync;
            require(q.uidvalidity != 0, mode, "QRESYNC needs a non-zero UIDVALIDITY");
            check_mod_sequence(q.modseq, mode);
            w.raw(" (QRESYNC (");
            w.number(q.uidvalidity);
            w.space();
            w.number(q.modseq);
            if (q.known_uids) {
                w.space();
                w.sequence_set(*q.known_uids, "known UID set");
            }
            if (q.seq_match) {
                w.raw(" (");
                w.sequence_set(q.seq_match->first, "known sequence set");
                w.space();
                w.sequence_set(q.seq_match->second, "known UID set");
                w.raw(")");
            }
            w.raw("))");
        } else if (c.condstore) {
            w.raw(" (CONDSTORE)");
        }
    }

    void operator()(const cmd::Create& c) const {
        w.raw("CREATE ");
        w.mailbox(c.mailbox);
        if (c.special_use) {
            bool valid = c.special_use->size() > 1 && c.special_use->front() == '\\' && is_flag(*c.special_use);
            w.raw(" (USE (");
            w.token(*c.special_use, valid, ErrorCategory::bad_input, "special-use attribute");
            w.raw("))");
        }
    }

    void operator()(const cmd::Delete& c) const {
        w.raw("DELETE ");
        w.mailbox(c.mailbox);
    }

    void operator()(const cmd::Rename& c) const {
        w.raw("RENAME ");
        w.mailbox(c.from);
        w.space();
        w.mailbox(c.to);
    }

    void operator()(const cmd::Subscribe& c) const {
        w.raw("SUBSCRIBE ");
        w.mailbox(c.mailbox);
    }

    void operator()(const cmd::List& c) const {
        w.raw("LIST ");
        w.mailbox(c.reference);
        w.space();
        w.string(c.pattern);
        if (!c.return_special_use && c.return_status.empty()) return;
        w.raw(" RETURN (");
        if (c.return_special_use) w.raw("SPECIAL-USE");
        if (!c.return_status.empty()) {
            if (c.return_special_use) w.space();
            w.raw("STATUS (");
            atoms(w, c.return_status, "status item");
            w.raw(")");
        }
        w.raw(")");
    }

    void operator()(const cmd::Status& c) const {
        require(!c.items.empty(), mode, "STATUS needs at least one item");
        w.raw("STATUS ");
        w.mailbox(c.mailbox);
        w.raw(" (");
        atoms(w, c.items, "status item");
        w.raw(")");
    }

    void operator()(const cmd::UidFetch& c) const {
        require(!c.items.empty(), mode, "UID FETCH needs at least one item");
        require(!c.vanished || c.changed_since, mode, "VANISHED requires CHANGEDSINCE");
        w.raw("UID FETCH ");
        w.sequence_set(c.uids, "UID set", c.to_star);
        w.raw(" (");
        for (std::size_t i = 0; i < c.items.size(); ++i) {
            if (i > 0) w.space();
            w.token(c.items[i], is_fetch_item(c.items[i]), ErrorCategory::internal, "fetch item");
        }
        w.raw(")");
        if (c.changed_since) {
            check_mod_sequence(*c.changed_since, mode);
            w.raw(" (CHANGEDSINCE ");
            w.number(*c.changed_since);
            if (c.vanished) w.raw(" VANISHED");
            w.raw(")");
        }
    }

    void operator()(const cmd::UidStore& c) const {
        w.raw("UID STORE ");
        w.sequence_set(c.uids, "UID set");
        if (c.unchanged_since) {
            check_mod_sequence(*c.unchanged_since, mode);
            w.raw(" (UNCHANGEDSINCE ");
            w.number(*c.unchanged_since);
            w.raw(")");
        }
        switch (c.mode) {
        case cmd::StoreMode::add: w.raw(" +FLAGS"); break;
        case cmd::StoreMode::remove: w.raw(" -FLAGS"); break;
        case cmd::StoreMode::replace: w.raw(" FLAGS"); break;
        }
        if (c.silent) w.raw(".SILENT");
        w.space();
        w.flag_list(c.flags);
    }

    void operator()(const cmd::UidCopy& c) const {
        w.raw("UID COPY ");
        w.sequence_set(c.uids, "UID set");
        w.space();
        w.mailbox(c.mailbox);
    }

    void operator()(const cmd::UidMove& c) const {
        w.raw("UID MOVE ");
        w.sequence_set(c.uids, "UID set");
        w.space();
        w.mailbox(c.mailbox);
    }

    void operator()(const cmd::UidExpunge& c) const {
        w.raw("UID EXPUNGE ");
        w.sequence_set(c.uids, "UID set");
    }

    void operator()(const cmd::UidSearch& c) const {
        require(!c.criteria.empty() || c.header, mode, "UID SEARCH needs criteria");
        w.raw("UID SEARCH");
        if (!c.return_options.empty()) {
            w.raw(" RETURN (");
            atoms(w, c.return_options, "search return option");
            w.raw(")");
        }
        if (c.header) {
            auto eight_bit = [](std::string_view text) {
                return !all_of(text, [](unsigned char ch) { return ch < 0x80; });
            };
            // RFC 3501 §6.4.4: without a CHARSET the server assumes US-ASCII.
            if (eight_bit(c.header->first) || eight_bit(c.header->second)) w.raw(" CHARSET UTF-8");
        }
        if (!c.criteria.empty()) {
            bool safe = all_of(c.criteria, [](unsigned char ch) { return ch != '\r' && ch != '\n' && ch != 0; });
            w.space();
            w.token(c.criteria, safe, ErrorCategory::internal, "search criteria");
        }
        if (c.header) {
            w.raw(" HEADER ");
            w.astring(c.header->first);
            w.space();
            w.astring(c.header->second);
        }
    }

    // notify = "NOTIFY" SP (notify-set / notify-none)
    // notify-set = "SET" [status-indicator] SP event-groups ; status-indicator = SP "STATUS"
    // event-group = "(" filter-mailboxes SP events ")"
    // events = ( "(" event *(SP event) ")" ) / "NONE"
    // one-or-more-mailbox = mailbox / many-mailboxes ; many-mailboxes = "(" mailbox *(SP mailbox) ")"
    void operator()(const cmd::Notify& c) const {
        if (c.groups.empty()) {
            require(!c.status, mode, "NOTIFY SET STATUS needs at least one event group");
            w.raw("NOTIFY NONE");
            return;
        }
        const auto selected_groups = std::count_if(c.groups.begin(), c.groups.end(),
            [](const cmd::NotifyGroup& group) { return is_selected_filter(group.filter); });
        require(selected_groups <= 1, mode, "NOTIFY: at most one selected or selected-delayed group (RFC 5465 §6.1)");
        w.raw(c.status ? "NOTIFY SET STATUS" : "NOTIFY SET");
        for (const auto& group : c.groups) {
            check_notify_group(group, mode);
            w.raw(" (");
            w.raw(notify_filter_name(group.filter));
            if (!group.mailboxes.empty()) {
                w.space();
                if (group.mailboxes.size() > 1) w.raw("(");
                for (std::size_t i = 0; i < group.mailboxes.size(); ++i) {
                    if (i > 0) w.space();
                    w.mailbox(group.mailboxes[i]);
                }
                if (group.mailboxes.size() > 1) w.raw(")");
            }
            if (group.events.empty()) {
                w.raw(" NONE)");
                continue;
            }
            w.raw(" (");
            for (std::size_t i = 0; i < group.events.size(); ++i) {
                if (i > 0) w.space();
                w.raw(notify_event_name(group.events[i]));
            }
            w.raw("))");
        }
    }

    void operator()(const cmd::Append& c) const {
        w.raw("APPEND ");
        w.mailbox(c.mailbox);
        if (!c.flags.empty()) {
            w.space();
            w.flag_list(c.flags);
        }
        if (c.internal_date) {
            w.space();
            if (mode == Mode::wire && !is_date_time(*c.internal_date)) {
                fail(ErrorCategory::bad_input, "invalid IMAP date-time '" + *c.internal_date +
                                                   "' (expected e.g. \"17-Jul-1996 02:44:25 -0700\")");
            }
            w.string(*c.internal_date);
        }
        // Servers refuse empty messages (Dovecot: "Can't save a zero byte message").
        if (mode == Mode::wire && c.size == 0) fail(ErrorCategory::bad_input, "cannot append an empty message");
        w.space();
        w.file(c.path, c.size);
    }
};

bool is_tag(std::string_view tag) {
    // tag = 1*<any ASTRING-CHAR except "+">
    return !tag.empty() && all_of(tag, [](unsigned char c) { return c != '+' && is_astring_char(c); });
}

}  // namespace

EncodedCommand encode(const std::string& tag, const Command& command, const EncoderOptions& options) {
    Writer writer(options, Mode::wire);
    EncodedCommand encoded;
    // DONE is a continuation of IDLE, not a command of its own: it carries no tag.
    if (!std::holds_alternative<cmd::Done>(command)) {
        if (!is_tag(tag)) fail(ErrorCategory::internal, "invalid command tag '" + tag + "'");
        encoded.tag = tag;
        writer.raw(tag);
        writer.space();
    }
    std::visit(BodyWriter{writer, Mode::wire}, command);
    writer.end_line();
    encoded.parts = writer.take();
    return encoded;
}

std::string describe(const Command& command) {
    EncoderOptions options;
    Writer writer(options, Mode::log);
    std::visit(BodyWriter{writer, Mode::log}, command);
    return writer.text();
}

}  // namespace mailsync::imap

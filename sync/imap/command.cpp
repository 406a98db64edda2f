// The command encoder: how each command of command.hpp is written (BodyWriter, one overload per
// command), the tag, and the one-line rendering for logs. The byte-level writing (tokens, quoted
// strings, literals, line limits) and the checks of what a command may carry are in
// command_writer.cpp.
#include "sync/imap/command.hpp"

#include <algorithm>
#include <string_view>
#include <type_traits>

#include "common/error.hpp"
#include "sync/imap/command_writer.hpp"

namespace mailsync::imap {
namespace {

using encoding::Mode;
using encoding::Writer;
using encoding::all_of;
using encoding::atoms;
using encoding::check_mod_sequence;
using encoding::fail;
using encoding::is_astring_char;
using encoding::is_atom;
using encoding::is_base64_char;
using encoding::is_date_time;
using encoding::is_fetch_item;
using encoding::is_flag;
using encoding::require;

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
    void operator()(const cmd::CompressDeflate&) const { w.raw("COMPRESS DEFLATE"); }
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
        require(!c.criteria.empty() || c.header || !c.keys.empty(), mode, "UID SEARCH needs criteria");
        w.raw("UID SEARCH");
        if (!c.return_options.empty()) {
            w.raw(" RETURN (");
            atoms(w, c.return_options, "search return option");
            w.raw(")");
        }
        const auto eight_bit = [](std::string_view text) {
            return !all_of(text, [](unsigned char ch) { return ch < 0x80; });
        };
        bool utf8 = c.header && (eight_bit(c.header->first) || eight_bit(c.header->second));
        for (const auto& key : c.keys) utf8 = utf8 || (key.is_string && eight_bit(key.text));
        // RFC 3501 §6.4.4: without a CHARSET the server assumes US-ASCII.
        if (utf8) w.raw(" CHARSET UTF-8");
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
        bool after_open = false;
        for (const auto& key : c.keys) {
            if (key.text != ")" && !after_open) w.space();
            after_open = !key.is_string && key.text == "(";
            if (key.is_string) {
                w.string(key.text);
                continue;
            }
            const bool atom = !key.text.empty() && all_of(key.text, [](unsigned char ch) {
                return ch > ' ' && ch < 0x7f && ch != '"' && ch != '{' && ch != '%' && ch != '*' && ch != '\\';
            });
            w.token(key.text, atom, ErrorCategory::internal, "search key");
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

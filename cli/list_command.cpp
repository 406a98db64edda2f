// `list MAILBOX`: one line per message, laid out for the terminal's width (display width, so CJK
// names keep the columns), or with --wide every field in full; filters (--unseen, --flagged,
// --from, --since, --limit); --json one object per message.
#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

#include "cli/columns.hpp"
#include "cli/commands.hpp"
#include "cli/list_rows.hpp"
#include "cli/view_support.hpp"
#include "common/ascii.hpp"
#include "common/utf8.hpp"
#include "store/store.hpp"
#include "sync/mime/header_text.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::cli {
namespace {

// One message as `list` shows it: the record, and its header fields decoded.
struct Row {
    store::MessageRecord record;
    std::string from;           // "Name <address>", decoded
    std::string from_name;      // decoded display name ("" when none)
    std::string from_address;   // "user@example.org"
    std::string subject;        // decoded
    store::UnixTime date = 0;   // the Date header, else INTERNALDATE
    int date_zone_minutes = 0;
};

bool has_flag(const store::MessageRecord& record, std::string_view flag) {
    return std::any_of(record.flags.begin(), record.flags.end(), [&](const auto& f) { return ascii::iequals(f, flag); });
}

// The envelope summary the store keeps ("Name <user@host>" or "user@host") split; the name may hold
// commas, so it is not parsed as an address list.
void split_from(Row& row) {
    const std::string& summary = row.record.from;
    const auto open = summary.rfind(" <");
    if (!summary.empty() && summary.back() == '>' && open != std::string::npos) {
        row.from_name = mime::decode_header_text(summary.substr(0, open));
        row.from_address = summary.substr(open + 2, summary.size() - open - 3);
    } else {
        row.from_address = summary;
    }
    row.from = row.from_name.empty() ? row.from_address : row.from_name + " <" + row.from_address + ">";
}

Row make_row(const store::MessageRecord& record) {
    Row row{record};
    split_from(row);
    row.subject = mime::decode_header_text(record.subject);
    const auto header_date = record.date.empty() ? std::nullopt : mime::parse_date(record.date);
    row.date = header_date ? header_date->unix_seconds : record.internaldate;
    row.date_zone_minutes = header_date ? header_date->zone_minutes : record.internaldate_zone_minutes;
    return row;
}

bool passes(const Row& row, const ListArguments& arguments) {
    if (row.record.deleted_on_server && !arguments.deleted) return false;
    if (arguments.unseen && has_flag(row.record, "\\Seen")) return false;
    if (arguments.flagged && !has_flag(row.record, "\\Flagged")) return false;
    if (arguments.since && row.date < *arguments.since) return false;
    if (arguments.from && ascii::to_lower(row.from).find(ascii::to_lower(*arguments.from)) == std::string::npos) return false;
    return true;
}

// N unseen, F flagged, A answered, T draft, D deleted (\Deleted), X deleted on the server, H headers
// only (the body is not downloaded: `show` fetches it, sync/pull/body_rule.hpp).
std::string flag_letters(const store::MessageRecord& record) {
    std::string letters;
    if (!has_flag(record, "\\Seen")) letters += 'N';
    if (has_flag(record, "\\Flagged")) letters += 'F';
    if (has_flag(record, "\\Answered")) letters += 'A';
    if (has_flag(record, "\\Draft")) letters += 'T';
    if (has_flag(record, "\\Deleted")) letters += 'D';
    if (record.deleted_on_server) letters += 'X';
    if (record.partial) letters += 'H';
    return letters;
}

std::string flags_text(const std::vector<std::string>& flags) {
    std::string text;
    for (const auto& flag : flags) text += (text.empty() ? "" : " ") + flag;
    return text.empty() ? "-" : text;
}

std::size_t digits(std::uint64_t number) { return std::to_string(number).size(); }

// Columns for `width`: id, flags, date, size, from, then the subject takes what is left.
std::string narrow_lines(const std::vector<Row>& rows, std::size_t width) {
    std::size_t id_width = 2, flags_width = 1;
    for (const auto& row : rows) {
        id_width = std::max(id_width, digits(row.record.id));
        flags_width = std::max(flags_width, flag_letters(row.record).size());
    }
    const std::size_t date_width = width >= 72 ? 16 : 10;   // narrow terminals: the day only
    const std::size_t fixed = id_width + 1 + flags_width + 1 + date_width + 1 + 5 + 2;
    const std::size_t rest = width > fixed + 2 ? width - fixed - 2 : 0;   // from + 2 spaces + subject
    const std::size_t from_width = std::clamp<std::size_t>(rest * 2 / 5, std::min<std::size_t>(6, rest), 28);
    const std::size_t subject_width = rest > from_width ? rest - from_width : 1;
    std::string text;
    for (const auto& row : rows) {
        const std::string date = short_date(row.date, row.date_zone_minutes).substr(0, date_width);
        const std::string from = utf8::printable(row.from_name.empty() ? row.from_address : row.from_name);
        text += fmt::format("{:>{}} {:<{}} {} {:>5}  {}  {}\n", row.record.id, id_width, flag_letters(row.record),
                            flags_width, date, human_size(row.record.size), fit_to_width(from, from_width),
                            cut_to_width(utf8::printable(row.subject), subject_width));
    }
    return text;
}

// --wide: every field in full, the from column as wide as its longest entry.
std::string wide_lines(const std::vector<Row>& rows) {
    std::size_t from_width = 0;
    for (const auto& row : rows) from_width = std::max(from_width, display_width(utf8::printable(row.from)));
    std::string text;
    for (const auto& row : rows) {
        text += fmt::format("{:>6}  {:<20} {}  {:>9}  {}  {}{}{}\n", row.record.id, flags_text(row.record.flags),
                            short_date(row.date, row.date_zone_minutes), row.record.size,
                            fit_to_width(utf8::printable(row.from), from_width), utf8::printable(row.subject),
                            row.record.deleted_on_server ? "  (deleted on the server)" : "",
                            row.record.partial ? "  (headers only)" : "");
    }
    return text;
}

// `date` is INTERNALDATE, as it always was for scripts (`internaldate` says so by its name);
// `header_date` is the Date header people see in the text lines.
void row_json(JsonWriter& json, const Row& row, std::string_view mailbox_name) {
    const auto& message = row.record;
    const std::string internaldate = rfc3339(message.internaldate, message.internaldate_zone_minutes);
    json.begin_object().key("id");
    if (message.id != 0) json.value(message.id);
    else json.null();   // a message on the server only (search --server)
    json.key("uid").value(message.uid)
        .key("mailbox").value(mailbox_name).key("flags").begin_array();
    for (const auto& flag : message.flags) json.value(flag);
    json.end_array()
        .key("date").value(internaldate)
        .key("internaldate").value(internaldate)
        .key("header_date").value(rfc3339(row.date, row.date_zone_minutes))
        .key("size").value(message.size)
        .key("from").value(row.from)
        .key("from_name").value(row.from_name)
        .key("from_address").value(row.from_address)
        .key("subject").value(row.subject)
        .key("message_id").value(message.message_id)
        .key("deleted_on_server").value(message.deleted_on_server.has_value())
        .key("headers_only").value(message.partial)
        .end_object();
}

}  // namespace

int run_list(const CommandContext& context, const ListArguments& arguments) {
    const Account& account = the_account(context);
    Output& output = context.output;
    auto store = open_synced(account, arguments.mailbox);
    std::vector<Row> rows;
    std::string mailbox_name;
    store.read([&](const store::ReadTxn& txn) {
        const auto mailbox = find_mailbox(txn, account, arguments.mailbox);
        mailbox_name = sync::mailbox_display_name(mailbox.name);
        const auto keep = [&](const store::MessageRecord& message) {
            if (message.deleted_on_server && !arguments.deleted) return;
            Row row = make_row(message);
            if (passes(row, arguments)) rows.push_back(std::move(row));
        };
        if (!arguments.limit) {
            txn.for_each_message(mailbox.id, keep);
            return;
        }
        // The newest first, until enough pass: the time and memory of `--limit 50` do not grow
        // with the mailbox.
        txn.for_each_message_backward(mailbox.id, [&](const store::MessageRecord& message) {
            keep(message);
            return rows.size() < *arguments.limit;
        });
        std::reverse(rows.begin(), rows.end());
    });
    if (output.json()) {
        JsonWriter json;
        json.begin_array();
        for (const auto& row : rows) row_json(json, row, mailbox_name);
        json.end_array();
        output.result(json.str());
    } else if (!rows.empty()) {
        output.result(arguments.wide ? wide_lines(rows) : narrow_lines(rows, output_width(output.interactive())));
    }
    return 0;
}

std::string list_lines(const std::vector<store::MessageRecord>& messages, bool wide, std::size_t width) {
    std::vector<Row> rows;
    for (const auto& message : messages) rows.push_back(make_row(message));
    return wide ? wide_lines(rows) : narrow_lines(rows, width);
}

void list_row_json(JsonWriter& json, const store::MessageRecord& message, std::string_view mailbox_name) {
    row_json(json, make_row(message), mailbox_name);
}

}  // namespace mailsync::cli

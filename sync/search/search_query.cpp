#include "sync/search/search_query.hpp"

#include <charconv>
#include <ctime>
#include <string>

#include <fmt/format.h>

#include "common/ascii.hpp"
#include "common/error.hpp"
#include "sync/search/search_document.hpp"

namespace mailsync::sync::search {
namespace {

Error bad_query(std::string message) { return Error(ErrorCategory::usage, std::move(message)); }

std::optional<unsigned> number(std::string_view text, std::size_t digits) {
    unsigned value = 0;
    if (text.size() != digits) return std::nullopt;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

store::UnixTime utc(unsigned year, unsigned month, unsigned day) {
    std::tm parts{};
    parts.tm_year = static_cast<int>(year) - 1900;
    parts.tm_mon = static_cast<int>(month) - 1;
    parts.tm_mday = static_cast<int>(day);
    return ::timegm(&parts);
}

// A field's value read into its query. What cannot be read is an Error, which must not unwind
// through Xapian's query parser: that leaks the parser's state (LeakSanitizer, Xapian 1.4). So the
// first one is kept, the parse goes on with MatchNothing, and parse_query throws it afterwards.
class CheckedField : public Xapian::FieldProcessor {
public:
    explicit CheckedField(std::optional<Error>& first_error) : first_error_(first_error) {}
    Xapian::Query operator()(const std::string& value) final {
        try {
            return read(value);
        } catch (const Error& error) {
            if (!first_error_) first_error_ = error;
            return Xapian::Query::MatchNothing;
        }
    }

protected:
    virtual Xapian::Query read(const std::string& value) = 0;

private:
    std::optional<Error>& first_error_;
};

class FlagField : public CheckedField {
public:
    using CheckedField::CheckedField;
    Xapian::Query read(const std::string& value) override {
        std::string name = ascii::to_lower(value);
        if (!name.empty() && name.front() == '\\') name.erase(0, 1);
        for (const char* known : {"seen", "answered", "flagged", "deleted", "draft", "recent"})
            if (name == known) return Xapian::Query(flag_term("\\" + name));
        throw bad_query(fmt::format("flag:{} is not a flag: use seen, answered, flagged, deleted or draft (keyword:NAME "
                                    "for a keyword; \"not flag:seen\" for unseen)", value));
    }
};

class KeywordField : public CheckedField {
public:
    using CheckedField::CheckedField;
    Xapian::Query read(const std::string& value) override { return Xapian::Query(flag_term(value)); }
};

class MailboxField : public CheckedField {
public:
    MailboxField(std::optional<Error>& first_error, const MailboxResolver& mailboxes)
        : CheckedField(first_error), mailboxes_(mailboxes) {}
    Xapian::Query read(const std::string& value) override {
        const auto id = mailboxes_ ? mailboxes_(value) : std::nullopt;
        if (!id) throw Error(ErrorCategory::bad_input, fmt::format("there is no mailbox \"{}\" in the mirror", value));
        return Xapian::Query(mailbox_term(*id));
    }

private:
    const MailboxResolver& mailboxes_;
};

class HasField : public CheckedField {
public:
    using CheckedField::CheckedField;
    Xapian::Query read(const std::string& value) override {
        const std::string what = ascii::to_lower(value);
        if (what == "attachment" || what == "attachments") return Xapian::Query(std::string(prefix::has) + "attachment");
        throw bad_query(fmt::format("has:{} is not known: has:attachment is", value));
    }
};

// larger:N (more than N bytes) and smaller:N (fewer).
class SizeField : public CheckedField {
public:
    SizeField(std::optional<Error>& first_error, bool larger) : CheckedField(first_error), larger_(larger) {}
    Xapian::Query read(const std::string& value) override {
        const auto size = parse_size(value);
        if (!size)
            throw bad_query(fmt::format("{}:{} is not a size: give bytes, or a number with k, M or G (larger:1M)",
                                        larger_ ? "larger" : "smaller", value));
        if (larger_) return Xapian::Query(Xapian::Query::OP_VALUE_GE, slot::size, Xapian::sortable_serialise(double(*size) + 1));
        if (*size == 0) return Xapian::Query::MatchNothing;
        return Xapian::Query(Xapian::Query::OP_VALUE_LE, slot::size, Xapian::sortable_serialise(double(*size) - 1));
    }

private:
    bool larger_;
};

// date:A..B, date:A.., date:..B, date:A.
class DateField : public CheckedField {
public:
    using CheckedField::CheckedField;
    Xapian::Query read(const std::string& value) override {
        const std::size_t dots = value.find("..");
        const std::string_view first = std::string_view(value).substr(0, dots);
        const std::string_view last = dots == std::string::npos ? first : std::string_view(value).substr(dots + 2);
        if (first.empty() && last.empty()) throw bad_query("date:.. names no date: date:2026-11-01..2026-11-30");
        std::optional<std::pair<store::UnixTime, store::UnixTime>> from, to;
        if (!first.empty() && !(from = parse_date_span(first))) throw unknown(first);
        if (!last.empty() && !(to = parse_date_span(last))) throw unknown(last);
        const auto begin = Xapian::sortable_serialise(double(from ? from->first : 0));
        if (!to) return Xapian::Query(Xapian::Query::OP_VALUE_GE, slot::date, begin);
        return Xapian::Query(Xapian::Query::OP_VALUE_RANGE, slot::date, begin, Xapian::sortable_serialise(double(to->second)));
    }

private:
    static Error unknown(std::string_view text) {
        return bad_query(fmt::format("date:{} is not a date: give a day (2026-11-23), a month (2026-11) or a year (2026), "
                                     "or a range of them (date:2026-01..2026-06)", text));
    }
};

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end == text.data()) return std::nullopt;
    const std::string unit = ascii::to_lower(std::string_view(end, static_cast<std::size_t>(text.data() + text.size() - end)));
    int shift = 0;
    if (unit == "k" || unit == "kb") shift = 10;
    else if (unit == "m" || unit == "mb") shift = 20;
    else if (unit == "g" || unit == "gb") shift = 30;
    else if (!unit.empty() && unit != "b") return std::nullopt;
    if (value > (std::uint64_t(1) << (63 - shift))) return std::nullopt;
    return value << shift;
}

std::optional<std::pair<store::UnixTime, store::UnixTime>> parse_date_span(std::string_view text) {
    const auto year = number(text.substr(0, 4), 4);
    if (!year || *year < 1970 || *year > 9999) return std::nullopt;
    if (text.size() == 4) return std::pair(utc(*year, 1, 1), utc(*year + 1, 1, 1) - 1);
    if (text.size() < 7 || text[4] != '-') return std::nullopt;
    const auto month = number(text.substr(5, 2), 2);
    if (!month || *month < 1 || *month > 12) return std::nullopt;
    if (text.size() == 7) return std::pair(utc(*year, *month, 1), utc(*year, *month + 1, 1) - 1);
    if (text.size() != 10 || text[7] != '-') return std::nullopt;
    const auto day = number(text.substr(8, 2), 2);
    if (!day || *day < 1 || *day > 31) return std::nullopt;
    const store::UnixTime start = utc(*year, *month, *day);
    if (utc(*year, *month + 1, 1) <= start) return std::nullopt;   // the 31st of a month of 30 days
    return std::pair(start, start + 86400 - 1);
}

Xapian::Query parse_query(std::string_view text, const MailboxResolver& mailboxes) {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) throw bad_query("the query is empty");
    std::optional<Error> field_error;   // outlives the parser, which owns the fields
    Xapian::QueryParser parser;
    parser.set_default_op(Xapian::Query::OP_AND);
    parser.add_prefix("from", prefix::from);
    parser.add_prefix("to", prefix::to);
    parser.add_prefix("cc", prefix::cc);
    parser.add_prefix("subject", prefix::subject);
    parser.add_boolean_prefix("flag", (new FlagField(field_error))->release());
    parser.add_boolean_prefix("keyword", (new KeywordField(field_error))->release());
    parser.add_boolean_prefix("mailbox", (new MailboxField(field_error, mailboxes))->release());
    parser.add_boolean_prefix("has", (new HasField(field_error))->release());
    parser.add_boolean_prefix("larger", (new SizeField(field_error, true))->release());
    parser.add_boolean_prefix("smaller", (new SizeField(field_error, false))->release());
    parser.add_boolean_prefix("date", (new DateField(field_error))->release());
    const unsigned flags = Xapian::QueryParser::FLAG_BOOLEAN | Xapian::QueryParser::FLAG_BOOLEAN_ANY_CASE |
                           Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_LOVEHATE |
                           Xapian::QueryParser::FLAG_PURE_NOT | Xapian::QueryParser::FLAG_CJK_NGRAM;
    Xapian::Query query;
    try {
        query = parser.parse_query(std::string(text), flags);
    } catch (const Xapian::QueryParserError& error) {
        if (field_error) throw *field_error;   // the more precise of the two
        throw bad_query(fmt::format("the query \"{}\" cannot be read: {}", text, error.get_msg()));
    }
    if (field_error) throw *field_error;
    return query;
}

}  // namespace mailsync::sync::search

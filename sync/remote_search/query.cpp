#include "sync/remote_search/query.hpp"

#include <ctime>
#include <optional>

#include <fmt/format.h>

#include "common/ascii.hpp"
#include "common/error.hpp"
#include "sync/search/search_query.hpp"   // the sizes and dates of the query language

namespace mailsync::sync::remote_search {
namespace {

using imap::cmd::SearchKey;
using Keys = std::vector<SearchKey>;

// Keys that make one search key of IMAP's grammar (FROM "x", NOT ..., OR ... ...), or several
// and-ed (single false), which must be parenthesised to be one.
struct Expr {
    Keys keys;
    bool single = true;
};

Error bad_query(std::string message) { return Error(ErrorCategory::usage, std::move(message)); }

constexpr const char* mailbox_not_at_top =
    "mailbox: can only narrow the whole query with --server (not under not, or, or parentheses)";

SearchKey atom(std::string text) { return {std::move(text), false}; }
SearchKey string(std::string text) { return {std::move(text), true}; }

// date = day "-" month "-" year, RFC 3501's date-text (the day of `when`, UTC).
std::string imap_date(store::UnixTime when) {
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm parts{};
    const std::time_t time = when;
    ::gmtime_r(&time, &parts);
    return fmt::format("{}-{}-{}", parts.tm_mday, months[parts.tm_mon], parts.tm_year + 1900);
}

struct Token {
    enum class Kind { word, phrase, open, close, end } kind = Kind::end;
    std::string text;    // a word (with its field prefix, if any) or a phrase's words
    std::string field;   // "from" of from:x or from:"x y"; empty for none
};

class Tokenizer {
public:
    explicit Tokenizer(std::string_view text) : text_(text) {}

    Token next() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
        if (pos_ >= text_.size()) return {};
        const char c = text_[pos_];
        if (c == '(') return ++pos_, Token{Token::Kind::open, "(", ""};
        if (c == ')') return ++pos_, Token{Token::Kind::close, ")", ""};
        if (c == '"') return Token{Token::Kind::phrase, quoted(), ""};
        // -x and +x: the sign is a token of its own ("-" is "not"), whatever follows it.
        if ((c == '-' || c == '+') && pos_ + 1 < text_.size() && text_[pos_ + 1] != ' ' && text_[pos_ + 1] != '\t')
            return ++pos_, Token{Token::Kind::word, std::string(1, c), ""};
        std::string word;
        while (pos_ < text_.size() && text_[pos_] != ' ' && text_[pos_] != '\t' && text_[pos_] != '(' && text_[pos_] != ')') {
            if (text_[pos_] == ':' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
                ++pos_;
                return Token{Token::Kind::phrase, quoted(), ascii::to_lower(word)};
            }
            word += text_[pos_++];
        }
        const auto colon = word.find(':');
        if (colon != std::string::npos && colon > 0 && colon + 1 < word.size())
            return Token{Token::Kind::word, word.substr(colon + 1), ascii::to_lower(word.substr(0, colon))};
        return Token{Token::Kind::word, word, ""};
    }

private:
    std::string quoted() {
        ++pos_;   // the opening quote
        const auto close = text_.find('"', pos_);
        if (close == std::string_view::npos) throw bad_query("a quote (\") is not closed");
        std::string phrase(text_.substr(pos_, close - pos_));
        pos_ = close + 1;
        return phrase;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// expression = and-group *("or" and-group); and-group = unary *(["and"] unary);
// unary = ("not" / "-") unary / ["+"] primary; primary = "(" expression ")" / term
class Parser {
public:
    explicit Parser(std::string_view text) : tokens_(text) { advance(); }

    ServerQuery parse() {
        ServerQuery query;
        // mailbox: terms narrow the whole query only at its top level, and-ed with the rest.
        std::vector<Expr> parts = and_group(&query.mailboxes);
        if (current_.kind == Token::Kind::word && ascii::iequals(current_.text, "or") && current_.field.empty()) {
            if (!query.mailboxes.empty())
                throw bad_query("mailbox: cannot be part of an \"or\" with --server: search one mailbox per query, or use --mailbox");
            Expr left = join(std::move(parts));
            while (is_word("or")) {
                advance();
                left = either(std::move(left), join(and_group(nullptr)));
            }
            query.criteria = std::move(left.keys);
        } else if (!parts.empty()) {
            query.criteria = join(std::move(parts)).keys;
        }
        if (current_.kind != Token::Kind::end) throw bad_query(fmt::format("unexpected \"{}\" in the query", current_.text));
        if (query.criteria.empty()) query.criteria.push_back(atom("ALL"));
        return query;
    }

private:
    void advance() { current_ = tokens_.next(); }
    bool is_word(std::string_view word) const {
        return current_.kind == Token::Kind::word && current_.field.empty() && ascii::iequals(current_.text, word);
    }

    Expr expression() {
        Expr left = join(and_group(nullptr));
        while (is_word("or")) {
            advance();
            left = either(std::move(left), join(and_group(nullptr)));
        }
        return left;
    }

    // The and-ed parts; `mailboxes` (top level only) takes the mailbox: terms out of them.
    std::vector<Expr> and_group(std::vector<std::string>* mailboxes) {
        std::vector<Expr> parts;
        for (;;) {
            if (is_word("and")) advance();
            if (current_.kind == Token::Kind::end || current_.kind == Token::Kind::close || is_word("or")) break;
            if (current_.field == "mailbox") {
                if (!mailboxes) throw bad_query(mailbox_not_at_top);
                mailboxes->push_back(current_.text);
                advance();
                continue;
            }
            parts.push_back(unary());
        }
        if (parts.empty() && (!mailboxes || mailboxes->empty())) throw bad_query("a part of the query is empty");
        return parts;
    }

    Expr unary() {
        if (is_word("not") || is_word("-")) {
            advance();
            return negate(unary());
        }
        if (is_word("+")) advance();
        return primary();
    }

    Expr primary() {
        if (current_.kind == Token::Kind::open) {
            advance();
            Expr inner = expression();
            if (current_.kind != Token::Kind::close) throw bad_query("a parenthesis is not closed");
            advance();
            return inner;
        }
        if (current_.kind == Token::Kind::close) throw bad_query("a closing parenthesis has no opening one");
        Token token = std::move(current_);
        advance();
        return term(token);
    }

    static Expr term(const Token& token) {
        const std::string& value = token.text;
        if (token.field.empty()) return {{atom("TEXT"), string(value)}};
        if (token.field == "from" || token.field == "to" || token.field == "cc" || token.field == "subject")
            return {{atom(ascii::to_upper(token.field)), string(value)}};
        if (token.field == "flag") {
            std::string name = ascii::to_lower(value);
            if (!name.empty() && name.front() == '\\') name.erase(0, 1);
            for (const char* known : {"seen", "answered", "flagged", "deleted", "draft", "recent"})
                if (name == known) return {{atom(ascii::to_upper(name))}};
            throw bad_query(fmt::format("flag:{} is not a flag: use seen, answered, flagged, deleted or draft", value));
        }
        if (token.field == "keyword") return {{atom("KEYWORD"), atom(value)}};
        if (token.field == "larger" || token.field == "smaller") {
            const auto size = search::parse_size(value);
            if (!size) throw bad_query(fmt::format("{}:{} is not a size (e.g. 1M, 500k, 2048)", token.field, value));
            return {{atom(ascii::to_upper(token.field)), atom(std::to_string(*size))}};
        }
        if (token.field == "date") return date_keys(value);
        if (token.field == "mailbox")
            throw bad_query(mailbox_not_at_top);
        if (token.field == "has")
            throw bad_query(fmt::format("has:{} cannot be asked of an IMAP server (SEARCH has no such key): search the "
                                        "mirror, without --server", value));
        throw bad_query(fmt::format("{}: is not a field the server can search (from, to, cc, subject, flag, keyword, "
                                    "date, larger, smaller, mailbox)", token.field));
    }

    static Expr date_keys(const std::string& value) {
        const auto dots = value.find("..");
        const std::string first = dots == std::string::npos ? value : value.substr(0, dots);
        const std::string last = dots == std::string::npos ? value : value.substr(dots + 2);
        Keys keys;
        const auto span = [&](const std::string& text) {
            const auto found = search::parse_date_span(text);
            if (!found) throw bad_query(fmt::format("date:{} is not a date (2026-11-23, 2026-11 or 2026, or A..B)", value));
            return *found;
        };
        if (!first.empty()) keys = {atom("SINCE"), atom(imap_date(span(first).first))};
        if (!last.empty()) {
            keys.push_back(atom("BEFORE"));
            keys.push_back(atom(imap_date(span(last).second + 1)));
        }
        if (keys.empty()) throw bad_query("date:.. names no date");
        return {keys, keys.size() == 2};
    }

    static Expr negate(Expr expr) {
        Expr out{{atom("NOT")}, true};
        append_grouped(out.keys, std::move(expr));
        return out;
    }
    static Expr either(Expr left, Expr right) {
        Expr out{{atom("OR")}, true};
        append_grouped(out.keys, std::move(left));
        append_grouped(out.keys, std::move(right));
        return out;
    }
    static void append_grouped(Keys& out, Expr expr) {
        if (!expr.single) out.push_back(atom("("));
        for (auto& key : expr.keys) out.push_back(std::move(key));
        if (!expr.single) out.push_back(atom(")"));
    }
    static Expr join(std::vector<Expr> parts) {
        if (parts.size() == 1) return std::move(parts.front());
        Expr out{{}, false};
        for (auto& part : parts)
            for (auto& key : part.keys) out.keys.push_back(std::move(key));
        return out;
    }

    Tokenizer tokens_;
    Token current_;
};

}  // namespace

ServerQuery to_server_query(std::string_view text) { return Parser(text).parse(); }

}  // namespace mailsync::sync::remote_search

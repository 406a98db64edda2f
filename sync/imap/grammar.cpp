#include "sync/imap/grammar.hpp"

#include <fmt/format.h>
#include <limits>

#include "sync/imap/body_item.hpp"
#include "sync/imap/wire_syntax.hpp"

namespace mailsync::imap::detail {

namespace {

constexpr std::uint64_t max_number = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t max_number64 = std::numeric_limits<std::int64_t>::max();  // also uint63

struct LiteralValue {
    std::uint64_t size = 0;
    bool streamed = false;
    std::string_view bytes;  // empty when streamed
};

class Grammar {
public:
    explicit Grammar(const Frame& frame) : frame_(frame), text_(frame.text) {}

    Response response();

private:
    // ---- primitives ----------------------------------------------------------------------------
    char peek(std::size_t ahead = 0) const noexcept {
        return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
    }
    bool at(char c) const noexcept { return pos_ < text_.size() && text_[pos_] == c; }
    bool accept(char c) noexcept {
        if (!at(c)) return false;
        ++pos_;
        return true;
    }
    [[noreturn]] void fail(std::string_view problem) const {
        wire::throw_protocol_error(problem, text_, pos_);
    }
    void expect(char c, std::string_view problem) {
        if (!accept(c)) fail(problem);
    }
    void expect_sp() { expect(' ', "expected a space"); }
    bool at_line_end() const noexcept { return peek() == '\r' && peek(1) == '\n'; }
    bool keyword_at(std::size_t offset, std::string_view word) const noexcept;
    bool accept_keyword(std::string_view word) noexcept;
    std::string_view atom();
    std::uint64_t digits(std::uint64_t max, std::string_view what);
    std::uint32_t number() { return static_cast<std::uint32_t>(digits(max_number, "a number")); }
    std::uint64_t number64() { return digits(max_number64, "a number"); }
    std::uint64_t mod_sequence() { return digits(max_number64, "a mod-sequence"); }
    std::string_view text();
    void expect_end();

    // ---- strings -------------------------------------------------------------------------------
    std::string quoted();
    LiteralValue literal(bool allow_literal8);
    std::string string();
    std::optional<std::string> nstring();
    std::string astring();
    std::string mailbox();
    void skip_value();
    void skip_scalar();

    // ---- responses -----------------------------------------------------------------------------
    Continuation continue_req();
    StatusResponse response_tagged();
    Response response_data();
    void resp_text(StatusResponse& response);
    ResponseCode resp_text_code();
    std::vector<std::string> capabilities();
    std::vector<std::string> flag_list();
    std::string flag();
    SequenceSet sequence_set();
    ListData mailbox_list(bool lsub);
    StatusData status_data();
    void status_att_val(StatusData& data);
    SearchData search_data();
    ESearchData esearch_response();
    void search_correlator(ESearchData& data);
    void search_return_data(ESearchData& data);
    VanishedData expunged_resp();
    FetchData msg_att(std::uint32_t seq);
    void msg_att_item(FetchData& data);
    std::string_view fetch_att_name();
    BodySection body_value(BodyItemName name);
    Envelope envelope();
    std::vector<Address> address_list();
    Address address();
    OtherData other_data(std::string keyword);

    const Frame& frame_;
    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t next_literal_ = 0;
};

// ---- primitives ------------------------------------------------------------------------------

bool Grammar::keyword_at(std::size_t offset, std::string_view word) const noexcept {
    if (offset > text_.size() || !wire::istarts_with(text_.substr(offset), word)) return false;
    const std::size_t after = offset + word.size();
    return after >= text_.size() || !wire::is_atom_char(text_[after]);
}

bool Grammar::accept_keyword(std::string_view word) noexcept {
    if (!keyword_at(pos_, word)) return false;
    pos_ += word.size();
    return true;
}

// atom = 1*ATOM-CHAR
std::string_view Grammar::atom() {
    const std::size_t start = pos_;
    while (wire::is_atom_char(peek())) ++pos_;
    if (pos_ == start) fail("expected an atom");
    return text_.substr(start, pos_ - start);
}

// number = 1*DIGIT                 ; 0 <= n < 4,294,967,296
// number64 = 1*DIGIT               ; 0 <= n <= 9,223,372,036,854,775,807
// mod-sequence-value = 1*DIGIT     ; 1 <= n <= 9,223,372,036,854,775,807
// Zero is accepted where the ABNF says nz-number: rejecting it would gain nothing.
std::uint64_t Grammar::digits(std::uint64_t max, std::string_view what) {
    const std::size_t start = pos_;
    if (!wire::is_digit(peek())) fail(fmt::format("expected {}", what));
    std::uint64_t value = 0;
    while (wire::is_digit(peek())) {
        const auto digit = static_cast<std::uint64_t>(peek() - '0');
        if (value > (max - digit) / 10) {
            pos_ = start;
            fail(fmt::format("{} out of range (maximum {})", what, max));
        }
        value = value * 10 + digit;
        ++pos_;
    }
    return value;
}

// text = 1*TEXT-CHAR ; TEXT-CHAR = <any CHAR except CR and LF>
// Empty text is accepted: Dovecot sends "* OK [CLOSED]" with none.
std::string_view Grammar::text() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != '\r' && text_[pos_] != '\n') ++pos_;
    return text_.substr(start, pos_ - start);
}

void Grammar::expect_end() {
    if (pos_ + 2 != text_.size() || !at_line_end()) fail("expected the end of the response");
    pos_ += 2;
}

// ---- strings ---------------------------------------------------------------------------------

// quoted = DQUOTE *QUOTED-CHAR DQUOTE
// QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials / UTF8-2 / UTF8-3 / UTF8-4
std::string Grammar::quoted() {
    const std::size_t start = pos_;
    expect('"', "expected a quoted string");
    std::string value;
    for (;;) {
        if (pos_ >= text_.size() || at('\r') || at('\n')) {
            pos_ = start;
            fail("unterminated quoted string");
        }
        const char c = text_[pos_++];
        if (c == '"') return value;
        if (c == '\0') {
            --pos_;
            fail("NUL byte in a quoted string");
        }
        if (c == '\\') {
            if (!at('"') && !at('\\')) fail("invalid escape in a quoted string");
            value += text_[pos_++];
        } else {
            value += c;
        }
    }
}

// literal = "{" number64 ["+"] "}" CRLF *CHAR8
// literal8 = "~{" number64 "}" CRLF *OCTET          (RFC 3516)
LiteralValue Grammar::literal(bool allow_literal8) {
    if (at('~') && !allow_literal8) fail("literal8 outside BINARY");
    accept('~');
    expect('{', "expected a literal");
    const std::uint64_t size = digits(std::numeric_limits<std::uint64_t>::max(), "a literal size");
    accept('+');
    expect('}', "expected '}' after a literal size");
    if (!at_line_end()) fail("expected CRLF after a literal size");
    pos_ += 2;
    const auto& spans = frame_.literals;
    while (next_literal_ < spans.size() && spans[next_literal_].data_offset < pos_) ++next_literal_;
    if (next_literal_ == spans.size() || spans[next_literal_].data_offset != pos_ ||
        spans[next_literal_].size != size) {
        fail("literal not at the end of a line");
    }
    const LiteralSpan& span = spans[next_literal_++];
    LiteralValue value{size, span.streamed, {}};
    if (!span.streamed) {
        // The framer kept exactly `size` bytes here, so this cannot run past the text.
        value.bytes = text_.substr(pos_, static_cast<std::size_t>(size));
        pos_ += value.bytes.size();
    }
    return value;
}

// string = quoted / literal
std::string Grammar::string() {
    if (at('"')) return quoted();
    const LiteralValue value = literal(false);
    if (value.streamed) fail("a streamed body literal where a string was expected");
    return std::string(value.bytes);
}

// nstring = string / nil
std::optional<std::string> Grammar::nstring() {
    if (accept_keyword("NIL")) return std::nullopt;
    return string();
}

// astring = 1*ASTRING-CHAR / string
std::string Grammar::astring() {
    if (at('"') || at('{')) return string();
    const std::size_t start = pos_;
    while (wire::is_astring_char(peek())) ++pos_;
    if (pos_ == start) fail("expected a string");
    return std::string(text_.substr(start, pos_ - start));
}

// mailbox = "INBOX" / astring   ; INBOX is case-insensitive, so it is returned upper-cased
std::string Grammar::mailbox() {
    std::string name = astring();
    if (wire::iequals(name, "INBOX")) name = "INBOX";
    return name;
}

// Skips one value of an item we do not model (BODYSTRUCTURE, X-GM-LABELS, extended list data):
// a balanced s-expression of atoms, numbers, strings and parenthesised lists. Iterative, so that
// deep nesting from a hostile server cannot exhaust the stack. Separators inside lists are not
// checked strictly, as body-type-mpart puts no SP between its bodies.
void Grammar::skip_value() {
    std::size_t depth = 0;
    do {
        if (accept('(')) {
            ++depth;
        } else if (at(')')) {
            if (depth == 0) fail("unexpected ')'");
            --depth;
            ++pos_;
        } else if (at(' ')) {
            if (depth == 0) fail("unexpected space");
            ++pos_;
        } else {
            skip_scalar();
        }
    } while (depth > 0);
}

void Grammar::skip_scalar() {
    if (at('"')) {
        quoted();
    } else if (at('{') || (at('~') && peek(1) == '{')) {
        literal(true);
    } else {
        const std::size_t start = pos_;
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == ' ' || c == '(' || c == ')' || c == '"' || c == '{' || c == '\r' ||
                c == '\n') {
                break;
            }
            ++pos_;
        }
        if (pos_ == start) fail("expected a value");
    }
}

// ---- responses -------------------------------------------------------------------------------

// response = *(continue-req / response-data) response-done
Response Grammar::response() {
    Response result = at('+')   ? Response{continue_req()}
                      : at('*') ? response_data()
                                : Response{response_tagged()};
    expect_end();
    return result;
}

// continue-req = "+" SP (resp-text / base64) CRLF
// A bare "+" CRLF is tolerated (servers send it before a literal). The text is kept raw: during
// AUTHENTICATE it is base64, not resp-text.
Continuation Grammar::continue_req() {
    ++pos_;
    if (!accept(' ')) return Continuation{};
    return Continuation{std::string(text())};
}

// response-tagged = tag SP resp-cond-state CRLF
// tag = 1*<any ASTRING-CHAR except "+">
// resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
StatusResponse Grammar::response_tagged() {
    const std::size_t start = pos_;
    while (wire::is_astring_char(peek()) && !at('+')) ++pos_;
    if (pos_ == start) fail("expected a tag, '*' or '+'");
    StatusResponse response;
    response.tag = std::string(text_.substr(start, pos_ - start));
    expect_sp();
    const std::string status = wire::to_upper(atom());
    if (status == "OK") {
        response.status = Status::ok;
    } else if (status == "NO") {
        response.status = Status::no;
    } else if (status == "BAD") {
        response.status = Status::bad;
    } else {
        fail("expected OK, NO or BAD after a tag");
    }
    resp_text(response);
    return response;
}

// response-data = "*" SP (resp-cond-state / resp-cond-bye / mailbox-data / message-data /
//                 capability-data / enable-data) CRLF
// message-data = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))
// mailbox-data =/ number SP "EXISTS" / number SP "RECENT"
Response Grammar::response_data() {
    ++pos_;
    expect_sp();
    if (wire::is_digit(peek())) {
        const std::uint32_t number_value = number();
        expect_sp();
        std::string keyword = wire::to_upper(atom());
        if (keyword == "EXISTS") return ExistsData{number_value};
        if (keyword == "RECENT") return RecentData{number_value};
        if (keyword == "EXPUNGE") return ExpungeData{number_value};
        if (keyword == "FETCH") {
            expect_sp();
            return msg_att(number_value);
        }
        return other_data(std::move(keyword));
    }
    std::string keyword = wire::to_upper(atom());
    // resp-cond-state, resp-cond-bye = "BYE" SP resp-text, resp-cond-auth = "PREAUTH" SP resp-text
    static constexpr std::pair<std::string_view, Status> statuses[] = {
        {"OK", Status::ok}, {"NO", Status::no}, {"BAD", Status::bad},
        {"BYE", Status::bye}, {"PREAUTH", Status::preauth}};
    for (const auto& [name, status] : statuses) {
        if (keyword == name) {
            StatusResponse response;
            response.status = status;
            resp_text(response);
            return response;
        }
    }
    if (keyword == "CAPABILITY") return CapabilityData{capabilities()};
    if (keyword == "ENABLED") return EnabledData{capabilities()};
    if (keyword == "LIST") return mailbox_list(false);
    if (keyword == "LSUB") return mailbox_list(true);
    if (keyword == "STATUS") return status_data();
    if (keyword == "FLAGS") {
        expect_sp();
        return FlagsData{flag_list()};
    }
    if (keyword == "SEARCH") return search_data();
    if (keyword == "ESEARCH") return esearch_response();
    if (keyword == "VANISHED") return expunged_resp();
    return other_data(std::move(keyword));
}

// resp-text = ["[" resp-text-code "]" SP] text
// Both the SP and the text may be missing ("* OK [CLOSED]", or even "* OK").
void Grammar::resp_text(StatusResponse& response) {
    if (at_line_end()) return;
    expect_sp();
    if (at('[')) {
        response.code = resp_text_code();
        if (!accept(' ') && !at_line_end()) fail("expected a space after a response code");
    }
    response.text = std::string(text());
}

// resp-text-code = "ALERT" / "BADCHARSET" [SP "(" charset *(SP charset) ")" ] /
//                  capability-data / "PARSE" /
//                  "PERMANENTFLAGS" SP "(" [flag-perm *(SP flag-perm)] ")" /
//                  "READ-ONLY" / "READ-WRITE" / "TRYCREATE" /
//                  "UIDNEXT" SP nz-number / "UIDVALIDITY" SP nz-number /
//                  "UNSEEN" SP nz-number /
//                  atom [SP 1*<any TEXT-CHAR except "]">]
// resp-code-apnd = "APPENDUID" SP nz-number SP append-uid       (RFC 4315)
// resp-code-copy = "COPYUID" SP nz-number SP uid-set SP uid-set (RFC 4315)
// "HIGHESTMODSEQ" SP mod-sequence-value / "NOMODSEQ" / "MODIFIED" SP sequence-set (RFC 7162)
// "NOTIFICATIONOVERFLOW" (RFC 5465; its "BADEVENT" SP "(" event-name *(SP event-name) ")" is Other)
ResponseCode Grammar::resp_text_code() {
    expect('[', "expected '['");
    const std::string name = wire::to_upper(atom());
    ResponseCode result = code::Alert{};
    if (name == "ALERT") {
        result = code::Alert{};
    } else if (name == "CAPABILITY") {
        result = code::Capability{capabilities()};
    } else if (name == "PERMANENTFLAGS") {
        expect_sp();
        result = code::PermanentFlags{flag_list()};
    } else if (name == "UIDVALIDITY") {
        expect_sp();
        result = code::UidValidity{number()};
    } else if (name == "UIDNEXT") {
        expect_sp();
        result = code::UidNext{number()};
    } else if (name == "UNSEEN") {
        expect_sp();
        result = code::Unseen{number()};
    } else if (name == "HIGHESTMODSEQ") {
        expect_sp();
        result = code::HighestModSeq{mod_sequence()};
    } else if (name == "NOMODSEQ") {
        result = code::NoModSeq{};
    } else if (name == "APPENDUID") {
        code::AppendUid append;
        expect_sp();
        append.uidvalidity = number();
        expect_sp();
        append.uids = sequence_set();
        result = std::move(append);
    } else if (name == "COPYUID") {
        code::CopyUid copy;
        expect_sp();
        copy.uidvalidity = number();
        expect_sp();
        copy.source = sequence_set();
        expect_sp();
        copy.destination = sequence_set();
        result = std::move(copy);
    } else if (name == "UIDNOTSTICKY") {
        result = code::UidNotSticky{};
    } else if (name == "MODIFIED") {
        expect_sp();
        result = code::Modified{sequence_set()};
    } else if (name == "CLOSED") {
        result = code::Closed{};
    } else if (name == "READ-ONLY") {
        result = code::ReadOnly{};
    } else if (name == "READ-WRITE") {
        result = code::ReadWrite{};
    } else if (name == "TRYCREATE") {
        result = code::TryCreate{};
    } else if (name == "NONEXISTENT") {
        result = code::Nonexistent{};
    } else if (name == "NOTIFICATIONOVERFLOW") {
        result = code::NotificationOverflow{};
    } else {
        code::Other other{name, {}};
        if (accept(' ')) {
            const std::size_t start = pos_;
            while (pos_ < text_.size() && !at(']') && !at('\r') && !at('\n')) ++pos_;
            other.arguments = std::string(text_.substr(start, pos_ - start));
        }
        result = std::move(other);
    }
    expect(']', "expected ']' to end the response code");
    return result;
}

// capability-data = "CAPABILITY" *(SP capability) SP "IMAP4rev1" *(SP capability)
// enable-data = "ENABLED" *(SP capability)
// capability = ("AUTH=" auth-type) / atom
// IMAP4rev1 is not required (an IMAP4rev2-only server may omit it); a trailing SP is tolerated.
std::vector<std::string> Grammar::capabilities() {
    std::vector<std::string> names;
    while (accept(' ')) {
        if (at_line_end()) break;
        names.push_back(wire::to_upper(atom()));
    }
    return names;
}

// flag-list = "(" [flag *(SP flag)] ")"
std::vector<std::string> Grammar::flag_list() {
    expect('(', "expected '(' to start a flag list");
    std::vector<std::string> flags;
    if (accept(')')) return flags;
    do {
        flags.push_back(flag());
    } while (accept(' '));
    expect(')', "expected ')' to end a flag list");
    return flags;
}

// flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword / flag-extension
// flag-keyword = atom ; flag-extension = "\" atom ; flag-perm = flag / "\*"
// Flags keep their case: keywords go back to the server verbatim.
std::string Grammar::flag() {
    const std::size_t start = pos_;
    if (accept('\\') && accept('*')) return "\\*";
    atom();
    return std::string(text_.substr(start, pos_ - start));
}

// sequence-set = (seq-number / seq-range) ["," sequence-set]   (uid-set, known-uids alike)
SequenceSet Grammar::sequence_set() {
    const std::size_t start = pos_;
    while (wire::is_digit(peek()) || at(':') || at(',') || at('*')) ++pos_;
    auto set = SequenceSet::parse(text_.substr(start, pos_ - start));
    if (!set) {
        pos_ = start;
        fail("invalid sequence set");
    }
    return std::move(*set);
}

// mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
//                [SP mbox-list-extended]
// mbx-list-flags = *(mbx-list-oflag SP) mbx-list-sflag *(SP mbx-list-oflag) / mbx-list-oflag *(SP mbx-list-oflag)
// mbox-list-extended = "(" [mbox-list-extended-item *(SP mbox-list-extended-item)] ")"  (RFC 5258)
ListData Grammar::mailbox_list(bool lsub) {
    ListData data;
    data.lsub = lsub;
    expect_sp();
    expect('(', "expected '(' to start the mailbox attributes");
    if (!accept(')')) {
        do {
            data.attributes.push_back(wire::to_upper(flag()));
        } while (accept(' '));
        expect(')', "expected ')' to end the mailbox attributes");
    }
    expect_sp();
    if (!accept_keyword("NIL")) {
        const std::size_t start = pos_;
        const std::string delimiter = quoted();
        if (delimiter.size() != 1) {
            pos_ = start;
            fail("a hierarchy delimiter must be one character");
        }
        data.delimiter = delimiter[0];
    }
    expect_sp();
    data.mailbox = mailbox();
    if (accept(' ')) {
        if (!at('(')) fail("expected '(' to start extended list data");
        skip_value();  // CHILDINFO, OLDNAME, ...: nothing the sync needs
    }
    return data;
}

// mailbox-data =/ "STATUS" SP mailbox SP "(" [status-att-list] ")"
// status-att-list = status-att-val *(SP status-att-val)
StatusData Grammar::status_data() {
    StatusData data;
    expect_sp();
    data.mailbox = mailbox();
    expect_sp();
    expect('(', "expected '(' to start the status items");
    if (!accept(')')) {
        do {
            status_att_val(data);
        } while (accept(' '));
        expect(')', "expected ')' to end the status items");
    }
    return data;
}

// status-att-val = ("MESSAGES" SP number) / ("UIDNEXT" SP nz-number) /
//                  ("UIDVALIDITY" SP nz-number) / ("UNSEEN" SP number) /
//                  ("DELETED" SP number) / ("SIZE" SP number64) / ("RECENT" SP number) /
//                  ("HIGHESTMODSEQ" SP mod-sequence-valzer)
void Grammar::status_att_val(StatusData& data) {
    const std::string name = wire::to_upper(atom());
    expect_sp();
    if (name == "MESSAGES") {
        data.messages = number();
    } else if (name == "UIDNEXT") {
        data.uidnext = number();
    } else if (name == "UIDVALIDITY") {
        data.uidvalidity = number();
    } else if (name == "UNSEEN") {
        data.unseen = number();
    } else if (name == "RECENT") {
        data.recent = number();
    } else if (name == "HIGHESTMODSEQ") {
        data.highestmodseq = mod_sequence();
    } else if (name == "SIZE") {
        data.size = number64();
    } else {
        skip_value();
    }
}

// mailbox-data =/ "SEARCH" *(SP nz-number) [SP "(" "MODSEQ" SP mod-sequence-value ")"]
// A trailing SP (sent by some servers after an empty result) is tolerated.
SearchData Grammar::search_data() {
    SearchData data;
    while (accept(' ')) {
        if (at_line_end()) break;
        if (accept('(')) {
            if (!accept_keyword("MODSEQ")) fail("expected MODSEQ");
            expect_sp();
            data.modseq = mod_sequence();
            expect(')', "expected ')' after the MODSEQ of a SEARCH");
            break;
        }
        data.numbers.push_back(number());
    }
    return data;
}

// esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)
ESearchData Grammar::esearch_response() {
    ESearchData data;
    if (at(' ') && peek(1) == '(') {
        ++pos_;
        search_correlator(data);
    }
    if (at(' ') && keyword_at(pos_ + 1, "UID")) {
        pos_ += 4;
        data.uid = true;
    }
    while (accept(' ')) search_return_data(data);
    return data;
}

// search-correlator = SP "(" "TAG" SP tag-string ")"
// (RFC 7377 adds MAILBOX and UIDVALIDITY pairs: skipped.)
void Grammar::search_correlator(ESearchData& data) {
    expect('(', "expected '('");
    do {
        const std::string name = wire::to_upper(atom());
        expect_sp();
        if (name == "TAG") {
            data.tag = astring();
        } else {
            skip_value();
        }
    } while (accept(' '));
    expect(')', "expected ')' to end the search correlator");
}

// search-return-data = "MIN" SP nz-number / "MAX" SP nz-number / "ALL" SP sequence-set /
//                      "COUNT" SP number / search-ret-data-ext
// search-ret-data-ext = search-modifier-name SP search-return-value
// "MODSEQ" SP mod-sequence-value                                     (RFC 7162)
void Grammar::search_return_data(ESearchData& data) {
    const std::string name = wire::to_upper(atom());
    expect_sp();
    if (name == "MIN") {
        data.min = number();
    } else if (name == "MAX") {
        data.max = number();
    } else if (name == "COUNT") {
        data.count = number();
    } else if (name == "ALL") {
        data.all = sequence_set();
    } else if (name == "MODSEQ") {
        data.modseq = mod_sequence();
    } else {
        skip_value();
    }
}

// expunged-resp = "VANISHED" [SP "(EARLIER)"] SP known-uids      (RFC 7162)
VanishedData Grammar::expunged_resp() {
    VanishedData data;
    expect_sp();
    if (accept('(')) {
        if (!accept_keyword("EARLIER")) fail("expected (EARLIER)");
        expect(')', "expected ')' after EARLIER");
        expect_sp();
        data.earlier = true;
    }
    data.uids = sequence_set();
    return data;
}

// msg-att = "(" (msg-att-dynamic / msg-att-static) *(SP (msg-att-dynamic / msg-att-static)) ")"
FetchData Grammar::msg_att(std::uint32_t seq) {
    FetchData data;
    data.seq = seq;
    expect('(', "expected '(' to start the FETCH items");
    if (accept(')')) return data;
    do {
        msg_att_item(data);
    } while (accept(' '));
    expect(')', "expected ')' to end the FETCH items");
    return data;
}

// msg-att-dynamic = "FLAGS" SP "(" [flag-fetch *(SP flag-fetch)] ")"
// msg-att-static = "ENVELOPE" SP envelope / "INTERNALDATE" SP date-time /
//                  "RFC822" [".HEADER" / ".TEXT"] SP nstring / "RFC822.SIZE" SP number64 /
//                  "BODY" ["STRUCTURE"] SP body / "BODY" section ["<" number ">"] SP nstring /
//                  "BINARY" section-binary SP (nstring / literal8) /
//                  "BINARY.SIZE" section-binary SP number / "UID" SP uniqueid
// fetch-mod-resp = "MODSEQ" SP "(" permsg-modsequence ")"          (RFC 7162)
// Any other item (BODYSTRUCTURE, X-GM-LABELS, ...) is skipped as one balanced value.
void Grammar::msg_att_item(FetchData& data) {
    const std::string_view name = fetch_att_name();
    expect_sp();
    if (auto body = classify_body_item(name)) {
        data.sections.push_back(body_value(std::move(*body)));
        return;
    }
    const std::string upper = wire::to_upper(name);
    if (upper == "UID") {
        data.uid = number();
    } else if (upper == "FLAGS") {
        data.flags = flag_list();
    } else if (upper == "MODSEQ") {
        expect('(', "expected '(' after MODSEQ");
        data.modseq = mod_sequence();
        expect(')', "expected ')' after the MODSEQ value");
    } else if (upper == "INTERNALDATE") {
        // date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
        // Kept raw; parse_internal_date() converts it.
        data.internal_date = quoted();
    } else if (upper == "RFC822.SIZE") {
        data.rfc822_size = number64();
    } else if (upper == "ENVELOPE") {
        data.envelope = envelope();
    } else {
        skip_value();
    }
}

// The name of a FETCH item: an atom, with a bracketed section whose text may hold spaces,
// parentheses and quoted strings ("BODY[HEADER.FIELDS (SUBJECT)]<0>").
std::string_view Grammar::fetch_att_name() {
    const std::size_t start = pos_;
    while (pos_ < text_.size()) {
        if (at('[')) {
            ++pos_;
            bool in_quote = false;
            while (in_quote || !at(']')) {
                if (pos_ >= text_.size() || at('\r') || at('\n')) fail("unterminated section");
                if (at('\\') && in_quote) ++pos_;
                else if (at('"')) in_quote = !in_quote;
                ++pos_;
            }
            ++pos_;
        } else if (wire::is_atom_char(text_[pos_])) {
            ++pos_;
        } else {
            break;
        }
    }
    if (pos_ == start) fail("expected a FETCH item");
    return text_.substr(start, pos_ - start);
}

// The value of a body item: nstring, or literal8 for BINARY.
BodySection Grammar::body_value(BodyItemName name) {
    BodySection section;
    section.item = std::move(name.item);
    section.section = std::move(name.section);
    section.origin = name.origin;
    if (accept_keyword("NIL")) {
        section.nil = true;
    } else if (at('"')) {
        section.data = quoted();
        section.size = section.data.size();
    } else if (at('{') || at('~')) {
        const LiteralValue value = literal(section.item == "BINARY");
        section.size = value.size;
        section.streamed = value.streamed;
        section.data = std::string(value.bytes);
    } else {
        fail("expected a string, a literal or NIL as a body value");
    }
    return section;
}

// envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to SP
//            env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")"
Envelope Grammar::envelope() {
    Envelope envelope;
    expect('(', "expected '(' to start an envelope");
    envelope.date = nstring();
    expect_sp();
    envelope.subject = nstring();
    for (auto* list : {&envelope.from, &envelope.sender, &envelope.reply_to, &envelope.to,
                       &envelope.cc, &envelope.bcc}) {
        expect_sp();
        *list = address_list();
    }
    expect_sp();
    envelope.in_reply_to = nstring();
    expect_sp();
    envelope.message_id = nstring();
    expect(')', "expected ')' to end an envelope");
    return envelope;
}

// env-from = "(" 1*address ")" / nil        (and env-sender, env-to, ... alike)
// An empty "()" and SP between addresses are tolerated.
std::vector<Address> Grammar::address_list() {
    std::vector<Address> addresses;
    if (accept_keyword("NIL")) return addresses;
    expect('(', "expected '(' or NIL for an address list");
    while (at('(')) {
        addresses.push_back(address());
        accept(' ');
    }
    expect(')', "expected ')' to end an address list");
    return addresses;
}

// address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"
Address Grammar::address() {
    Address address;
    expect('(', "expected '(' to start an address");
    address.name = nstring();
    expect_sp();
    address.adl = nstring();
    expect_sp();
    address.mailbox = nstring();
    expect_sp();
    address.host = nstring();
    expect(')', "expected ')' to end an address");
    return address;
}

// An untagged response without a type here: the whole line, literals replaced by "{size}".
OtherData Grammar::other_data(std::string keyword) {
    std::string line;
    std::size_t cursor = 0;
    for (const LiteralSpan& span : frame_.literals) {
        const std::size_t header_end = span.data_offset - 2;  // before the literal's CRLF
        line.append(text_.substr(cursor, header_end - cursor));
        cursor = span.data_offset + (span.streamed ? 0 : static_cast<std::size_t>(span.size));
    }
    line.append(text_.substr(cursor, text_.size() - 2 - cursor));
    pos_ = text_.size() - 2;
    return OtherData{std::move(keyword), std::move(line)};
}

}  // namespace

Response parse_response(const Frame& frame) {
    Grammar grammar(frame);
    return grammar.response();
}

}  // namespace mailsync::imap::detail

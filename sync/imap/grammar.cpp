// The responses of the grammar (Grammar, grammar_rules.hpp): tagged and untagged responses,
// continuation requests, resp-text codes, capabilities, and untyped data kept as text; and
// parse_response(), the entry point.
#include "sync/imap/grammar.hpp"

#include "common/ascii.hpp"
#include "sync/imap/grammar_rules.hpp"

namespace mailsync::imap::detail {

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
    const std::string status = ascii::to_upper(atom());
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
        std::string keyword = ascii::to_upper(atom());
        if (keyword == "EXISTS") return ExistsData{number_value};
        if (keyword == "RECENT") return RecentData{number_value};
        if (keyword == "EXPUNGE") return ExpungeData{number_value};
        if (keyword == "FETCH") {
            expect_sp();
            return msg_att(number_value);
        }
        return other_data(std::move(keyword));
    }
    std::string keyword = ascii::to_upper(atom());
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
    const std::string name = ascii::to_upper(atom());
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
        names.push_back(ascii::to_upper(atom()));
    }
    return names;
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

Response parse_response(const Frame& frame) {
    Grammar grammar(frame);
    return grammar.response();
}

}  // namespace mailsync::imap::detail

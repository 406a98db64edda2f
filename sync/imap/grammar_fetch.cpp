// The FETCH data of the grammar (Grammar, grammar_rules.hpp): msg-att items, body sections (streamed
// literals or bytes), ENVELOPE and its addresses.
#include "sync/imap/grammar_rules.hpp"

#include "common/ascii.hpp"

namespace mailsync::imap::detail {

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
// BODYSTRUCTURE is kept as its wire text (one balanced value); any other item (X-GM-LABELS, ...) is
// skipped as one balanced value.
void Grammar::msg_att_item(FetchData& data) {
    const std::string_view name = fetch_att_name();
    expect_sp();
    if (auto body = classify_body_item(name)) {
        data.sections.push_back(body_value(std::move(*body)));
        return;
    }
    const std::string upper = ascii::to_upper(name);
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
    } else if (upper == "BODYSTRUCTURE") {
        const std::size_t start = pos_;
        skip_value();
        data.body_structure = std::string(text_.substr(start, pos_ - start));
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

}  // namespace mailsync::imap::detail

// The mailbox-level data of the grammar (Grammar, grammar_rules.hpp): flag lists, sequence sets,
// LIST/LSUB, STATUS, SEARCH and ESEARCH results, VANISHED.
#include "sync/imap/grammar_rules.hpp"

#include "common/ascii.hpp"

namespace mailsync::imap::detail {

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
            data.attributes.push_back(ascii::to_upper(flag()));
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
    const std::string name = ascii::to_upper(atom());
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
        const std::string name = ascii::to_upper(atom());
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
    const std::string name = ascii::to_upper(atom());
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

}  // namespace mailsync::imap::detail

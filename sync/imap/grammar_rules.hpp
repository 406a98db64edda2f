// The Grammar class: the recursive-descent parser behind parse_response() (grammar.hpp), one
// member function per ABNF rule. Internal to the codec; its rules are defined in four files by
// area of the ABNF: grammar_strings.cpp (primitives, strings, skipping unknown values),
// grammar.cpp (responses, status responses and their codes, capabilities), grammar_mailbox.cpp
// (flags, sequence sets, LIST, STATUS, SEARCH, ESEARCH, VANISHED) and grammar_fetch.cpp (FETCH).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/imap/body_item.hpp"
#include "sync/imap/framer.hpp"
#include "sync/imap/response.hpp"
#include "sync/imap/wire_syntax.hpp"

namespace mailsync::imap::detail {

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

}  // namespace mailsync::imap::detail

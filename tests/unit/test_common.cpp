// The helpers of common/: ASCII case folding leaves every other byte alone, INBOX is the one
// case-insensitive name, UTF-8 is decoded strictly (RFC 3629), and the clock is the epoch's.
#include <catch2/catch.hpp>

#include <cstdint>
#include <ctime>
#include <string>

#include "common/ascii.hpp"
#include "common/clock.hpp"
#include "common/inbox.hpp"
#include "common/utf8.hpp"

using namespace mailsync;

TEST_CASE("common: ASCII case folding changes A-Z and a-z only") {
    CHECK(ascii::to_lower("Seen \\FLAGGED [x]@Z") == "seen \\flagged [x]@z");
    CHECK(ascii::to_upper("body.peek[header]") == "BODY.PEEK[HEADER]");
    const std::string utf8 = "\xc3\x89t\xc3\xa9";   // "Été": its bytes above 0x7F stay as they are
    CHECK(ascii::to_lower(utf8) == "\xc3\x89t\xc3\xa9");
    CHECK(ascii::to_upper(utf8) == "\xc3\x89T\xc3\xa9");
    CHECK(ascii::to_lower('@') == '@');
    CHECK(ascii::to_upper('[') == '[');
    CHECK(ascii::iequals("\\Seen", "\\SEEN"));
    CHECK_FALSE(ascii::iequals("\\Seen", "\\Seen "));
    CHECK_FALSE(ascii::iequals("a", "\xc3\xa1"));
    CHECK(ascii::istarts_with("SHA256:ab", "sha256:"));
    CHECK_FALSE(ascii::istarts_with("sha25", "sha256:"));
    static_assert(ascii::iequals("Inbox", "INBOX"));
}

TEST_CASE("common: INBOX in any case is the inbox, nothing else is") {
    for (const char* name : {"INBOX", "inbox", "Inbox", "iNbOx"}) CHECK(is_inbox(name));
    for (const char* name : {"INBOX/", "INBOX.Sent", "Inbox ", "", "INBO"}) CHECK_FALSE(is_inbox(name));
}

TEST_CASE("common: UTF-8 is decoded one code point at a time, strictly") {
    std::size_t pos = 0;
    const std::string text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x93\xa7";   // a é € U+1F4E7
    CHECK(utf8::decode_at(text, pos) == 0x61u);
    CHECK(utf8::decode_at(text, pos) == 0xe9u);
    CHECK(utf8::decode_at(text, pos) == 0x20acu);
    CHECK(utf8::decode_at(text, pos) == 0x1f4e7u);
    CHECK(pos == text.size());
    std::string written;
    for (std::uint32_t code_point : {0x61u, 0xe9u, 0x20acu, 0x1f4e7u}) utf8::append(written, code_point);
    CHECK(written == text);
    CHECK(utf8::is_valid(text));
    CHECK(utf8::is_valid(std::string("\0", 1)));
    for (const char* bad : {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3", "\x80", "\xff"}) {
        CAPTURE(bad);
        CHECK_FALSE(utf8::is_valid(bad));
        std::size_t at = 0;
        CHECK_FALSE(utf8::decode_at(bad, at));
        CHECK(at == 0);   // left where it was
    }
}

TEST_CASE("common: text for a terminal has its control characters written as escapes") {
    // Sets the window title, turns the text red, clears the screen: none of it may reach a terminal.
    const std::string hostile = "\x1b]0;PWNED\x07\x1b[31mRED\x1b[2J";
    CHECK(utf8::printable(hostile) == "\\x1B]0;PWNED\\x07\\x1B[31mRED\\x1B[2J");
    CHECK(utf8::printable(std::string("a\0b", 3)) == "a\\x00b");
    CHECK(utf8::printable("\xc2\x9b" "1m") == "\\xC2\\x9B1m");   // C1 CSI, as UTF-8
    CHECK(utf8::printable("\x7f") == "\\x7F");
    CHECK(utf8::printable("caf\xe9") == "caf\\xE9");                 // not UTF-8: escaped, not dropped
    CHECK(utf8::printable("Zo\xc3\xab \xe2\x82\xac") == "Zo\xc3\xab \xe2\x82\xac");
    CHECK(utf8::printable("line\n\tnext\r") == "line\\x0A\\x09next\\x0D");
    CHECK(utf8::printable("line\n\tnext\x1b[2J", "\n\t") == "line\n\tnext\\x1B[2J");
}

TEST_CASE("common: the clock counts whole seconds since the epoch") {
    const auto before = static_cast<std::int64_t>(std::time(nullptr));
    const std::int64_t now = unix_time_now();
    const auto after = static_cast<std::int64_t>(std::time(nullptr));
    CHECK(before <= now);
    CHECK(now <= after);
}

#include <catch2/catch.hpp>

#include <random>

#include "common/error.hpp"
#include "sync/imap/mutf7.hpp"

using mailsync::Error;
using mailsync::imap::mailbox_display_name;
using mailsync::imap::mutf7_decode;
using mailsync::imap::mutf7_encode;

namespace {

void append_utf8(std::string& out, std::uint32_t c) {
    auto byte = [&out](std::uint32_t v) { out.push_back(static_cast<char>(static_cast<unsigned char>(v))); };
    if (c < 0x80) {
        byte(c);
    } else if (c < 0x800) {
        byte(0xc0 | (c >> 6));
        byte(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
        byte(0xe0 | (c >> 12));
        byte(0x80 | ((c >> 6) & 0x3f));
        byte(0x80 | (c & 0x3f));
    } else {
        byte(0xf0 | (c >> 18));
        byte(0x80 | ((c >> 12) & 0x3f));
        byte(0x80 | ((c >> 6) & 0x3f));
        byte(0x80 | (c & 0x3f));
    }
}

}  // namespace

TEST_CASE("mutf7: known answers", "[mutf7]") {
    struct Case {
        const char* utf8;
        const char* wire;
    };
    const Case cases[] = {
        {"", ""},
        {"INBOX", "INBOX"},
        {"&", "&-"},
        {"a&b&&", "a&-b&-&-"},
        // RFC 3501 §5.1.3
        {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
        // RFC 2152's classic, in modified form: one, two and three UTF-16 units per run
        {"\xc3\xa9", "&AOk-"},                      // é
        {"Entw\xc3\xbc" "rfe", "Entw&APw-rfe"},    // Entwürfe
        {"\xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xbd\xd1\x8b\xd0\xb5",
         "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"},  // Отправленные
        {"\xf0\x9f\x93\xa7", "&2D3c5w-"},          // U+1F4E7, a surrogate pair
        {"\x01", "&AAE-"},                          // control characters are encoded
        {"~", "~"},
        {"\x7f", "&AH8-"},
    };
    for (const auto& c : cases) {
        INFO("wire " << c.wire);
        CHECK(mutf7_encode(c.utf8) == c.wire);
        auto decoded = mutf7_decode(c.wire);
        REQUIRE(decoded.has_value());
        CHECK(*decoded == c.utf8);
    }
}

TEST_CASE("mutf7: invalid wire forms are rejected", "[mutf7]") {
    for (const char* bad : {
             "&",           // not terminated
             "a&U,BTFw",    // not terminated
             "&U,BTFw-&",   // not terminated
             "&A-",         // 6 bits: no complete unit
             "&AOk=-",      // '=' is not in the alphabet
             "&AO/-",       // '/' is replaced by ',' in modified base64
             "&AOl-",       // non-zero padding bits
             "&AOkA-",      // one character more than needed
             "&AGE-",       // 'a' encoded though printable
             "&ACY-",       // '&' encoded instead of "&-"
             "&AOk-&AOk-",  // two runs back to back: not canonical
             "&2D0-",       // lone high surrogate
             "&3OcAOQ-",    // lone low surrogate
             "&2D0AOQ-",    // high surrogate followed by a non-surrogate
             "&AAA-",       // U+0000
             "a\tb",        // raw control character
             "caf\xc3\xa9", // raw 8-bit
             "&\xc3\xa9-",
         }) {
        INFO("wire " << bad);
        CHECK_FALSE(mutf7_decode(bad).has_value());
    }
    // Back to back is fine when one of them is the "&-" escape.
    CHECK(mutf7_decode("&AOk-&-&AOk-") == std::optional<std::string>("\xc3\xa9&\xc3\xa9"));
}

TEST_CASE("mutf7: invalid UTF-8 cannot be encoded", "[mutf7]") {
    for (const char* bad : {"\xc3", "\xc3(", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
             "\xf5\x80\x80\x80", "\xff", "\x80", "ok\xe6\x97"}) {
        INFO("input " << bad);
        CHECK_THROWS_AS(mutf7_encode(bad), Error);
    }
    CHECK_THROWS_AS(mutf7_encode(std::string("a\0b", 3)), Error);
}

TEST_CASE("mutf7: random UTF-8 round-trips", "[mutf7]") {
    std::mt19937 random(2024);
    std::uniform_int_distribution<int> kind(0, 5);
    auto between = [&random](std::uint32_t low, std::uint32_t high) {
        return std::uniform_int_distribution<std::uint32_t>(low, high)(random);
    };
    for (int round = 0; round < 3000; ++round) {
        std::string utf8;
        auto length = random() % 12;
        for (std::size_t i = 0; i < length; ++i) {
            std::uint32_t c = 0;
            switch (kind(random)) {
            case 0: c = between(0x20, 0x7e); break;  // printable ASCII
            case 1: c = '&'; break;
            case 2: c = between(1, 0x1f); break;  // controls
            case 3: c = between(0x80, 0xd7ff); break;  // BMP below the surrogates
            case 4: c = between(0xe000, 0xffff); break;
            default: c = between(0x10000, 0x10ffff); break;
            }
            append_utf8(utf8, c);
        }
        auto wire = mutf7_encode(utf8);
        for (char byte : wire) REQUIRE((byte >= 0x20 && byte <= 0x7e));
        auto decoded = mutf7_decode(wire);
        REQUIRE(decoded.has_value());
        REQUIRE(*decoded == utf8);
        REQUIRE(mutf7_encode(*decoded) == wire);
    }
}

TEST_CASE("mutf7: random wire strings either decode canonically or are rejected", "[mutf7]") {
    std::mt19937 random(99);
    const std::string alphabet = "&-AZaz09+,/=. ~";
    int accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string wire;
        auto length = random() % 10;
        for (std::size_t i = 0; i < length; ++i) wire += alphabet[random() % alphabet.size()];
        if (auto decoded = mutf7_decode(wire)) {
            ++accepted;
            REQUIRE(mutf7_encode(*decoded) == wire);
        }
    }
    CHECK(accepted > 1000);
}

TEST_CASE("mutf7: display names always print", "[mutf7]") {
    CHECK(mailbox_display_name("~peter/mail/&U,BTFw-/&ZeVnLIqe-") ==
          "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
    CHECK(mailbox_display_name("&-") == "&");
    CHECK(mailbox_display_name("a&b") == "a&b");             // invalid mUTF-7: shown as sent
    CHECK(mailbox_display_name("&AGE-") == "&AGE-");
    CHECK(mailbox_display_name("caf\xc3\xa9") == "caf\xc3\xa9");  // UTF-8 from a UTF8=ACCEPT server
    CHECK(mailbox_display_name("bad\xff\x1b[2J") == "bad\\xFF\\x1B[2J");
    CHECK(mailbox_display_name("&AAE-x") == "\\x01x");       // decoded control character escaped
    CHECK(mailbox_display_name("&AIU-") == "\\xC2\\x85");    // C1 control (NEL)
}

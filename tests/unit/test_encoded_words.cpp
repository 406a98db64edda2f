#include <catch2/catch.hpp>

#include <sstream>

#include "cli/encoded_words.hpp"
#include "cli/message_text.hpp"

using mailsync::cli::decode_encoded_words;

TEST_CASE("encoded words decode to UTF-8 for display") {
    CHECK(decode_encoded_words("=?UTF-8?Q?Ivan_Garc=C3=ADa?= <i@example.org>") == "Ivan García <i@example.org>");
    CHECK(decode_encoded_words("=?UTF-8?B?Wm/DqyBEdWJvaXM=?=") == "Zoë Dubois");
    CHECK(decode_encoded_words("=?ISO-8859-1?Q?caf=E9?=") == "café");
    // Space between adjacent encoded words is dropped, space next to plain text kept.
    CHECK(decode_encoded_words("=?UTF-8?Q?a?= =?UTF-8?Q?b?=") == "ab");
    CHECK(decode_encoded_words("Re: =?UTF-8?Q?caf=C3=A9?= now") == "Re: café now");
    // Folded headers are shown unfolded.
    CHECK(decode_encoded_words("Re:\r\n =?UTF-8?Q?x?=") == "Re: x");
}

TEST_CASE("malformed or unknown encoded words stay as they are") {
    CHECK(decode_encoded_words("=?UTF-8?Q?unterminated") == "=?UTF-8?Q?unterminated");
    CHECK(decode_encoded_words("=?NO-SUCH-CHARSET?Q?x?=") == "=?NO-SUCH-CHARSET?Q?x?=");
    CHECK(decode_encoded_words("=?UTF-8?X?x?=") == "=?UTF-8?X?x?=");
    CHECK(decode_encoded_words("=?UTF-8?Q?bad=Z1?=") == "=?UTF-8?Q?bad=Z1?=");
    CHECK(decode_encoded_words("plain") == "plain");
}

TEST_CASE("the result is always valid UTF-8") {
    CHECK(decode_encoded_words("=?UTF-8?B?/w==?=") == "=?UTF-8?B?/w==?=");  // not UTF-8: left encoded
    CHECK(decode_encoded_words("raw \xE9t\xE9") == "raw \xEF\xBF\xBDt\xEF\xBF\xBD");
}

TEST_CASE("a message shown as text cannot drive the terminal") {
    std::istringstream message(std::string("From: =?UTF-8?Q?Eve=1B]0;PWNED=07?= <e@example.org>\r\n"
                                           "Subject: \x1b[31mRED\x1b[2J\r\n"
                                           "\r\n"
                                           "first line\r\n\tindented\x1b[2J") +
                               '\0' + "end\r\n");
    const std::string text = mailsync::cli::message_as_text(message);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find('\x07') == std::string::npos);
    CHECK(text.find('\0') == std::string::npos);
    CHECK(text.find("From: Eve\\x1B]0;PWNED\\x07 <e@example.org>\n") != std::string::npos);
    CHECK(text.find("Subject: \\x1B[31mRED\\x1B[2J\n") != std::string::npos);
    CHECK(text.find("first line\n\tindented\\x1B[2J\\x00end\n") != std::string::npos);
}

#include <catch2/catch.hpp>

#include "cli/encoded_words.hpp"

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

// The codec against hostile and broken servers: limits, malformed input, streaming memory bound.
#include <catch2/catch.hpp>
#include <string>

#include "sync/imap/parser.hpp"
#include "tests/unit/parser_harness.hpp"

using namespace mailsync::imap;
using mailsync::Error;
using mailsync::ErrorCategory;

namespace {

void require_protocol_error(const test::Outcome& outcome, std::string_view mentions) {
    INFO("message: " << outcome.error_message);
    REQUIRE(outcome.error == ErrorCategory::protocol);
    CHECK_THAT(outcome.error_message, Catch::Contains(std::string(mentions)));
}

// Feeds `pieces` one by one, calling next() after each, and returns how many pieces were fed
// before next() threw a protocol error (0 if none did).
std::size_t pieces_until_error(Parser& parser, const std::string& piece, std::size_t pieces,
                               std::size_t& max_buffered) {
    for (std::size_t i = 1; i <= pieces; ++i) {
        parser.feed(piece);
        try {
            while (parser.next()) {}
        } catch (const Error& error) {
            REQUIRE(error.category() == ErrorCategory::protocol);
            return i;
        }
        max_buffered = std::max(max_buffered, parser.buffered());
    }
    return 0;
}

}  // namespace

TEST_CASE("malformed responses are protocol errors quoting the input", "[parser][hostile]") {
    struct Case {
        const char* input;
        const char* mentions;
    };
    const Case cases[] = {
        {"* LIST () \"/\" \"unterminated\r\n", "unterminated quoted string"},
        {"* 1 FETCH (BODY[] {5}hello)\r\n", "expected"},
        {"* 12a EXISTS\r\n", "expected a space"},
        {"* 1 EXISTS extra\r\n", "expected the end of the response"},
        {"* 1 FETCH (UID )\r\n", "expected a number"},
        {"* 1 FETCH (FLAGS (\\Seen)\r\n", "expected ')' to end the FETCH items"},
        {"* 1 FETCH (BODYSTRUCTURE ((\"text\")\r\n", "expected a value"},
        {"a1 MAYBE done\r\n", "expected OK, NO or BAD"},
        {"\r\n", "expected a tag"},
        {"* OK [UIDNEXT] x\r\n", "expected a space"},
        {"* OK [UIDVALIDITY 1 x\r\n", "expected ']'"},
        {"* VANISHED (EARLIER) 3:0\r\n", "invalid sequence set"},
        {"* LIST () \"ab\" INBOX\r\n", "one character"},
        {"* LIST () \"/\" \"a\\b\"\r\n", "invalid escape"},
        {"* 1 FETCH (BODY[1] {3}\r\nabcd)\r\n", "expected"},
        // A literal shorter than announced swallows the next response and then fails.
        {"* 1 FETCH (BODY[] {10}\r\nhello)\r\n* 2 EXISTS\r\n", "expected ')'"},
        {"* 2 FETCH (BODY[] ~{2}\r\nab)\r\n", "literal8 outside BINARY"},
        {"* OK [ALERT]x\r\n", "expected a space after a response code"},
    };
    for (const auto& c : cases) {
        INFO("input: " << c.input);
        for (bool with_sink : {false, true}) {
            require_protocol_error(test::run_all_splits(c.input, with_sink), c.mentions);
        }
    }
    const auto outcome = test::run_whole("* 12a EXISTS\r\n");
    CHECK_THAT(outcome.error_message, Catch::Contains("near \"* 12a EXISTS\\r\\n\""));
}

TEST_CASE("error excerpts are short and sanitized", "[parser][hostile]") {
    const std::string input = "* 1 FETCH (UID \x1b[31mred" + std::string(500, 'x') + ")\r\n";
    const auto outcome = test::run_whole(input);
    require_protocol_error(outcome, "\\x1b[31mred");
    CHECK(outcome.error_message.find('\x1b') == std::string::npos);
    CHECK(outcome.error_message.size() < 200);
}

TEST_CASE("a literal announced but cut short is incomplete, not a response", "[parser][hostile]") {
    // The stream may resume; the session learns of a connection lost mid-response from buffered().
    Parser parser;
    test::RecordingSink sink;
    parser.set_body_sink(&sink);
    parser.feed("* 1 FETCH (BODY[] {10}\r\nhello");
    CHECK_FALSE(parser.next());
    CHECK(parser.buffered() > 0);
    CHECK(sink.open);
    parser.feed("world)\r\n");
    const auto response = parser.next();
    REQUIRE(response);
    CHECK(sink.bodies.at(0) == "helloworld");
    CHECK(parser.buffered() == 0);
}

TEST_CASE("literal sizes are checked before anything is buffered", "[parser][hostile]") {
    ParserLimits limits;
    limits.max_inline_literal = 1000;
    limits.max_body_literal = 1u << 20;
    require_protocol_error(
        test::run_all_splits("* 1 FETCH (BODY[] {9223372036854775808}\r\n", true, limits),
        "exceeds the limit of 1048576");
    require_protocol_error(
        test::run_all_splits("* 1 FETCH (BODY[] {1001}\r\n", false, limits),
        "exceeds the in-memory limit of 1000");
    require_protocol_error(
        test::run_all_splits("* LIST () \"/\" {1001}\r\n", true, limits),
        "exceeds the in-memory limit");
    require_protocol_error(
        test::run_all_splits("* LIST () \"/\" {18446744073709551616}\r\n", true, limits),
        "literal size out of range");
    require_protocol_error(
        test::run_all_splits("* LIST () \"/\" {0000000000000000000000001}\r\n", true, limits),
        "too many digits");

    limits.max_response_bytes = 500;
    limits.max_inline_literal = 400;
    require_protocol_error(
        test::run_all_splits("* LIST () \"/\" " + std::string(200, 'a') + " {300}\r\n", true,
                             limits),
        "exceeds the limit of 500");
}

TEST_CASE("an overlong line fails as soon as the limit is crossed", "[parser][hostile]") {
    ParserLimits limits;
    limits.max_response_bytes = 64 * 1024;
    Parser parser(limits);
    const std::string piece(1000, 'a');
    std::size_t max_buffered = 0;
    const std::size_t failed_at = pieces_until_error(parser, "* OK " + piece, 1000, max_buffered);
    CHECK(failed_at == 66);  // the piece that takes the line past 64 KiB
    CHECK(max_buffered <= limits.max_response_bytes);

    // The default limit, with a 100 MB line coming in 1 MB pieces.
    Parser default_parser;
    max_buffered = 0;
    const std::size_t default_failed_at =
        pieces_until_error(default_parser, std::string(1u << 20, 'b'), 100, max_buffered);
    CHECK(default_failed_at == 16);
    CHECK(max_buffered <= ParserLimits{}.max_response_bytes);
}

TEST_CASE("the parser stays dead after an error", "[parser][hostile]") {
    Parser parser;
    parser.feed("* 1 FETCH (UID x)\r\n* 2 EXISTS\r\n");
    std::string first_message;
    try {
        parser.next();
        FAIL("no error");
    } catch (const Error& error) {
        first_message = error.what();
    }
    CHECK_THROWS_MATCHES(parser.next(), Error, Catch::Message(first_message));
    CHECK_THROWS_AS(parser.feed("* 3 EXISTS\r\n"), Error);
    CHECK_THROWS_AS(parser.next(), Error);
}

TEST_CASE("deep nesting in a skipped value does not exhaust the stack", "[parser][hostile]") {
    const std::size_t depth = 200000;
    const std::string balanced = "* 1 FETCH (BODYSTRUCTURE " + std::string(depth, '(') + "NIL" +
                                 std::string(depth, ')') + " UID 4)\r\n";
    const auto ok = test::run_whole(balanced);
    REQUIRE_FALSE(ok.error);
    CHECK(std::get<FetchData>(ok.typed.at(0)).uid == 4u);

    const std::string unbalanced = "* 1 FETCH (X-Y " + std::string(depth, '(') + ")\r\n";
    require_protocol_error(test::run_whole(unbalanced), "expected a value");
}

TEST_CASE("a multi-megabyte body streams with bounded buffering", "[parser][stream]") {
    std::string body;
    const std::size_t body_size = 5u << 20;
    body.reserve(body_size);
    for (std::size_t i = 0; body.size() < body_size; ++i) {
        body += "Line " + std::to_string(i) + " of the message body, with some text.\r\n";
    }
    body.resize(body_size);
    const std::string input = "* 7 FETCH (UID 1234 BODY[] {" + std::to_string(body.size()) +
                              "}\r\n" + body + " FLAGS (\\Seen))\r\na5 OK Fetch completed.\r\n";

    ParserLimits limits;
    limits.max_inline_literal = 4096;  // so that an in-memory copy could not pass unnoticed
    for (std::size_t chunk : {std::size_t{65536}, std::size_t{7919}}) {
        INFO("chunk size " << chunk);
        Parser parser(limits);
        test::RecordingSink sink;
        parser.set_body_sink(&sink);
        std::vector<Response> responses;
        std::size_t max_buffered = 0;
        for (std::size_t offset = 0; offset < input.size(); offset += chunk) {
            parser.feed(std::string_view(input).substr(offset, chunk));
            while (auto response = parser.next()) responses.push_back(std::move(*response));
            max_buffered = std::max(max_buffered, parser.buffered());
        }
        CHECK(max_buffered <= chunk + 64);
        REQUIRE(responses.size() == 2);
        const auto& fetch = std::get<FetchData>(responses[0]);
        REQUIRE(fetch.sections.size() == 1);
        CHECK(fetch.sections[0].streamed);
        CHECK(fetch.sections[0].size == body.size());
        CHECK(fetch.flags == std::vector<std::string>{"\\Seen"});
        REQUIRE(sink.contexts.size() == 1);
        CHECK(sink.contexts[0].seq == 7);
        CHECK(sink.contexts[0].uid == 1234u);
        CHECK(sink.contexts[0].item == "BODY");
        CHECK(sink.contexts[0].size == body.size());
        CHECK(sink.writes >= body.size() / chunk);
        CHECK(sink.protocol_violations.empty());
        CHECK_FALSE(sink.open);
        CHECK(sink.bodies[0] == body);
        CHECK(parser.buffered() == 0);
    }
}

TEST_CASE("a body literal needs a sink when it is over the in-memory limit", "[parser][stream]") {
    ParserLimits limits;
    limits.max_inline_literal = 10;
    const std::string input = "* 1 FETCH (BODY[] {11}\r\nhello world)\r\n";
    require_protocol_error(test::run_all_splits(input, false, limits), "body literal of 11 bytes");
    const auto streamed = test::run_all_splits(input, true, limits);
    REQUIRE_FALSE(streamed.error);
}

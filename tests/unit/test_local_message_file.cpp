// What `append` makes of a file: line ends, header recognition and summaries.
#include <catch2/catch.hpp>

#include <sstream>

#include "common/error.hpp"
#include "sync/local/local_message_file.hpp"

using namespace mailsync;

namespace {

std::string normalized_in_chunks(std::string_view text, std::size_t chunk_size) {
    sync::CrlfNormalizer normalizer;
    std::string out;
    for (std::size_t at = 0; at < text.size(); at += chunk_size) normalizer.feed(text.substr(at, chunk_size), out);
    normalizer.finish(out);
    return out;
}

}  // namespace

TEST_CASE("line ends become CRLF whatever the chunk boundaries", "[local][crlf]") {
    const std::string mixed = "a\nb\r\nc\rd\r\r\ne\r";
    const std::string expected = "a\r\nb\r\nc\r\nd\r\n\r\ne\r\n";
    for (std::size_t chunk = 1; chunk <= mixed.size(); ++chunk) {
        INFO("chunk size " << chunk);
        CHECK(normalized_in_chunks(mixed, chunk) == expected);
    }
    CHECK(normalized_in_chunks("already\r\ncrlf\r\n", 3) == "already\r\ncrlf\r\n");
    CHECK_THROWS_AS(normalized_in_chunks(std::string("a\0b", 3), 2), Error);
}

TEST_CASE("a header block is recognised and summarised", "[local][header]") {
    auto header = sync::parse_message_header(
        "Received: from x\r\n\tby y\r\nfrom:  Bob <b@x>  \r\nSUBJECT: =?utf-8?q?caf=C3=A9?=\r\n continued\r\n"
        "Subject: second one is ignored\r\nMessage-Id: <id@x>\r\n\r\n");
    REQUIRE(header);
    CHECK(header->from == "Bob <b@x>");
    CHECK(header->subject == "=?utf-8?q?caf=C3=A9?= continued");
    CHECK(header->message_id == "<id@x>");
    CHECK(header->date.empty());

    CHECK_FALSE(sync::parse_message_header("Subject: no blank line after it\r\n"));
    CHECK_FALSE(sync::parse_message_header(" continuation first\r\nSubject: x\r\n\r\n"));
    CHECK_FALSE(sync::parse_message_header("Subject x without colon\r\n\r\n"));
    CHECK_FALSE(sync::parse_message_header("X-Only: fields a message need not have\r\n\r\n"));
    CHECK_FALSE(sync::parse_message_header("\r\nSubject: after the blank line\r\n"));

    std::istringstream body("Date: Wed, 1 May 2024\r\n\r\nSubject: in the body\r\n");
    auto read = sync::read_message_header(body);
    REQUIRE(read);
    CHECK(read->date == "Wed, 1 May 2024");
    CHECK(read->subject.empty());
}

TEST_CASE("generated Message-IDs are unique and well-formed", "[local][header]") {
    const std::string a = sync::generate_message_id();
    const std::string b = sync::generate_message_id();
    CHECK(a != b);
    CHECK(a.size() == std::string("<mailsync.@mailsync.invalid>").size() + 32);
    CHECK(a.front() == '<');
    CHECK(a.back() == '>');
}

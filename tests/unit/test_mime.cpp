// sync/mime/: real-world MIME shapes read with GMime — the parts in IMAP section numbering, file
// names decoded (RFC 2231, 2047), exact decoded bytes, charsets to UTF-8, the body text, the text
// for the search index — and hostile shapes bounded.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/ascii.hpp"
#include "common/error.hpp"
#include "common/utf8.hpp"
#include "sync/mime/body_structure.hpp"
#include "sync/mime/charset.hpp"
#include "sync/mime/header_text.hpp"
#include "sync/mime/html_text.hpp"
#include "sync/mime/message.hpp"
#include "sync/mime/search_text.hpp"
#include "tests/unit/mime_samples.hpp"

using namespace mailsync;
using mailsync::test::crlf;

namespace {

std::vector<std::string> sections(const mime::Message& message) {
    std::vector<std::string> out;
    for (const auto& part : message.parts()) out.push_back(part.section);
    return out;
}

}  // namespace

TEST_CASE("mime: multipart/mixed with three attachments lists them with decoded names and sizes") {
    const auto message = mime::Message::parse(test::mixed_with_three_attachments());
    REQUIRE(sections(message) == std::vector<std::string>{"1", "2", "3", "4"});
    const auto& parts = message.parts();
    CHECK(parts[0].content_type == "text/plain");
    CHECK(parts[0].body_text);
    CHECK_FALSE(parts[0].attachment);
    CHECK(parts[1].content_type == "application/pdf");
    CHECK(parts[1].file_name == "report.pdf");
    CHECK(parts[1].size == 256);
    CHECK(parts[1].attachment);
    CHECK_FALSE(parts[1].body_text);
    CHECK(parts[2].content_type == "text/csv");
    CHECK(parts[2].file_name == "r\xC3\xA9sum\xC3\xA9.csv");   // RFC 2231: résumé.csv
    CHECK(parts[2].charset == "ISO-8859-1");
    CHECK(parts[3].content_type == "image/png");
    CHECK(parts[3].file_name == "\xC3\xA9t\xC3\xA9.png");      // RFC 2047 in name=: été.png
    CHECK(parts[3].size == 8);
}

TEST_CASE("mime: a part's bytes are exactly the decoded content") {
    const auto message = mime::Message::parse(test::mixed_with_three_attachments());
    CHECK(message.part_bytes("2") == test::all_bytes());                    // base64, every byte value
    CHECK(message.part_bytes("3") == std::string("pays;caf\xE9\r\nFrance;1"));   // QP, not re-encoded
    CHECK(message.part_bytes("4") == std::string("\x89PNG\r\n\x1A\n"));
    CHECK(message.part_text("3") == "pays;caf\xC3\xA9\r\nFrance;1");         // as text: UTF-8
    CHECK_FALSE(message.part_bytes("5"));
    CHECK_FALSE(message.part_bytes("1.1"));
    CHECK(message.part("4") != nullptr);
    CHECK(message.part("0") == nullptr);
}

TEST_CASE("mime: header fields are decoded for people, addresses parsed") {
    const auto message = mime::Message::parse(test::mixed_with_three_attachments());
    const auto& headers = message.headers();
    CHECK(headers.from == "Ren\xC3\xA9 Dupont <rene@example.org>");
    CHECK(headers.subject == "Rapport trimestriel \xE2\x80\x93 Q3");
    CHECK(headers.date == "Tue, 1 Dec 2026 09:30:00 +0100");
    REQUIRE(headers.parsed_date);
    CHECK(headers.parsed_date->unix_seconds == 1796113800);
    CHECK(headers.parsed_date->zone_minutes == 60);
    CHECK(headers.from_addresses == std::vector<mime::Address>{{"Ren\xC3\xA9 Dupont", "rene@example.org"}});
    CHECK(headers.to_addresses == std::vector<mime::Address>{{"Ann", "ann@example.org"}, {"", "bob@example.org"}});
    // A group is flattened; a quoted name keeps its comma.
    CHECK(headers.cc_addresses == std::vector<mime::Address>{{"", "carol@example.org"}, {"Dan, D.", "dan@example.org"}});
    CHECK(message.body_text() == "Bonjour,\r\n\r\nle rapport est joint \xE2\x80\x94 trois fichiers.");
}

TEST_CASE("mime: multipart/alternative shows the plain part, converted from ISO-8859-1") {
    const auto message = mime::Message::parse(test::alternative());
    REQUIRE(sections(message) == std::vector<std::string>{"1", "2"});
    CHECK(message.parts()[0].body_text);
    CHECK_FALSE(message.parts()[1].body_text);
    CHECK(message.part_bytes("1") == std::string("Un caf\xE9 offert."));
    CHECK(message.body_text() == "Un caf\xC3\xA9 offert.");
    CHECK(message.part_text("2") == "\nUn caf\xC3\xA9 offert & merci.\n");   // the HTML reduced to its text
}

TEST_CASE("mime: a message with only an HTML part shows that part's text") {
    const std::string raw = crlf("Subject: html\nContent-Type: text/html; charset=utf-8\n\n<p>Hello&nbsp;<i>you</i></p>\n");
    const auto message = mime::Message::parse(raw);
    REQUIRE(message.parts().size() == 1);
    CHECK(message.parts()[0].section == "1");
    CHECK(message.parts()[0].body_text);
    CHECK(message.body_text() == "\nHello you\n");
}

TEST_CASE("mime: nested message/rfc822 parts are walked in IMAP numbering") {
    const auto message = mime::Message::parse(test::forwarded());
    REQUIRE(sections(message) == std::vector<std::string>{"1", "2", "2.1", "2.2", "3", "3.1"});
    const auto& parts = message.parts();
    CHECK(parts[1].content_type == "message/rfc822");
    CHECK(parts[2].content_type == "text/plain");
    CHECK_FALSE(parts[2].body_text);                      // the body text is the outer message's
    CHECK(parts[0].body_text);
    CHECK(parts[3].file_name == "inner.bin");
    CHECK(message.part_bytes("2.2") == std::string("\xDE\xAD\xBE\xEF"));
    CHECK(parts[4].file_name == "note.eml");
    CHECK(message.part_text("3.1") == "just a note");   // the line break before a boundary is the boundary's
    CHECK(parts[4].attachment);
    CHECK(message.enclosed_headers("2").subject == "Inner \xC3\xA9t\xC3\xA9");
    CHECK(message.enclosed_headers("2").from == "carol@example.org");
    CHECK(message.enclosed_headers("1").subject.empty());
    // The enclosed messages' bytes: their header and body as they were, CRLF kept.
    CHECK(message.part_bytes("3") == crlf("From: dan@example.org\nSubject: note\n\njust a note"));
    CHECK(message.part("3")->size == message.part_bytes("3")->size());
    const std::string forwarded = test::forwarded();
    const std::size_t inner_start = forwarded.find("From: carol");
    const std::size_t inner_end = forwarded.find("\r\n--fwd", inner_start);
    CHECK(message.part_bytes("2") == forwarded.substr(inner_start, inner_end - inner_start));
}

TEST_CASE("mime: RFC 2231 continued file names are joined and decoded") {
    const auto message = mime::Message::parse(test::continued_file_names());
    REQUIRE(message.parts().size() == 2);
    CHECK(message.parts()[0].file_name == "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.txt");   // 日本語.txt
    CHECK(message.parts()[1].file_name == "a very long file name.pdf");
    // A text/plain attachment is not the body text.
    CHECK_FALSE(message.body_text());
}

TEST_CASE("mime: a message that is not multipart is part 1") {
    const auto message = mime::Message::parse(crlf("From: a@example.org\nSubject: hi\n\nbody line\n"));
    REQUIRE(sections(message) == std::vector<std::string>{"1"});
    CHECK(message.parts()[0].content_type == "text/plain");
    CHECK(message.body_text() == "body line\r\n");
    CHECK(message.parts()[0].size == 11);
}

TEST_CASE("mime: charsets convert to UTF-8, unknown ones fall back") {
    CHECK(mime::to_utf8("caf\xE9", "ISO-8859-1") == "caf\xC3\xA9");
    CHECK(mime::to_utf8("caf\xE9", "latin1") == "caf\xC3\xA9");
    CHECK(mime::to_utf8("caf\xC3\xA9", "utf-8") == "caf\xC3\xA9");
    CHECK(mime::to_utf8("caf\xE9!", "UTF-8") == "caf\xEF\xBF\xBD!");            // invalid byte: U+FFFD
    CHECK(mime::to_utf8("caf\xC3\xA9", "x-unknown") == "caf\xC3\xA9");          // unknown, valid UTF-8: kept
    CHECK(mime::to_utf8("caf\xE9 \x80", "x-unknown") == "caf\xC3\xA9 \xE2\x82\xAC");   // else windows-1252
    CHECK(mime::to_utf8("\x93quoted\x94", "") == "\xE2\x80\x9Cquoted\xE2\x80\x9D");
    CHECK(mime::to_utf8("\x1B$B$3$s$K$A$O\x1B(B", "iso-2022-jp") == "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF");
    // Code points past U+10FFFF that iconv lets through (a name GMime maps to UTF-8; UTF-32): U+FFFD
    // for each byte, as for any invalid sequence (found by fuzz_mime).
    CHECK(mime::to_utf8("a\xF5\xBC\x90\x91" "b", "UTF-8&") == "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b");
    CHECK(utf8::is_valid(mime::to_utf8(std::string("\x00\x11\x00\x00", 4), "UTF-32BE")));

    const auto message = mime::Message::parse(
        crlf("Subject: x\nContent-Type: text/plain; charset=x-no-such\nContent-Transfer-Encoding: 8bit\n\n\xE9t\xE9\n"));
    CHECK(message.body_text() == "\xC3\xA9t\xC3\xA9\r\n");
}

TEST_CASE("mime: header text decoding (RFC 2047)") {
    CHECK(mime::decode_header_text("=?UTF-8?Q?Ivan_Garc=C3=ADa?= <i@example.org>") == "Ivan Garc\xC3\xAD" "a <i@example.org>");
    CHECK(mime::decode_header_text("=?UTF-8?B?Wm/DqyBEdWJvaXM=?=") == "Zo\xC3\xAB Dubois");
    CHECK(mime::decode_header_text("=?ISO-8859-1?Q?caf=E9?=") == "caf\xC3\xA9");
    CHECK(mime::decode_header_text("=?UTF-8?Q?a?= =?UTF-8?Q?b?=") == "ab");        // space between words dropped
    CHECK(mime::decode_header_text("Re: =?UTF-8?Q?caf=C3=A9?= now") == "Re: caf\xC3\xA9 now");
    CHECK(mime::decode_header_text("Re:\r\n =?UTF-8?Q?x?=") == "Re: x");              // unfolded
    CHECK(mime::decode_header_text("plain") == "plain");
    CHECK(mime::decode_header_text("raw \xC3\xA9t\xC3\xA9") == "raw \xC3\xA9t\xC3\xA9");   // 8-bit UTF-8 kept
    CHECK(mime::decode_header_text("raw \xE9t\xE9") == "raw \xC3\xA9t\xC3\xA9");           // else windows-1252
    CHECK(mime::decode_header_text("=?UTF-8?Q?unterminated") == "=?UTF-8?Q?unterminated");
}

TEST_CASE("mime: dates and addresses") {
    const auto date = mime::parse_date("Mon, 23 Nov 2026 10:00:00 -0500");
    REQUIRE(date);
    CHECK(date->unix_seconds == 1795446000);
    CHECK(date->zone_minutes == -300);
    CHECK_FALSE(mime::parse_date("not a date at all"));
    const auto addresses = mime::parse_addresses("=?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>");
    REQUIRE(addresses.size() == 1);
    CHECK(addresses[0].name == "\xE5\xB1\xB1\xE7\x94\xB0\xE5\xA4\xAA\xE9\x83\x8E");   // 山田太郎
    CHECK(mime::address_text(addresses[0]) == "\xE5\xB1\xB1\xE7\x94\xB0\xE5\xA4\xAA\xE9\x83\x8E <taro@example.jp>");
    CHECK(mime::address_text({"", "a@b"}) == "a@b");
}

TEST_CASE("mime: HTML reduced to text") {
    CHECK(mime::html_to_text("<p>one</p><p>two &amp; <b>three</b></p>") == "\none\n\ntwo & three\n");
    CHECK(mime::html_to_text("<script>var x = '<p>';</script>a<!-- <p>hidden</p> -->b") == "ab");
    CHECK(mime::html_to_text("<table><tr><td>a</td><td>b</td></tr></table>") == "\n\na b\n\n");
    CHECK(mime::html_to_text("&#233;&#xE9;&bogus; &lt;x&gt;") == "\xC3\xA9\xC3\xA9&bogus; <x>");
}

TEST_CASE("mime: text for the search index holds headers and every text part") {
    const std::string text = mime::text_for_search(test::mixed_with_three_attachments());
    for (const char* term : {"Ren\xC3\xA9 Dupont", "rene@example.org", "Rapport trimestriel", "trois fichiers",
                             "dan@example.org", "Dan, D.", "caf\xC3\xA9"})
        CHECK(text.find(term) != std::string::npos);
    CHECK(text.find("PNG") == std::string::npos);          // binary attachments are not text
    const std::string html = mime::text_for_search(test::alternative());
    CHECK(html.find("offert & merci") != std::string::npos);
    CHECK(html.find("p{}") == std::string::npos);          // style is not text
    const std::string nested = mime::text_for_search(test::forwarded());
    CHECK(nested.find("Inner \xC3\xA9t\xC3\xA9") != std::string::npos);   // enclosed message's subject
    CHECK(nested.find("inner text") != std::string::npos);
    CHECK(nested.find("just a note") != std::string::npos);
    // From a file: the same text.
    const auto file = std::filesystem::temp_directory_path() / ("mailsync-mime-" + std::to_string(::getpid()) + ".eml");
    std::ofstream(file, std::ios::binary) << test::forwarded();
    CHECK(mime::text_for_search_file(file) == nested);
    CHECK(mime::Message::open(file).part_bytes("2.2") == std::string("\xDE\xAD\xBE\xEF"));
    std::filesystem::remove(file);
    CHECK_THROWS_AS(mime::text_for_search_file(file), Error);
    mime::Limits small;
    small.max_text_bytes = 10;
    CHECK(mime::text_for_search(test::alternative(), small).size() <= 10);
}

TEST_CASE("mime: hostile structures are bounded") {
    SECTION("multiparts nested 20000 deep") {
        std::string raw = "Subject: deep\r\n";
        for (int i = 0; i < 20000; ++i) raw += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
        raw += "Content-Type: text/plain\r\n\r\nleaf\r\n";
        const auto message = mime::Message::parse(raw);
        CHECK(message.headers().subject == "deep");
        CHECK(message.structure_cut());
        CHECK(message.parts().size() <= 1000);
    }
    SECTION("message/rfc822 nested 20000 deep") {
        std::string raw;
        for (int i = 0; i < 20000; ++i) raw += "Subject: level\r\nContent-Type: message/rfc822\r\n\r\n";
        raw += "Subject: bottom\r\n\r\nleaf\r\n";
        const auto message = mime::Message::parse(raw);
        CHECK(message.headers().subject == "level");
        CHECK(message.parts().size() <= 40);
        CHECK(message.structure_cut());
        CHECK(mime::text_for_search(raw).find("level") != std::string::npos);
    }
    SECTION("2000 parts: the first 1000 are listed") {
        std::string raw = "Subject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
        for (int i = 0; i < 2000; ++i) raw += "--b\r\nContent-Type: text/plain\r\n\r\npart " + std::to_string(i) + "\r\n";
        raw += "--b--\r\n";
        const auto message = mime::Message::parse(raw);
        CHECK(message.parts().size() == 1000);
        CHECK(message.parts().back().section == "1000");
        CHECK(message.structure_cut());
    }
    SECTION("more boundary lines than the limit: headers only") {
        std::string raw = "Subject: lines\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
        for (int i = 0; i < 10001; ++i) raw += "--b\r\n\r\nx\r\n";
        const auto message = mime::Message::parse(raw);
        CHECK(message.headers().subject == "lines");
        CHECK(message.parts().empty());
        CHECK(message.structure_cut());
    }
    SECTION("boundary lines are counted wherever they fall, in memory and read from a file in chunks") {
        // Three lines start with "--" (the first line, one after LF alone, one whose "--" straddles
        // the 64 kB chunks open() reads); "-x", " --", "a--" and a lone "-" do not count.
        std::string raw = "--first line\r\nSubject: lines\r\n\r\n-x\r\n --\r\na--\r\n-\r\n\n--two\n";
        raw += std::string(64 * 1024 - 2 - raw.size(), 'y') + "\n-";
        REQUIRE(raw.size() == 64 * 1024);
        raw += "-three\r\nend\r\n";
        const auto file = std::filesystem::temp_directory_path() / "mailsync-test-boundary-lines.eml";
        std::ofstream(file, std::ios::binary) << raw;
        mime::Limits three, two;
        three.max_boundary_lines = 3;
        two.max_boundary_lines = 2;
        CHECK_FALSE(mime::Message::parse(raw, three).structure_cut());
        CHECK(mime::Message::parse(raw, two).structure_cut());
        CHECK_FALSE(mime::Message::open(file, three).structure_cut());
        CHECK(mime::Message::open(file, two).structure_cut());
        std::filesystem::remove(file);
    }
    SECTION("garbage and empty input") {
        CHECK(mime::Message::parse("").parts().size() <= 1);
        const std::string garbage("\0\xFF\r\n--\r\n=?x?Q?\r\n\r\n\xC3", 14);
        CHECK_NOTHROW(mime::text_for_search(garbage));
        CHECK_NOTHROW(mime::Message::parse(garbage).body_text());
    }
}

TEST_CASE("mime: mutated real-world messages are read without a crash") {
    // Deterministic mutations (bytes replaced, cut, lines duplicated) of every sample; run under
    // ASan/UBSan in the sanitizer step, so a read past a buffer fails there.
    std::mt19937 random(13);
    std::size_t parsed = 0;
    for (const std::string& sample : {test::mixed_with_three_attachments(), test::alternative(), test::forwarded(),
                                      test::continued_file_names()}) {
        for (int round = 0; round < 150; ++round) {
            std::string raw = sample;
            const int edits = 1 + static_cast<int>(random() % 8);
            for (int e = 0; e < edits; ++e) {
                const std::size_t at = random() % raw.size();
                switch (random() % 4) {
                    case 0: raw[at] = static_cast<char>(random() % 256); break;
                    case 1: raw.resize(at); break;
                    case 2: raw.insert(at, raw.substr(at, random() % 200)); break;
                    default: raw.insert(at, random() % 2 ? "=?UTF-8?B?" : "\r\n--outer-boundary\r\n"); break;
                }
                if (raw.empty()) raw = "x";
            }
            const auto message = mime::Message::parse(raw);
            for (const auto& part : message.parts()) {
                CHECK(message.part_bytes(part.section).has_value());
                CHECK(utf8::is_valid(message.part_text(part.section).value_or("")));
            }
            CHECK(utf8::is_valid(mime::text_for_search(raw)));
            CHECK(utf8::is_valid(message.headers().subject));
            ++parsed;
        }
    }
    CHECK(parsed == 600);
}

// BODYSTRUCTURE (headers first): what Dovecot 2.3 answers for the samples above, read into the
// parts a parse of the whole message lists.
namespace {

struct StructureSample {
    const char* name;
    std::string message;
    const char* body_structure;
};

std::vector<StructureSample> structure_samples() {
    return {
        {"mixed with three attachments", test::mixed_with_three_attachments(),
         R"((("text" "plain" ("charset" "UTF-8") NIL NIL "quoted-printable" 58 2 NIL NIL NIL NIL)("application" "pdf" ("name" "report.pdf") NIL NIL "base64" 352 NIL ("attachment" ("filename" "report.pdf")) NIL NIL)("text" "csv" ("charset" "ISO-8859-1") NIL NIL "quoted-printable" 21 1 NIL ("attachment" ("filename*" "UTF-8''r%C3%A9sum%C3%A9.csv")) NIL NIL)("image" "png" ("name" "=?UTF-8?B?w6l0w6kucG5n?=") NIL NIL "base64" 12 NIL ("attachment" NIL) NIL NIL) "mixed" ("boundary" "outer-boundary") NIL NIL NIL))"},
        {"alternative", test::alternative(),
         R"((("text" "plain" ("charset" "ISO-8859-1") NIL NIL "quoted-printable" 17 0 NIL NIL NIL NIL)("text" "html" ("charset" "UTF-8") NIL NIL "base64" 134 1 NIL NIL NIL NIL) "alternative" ("boundary" "alt") NIL NIL NIL))"},
        {"forwarded", test::forwarded(),
         R"((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 27 0 NIL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 319 (NIL "=?UTF-8?B?SW5uZXIgw6l0w6k=?=" ((NIL NIL "carol" "example.org")) ((NIL NIL "carol" "example.org")) ((NIL NIL "carol" "example.org")) NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "UTF-8") NIL NIL "7bit" 10 0 NIL NIL NIL NIL)("application" "octet-stream" ("name" "inner.bin") NIL NIL "base64" 8 NIL NIL NIL NIL) "mixed" ("boundary" "inner") NIL NIL NIL) 15 NIL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 51 (NIL "note" ((NIL NIL "dan" "example.org")) ((NIL NIL "dan" "example.org")) ((NIL NIL "dan" "example.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 11 0 NIL NIL NIL NIL) 3 NIL ("attachment" ("filename" "note.eml")) NIL NIL) "mixed" ("boundary" "fwd") NIL NIL NIL))"},
        {"continued file names", test::continued_file_names(),
         R"((("text" "plain" ("charset" "UTF-8") NIL NIL "7bit" 7 0 NIL ("attachment" ("filename*" "UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.txt")) NIL NIL)("application" "pdf" NIL NIL NIL "7bit" 4 NIL ("attachment" ("filename" "a very long file name.pdf")) NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL))"},
    };
}

}  // namespace

TEST_CASE("mime: a BODYSTRUCTURE lists the parts a parse of the whole message lists") {
    for (const auto& sample : structure_samples()) {
        INFO(sample.name);
        const auto parsed = mime::Message::parse(sample.message);
        const auto structure = mime::parse_body_structure(sample.body_structure);
        REQUIRE(structure.valid);
        CHECK_FALSE(structure.cut);
        REQUIRE(structure.parts.size() == parsed.parts().size());
        for (std::size_t i = 0; i < structure.parts.size(); ++i) {
            const auto& from_structure = structure.parts[i];
            const auto& from_message = parsed.parts()[i];
            INFO("part " << from_message.section);
            CHECK(from_structure.section == from_message.section);
            CHECK(from_structure.content_type == from_message.content_type);
            CHECK(from_structure.file_name == from_message.file_name);
            // A server names the default charset (RFC 2045: us-ascii) where the message names none.
            const std::string declared = from_message.charset.empty() && from_message.content_type.starts_with("text/")
                                             ? "us-ascii" : ascii::to_lower(from_message.charset);
            CHECK(ascii::to_lower(from_structure.charset) == declared);
            CHECK(from_structure.attachment == from_message.attachment);
            CHECK(from_structure.body_text == from_message.body_text);
            CHECK(from_structure.enclosed == from_message.enclosed);
            // The server gives the encoded size: within a tenth (and a line end) of the decoded one.
            const auto difference = from_structure.size > from_message.size ? from_structure.size - from_message.size
                                                                            : from_message.size - from_structure.size;
            CHECK(difference <= from_message.size / 10 + 2);
        }
    }
}

TEST_CASE("mime: a BODYSTRUCTURE's literals, RFC 2231 continuations and a single part") {
    // A quoted string with escapes, a literal, a name continued over two parameters.
    const auto structure = mime::parse_body_structure(
        "(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" {9}\r\nq\"uo\\te.x) NIL NIL \"BASE64\" 780 NIL "
        "(\"ATTACHMENT\" (\"FILENAME*0*\" \"utf-8''%E6%97%A5\" \"FILENAME*1\" \" part.bin\")) NIL NIL)");
    REQUIRE(structure.valid);
    REQUIRE(structure.parts.size() == 1);
    CHECK(structure.parts[0].section == "1");
    CHECK(structure.parts[0].content_type == "application/octet-stream");
    CHECK(structure.parts[0].file_name == "\xE6\x97\xA5 part.bin");
    CHECK(structure.parts[0].attachment);
    CHECK(structure.parts[0].size == 570);   // 10 lines of 76 base64 characters
    const auto named = mime::parse_body_structure(
        "(\"TEXT\" \"PLAIN\" (\"NAME\" \"q\\\"uo\\\\te.x\") NIL NIL \"7BIT\" 5 1)");
    REQUIRE(named.valid);
    CHECK(named.parts[0].file_name == "q\"uo\\te.x");
    CHECK_FALSE(named.parts[0].attachment);
    CHECK(named.parts[0].body_text);   // a named text part without a disposition is still the text
}

TEST_CASE("mime: hostile BODYSTRUCTUREs give no parts or a cut list, never a crash") {
    for (const std::string& wire : {std::string(), std::string("NIL"), std::string("("), std::string("(\"text\" \"plain\""),
                                   std::string("(\"text\" \"plain\" NIL NIL NIL \"7bit\" many 1)"),
                                   std::string("(\"text\" \"plain\" NIL NIL NIL \"7bit\" {99999}\r\nab 1)"),
                                   std::string("(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 10 NIL NIL 1)"),
                                   std::string("((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1) \"mixed\") trailing"),
                                   std::string(100000, '('), std::string("\"unterminated")}) {
        INFO(wire.substr(0, 80));
        const auto structure = mime::parse_body_structure(wire);
        CHECK_FALSE(structure.valid);
        CHECK(structure.parts.empty());
    }
    // Many parts: the list stops at the limit and says so.
    std::string many = "(";
    for (int i = 0; i < 50; ++i) many += "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)";
    many += " \"mixed\")";
    mime::Limits limits;
    limits.max_parts = 10;
    const auto cut = mime::parse_body_structure(many, limits);
    CHECK(cut.valid);
    CHECK(cut.cut);
    CHECK(cut.parts.size() == 10);
    CHECK(mime::parse_body_structure(many).parts.size() == 50);
}

TEST_CASE("mime: mutated BODYSTRUCTUREs are read without a crash") {
    // As above, on the server's text: run under ASan/UBSan in the sanitizer step.
    std::mt19937 random(17);
    std::size_t valid = 0, rounds = 0;
    mime::Limits limits;
    limits.max_parts = 8;
    for (const auto& sample : structure_samples()) {
        for (int round = 0; round < 2000; ++round, ++rounds) {
            std::string wire = sample.body_structure;
            const int edits = 1 + static_cast<int>(random() % 6);
            for (int e = 0; e < edits && !wire.empty(); ++e) {
                const std::size_t at = random() % wire.size();
                switch (random() % 5) {
                    case 0: wire[at] = "()\" \\{}0123NIL*'%"[random() % 17]; break;
                    case 1: wire.resize(at); break;
                    case 2: wire.insert(at, wire.substr(at, random() % 120)); break;
                    case 3: wire.insert(at, random() % 2 ? "{4}\r\n" : "{999999999999999999999}"); break;
                    default: wire.erase(at, random() % 20); break;
                }
            }
            const auto structure = mime::parse_body_structure(wire, limits);
            CHECK(structure.parts.size() <= limits.max_parts);
            if (!structure.valid) CHECK(structure.parts.empty());
            for (const auto& part : structure.parts) CHECK(utf8::is_valid(part.file_name));
            valid += structure.valid ? 1 : 0;
        }
    }
    CHECK(rounds == 8000);
    CHECK(valid > 0);   // some mutations keep it a BODYSTRUCTURE
}

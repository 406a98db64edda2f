// How `show` and `list` lay text out for a person: a parsed message's headers, text and other
// parts; columns measured by display width; nothing from a message can drive the terminal.
#include <catch2/catch.hpp>

#include "cli/columns.hpp"
#include "cli/message_view.hpp"
#include "tests/unit/mime_samples.hpp"

using namespace mailsync;

TEST_CASE("show: a simple message prints its headers and text, and no part list") {
    const auto message = mime::Message::parse(test::crlf(
        "From: =?UTF-8?Q?Ivan_Garc=C3=ADa?= <i@example.org>\nTo: b@example.org\nSubject: hello\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0000\n\nline one\nline two\n"));
    CHECK(cli::message_text(message) ==
          "From: Ivan Garc\xC3\xAD" "a <i@example.org>\nTo: b@example.org\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n"
          "Subject: hello\n\nline one\nline two\n");
}

TEST_CASE("show: the other parts are listed with section, type, file name and size") {
    const std::string text = cli::message_text(mime::Message::parse(test::mixed_with_three_attachments()));
    INFO(text);
    CHECK(text.find("\nle rapport est joint \xE2\x80\x94 trois fichiers.\n\nParts (") != std::string::npos);
    CHECK(text.find("  2  application/pdf  report.pdf   256B\n") != std::string::npos);
    CHECK(text.find("  3  text/csv         r\xC3\xA9sum\xC3\xA9.csv    19B\n") != std::string::npos);
    CHECK(text.find("  4  image/png        \xC3\xA9t\xC3\xA9.png        8B\n") != std::string::npos);
    CHECK(text.find("  1  ") == std::string::npos);   // the body text is not listed again
}

TEST_CASE("show --json: headers, addresses, text and every part") {
    const std::string json = cli::message_json(mime::Message::parse(test::forwarded()), 7, "INBOX");
    CHECK(json.find(R"("id":7,"mailbox":"INBOX")") != std::string::npos);
    CHECK(json.find(R"("subject":"Fwd: two messages")") != std::string::npos);
    CHECK(json.find(R"("addresses":{"from":[{"name":"","address":"ann@example.org"}])") != std::string::npos);
    CHECK(json.find(R"("date":"2026-12-03T10:00:00Z")") != std::string::npos);
    CHECK(json.find(R"("text":"See the two messages below.")") != std::string::npos);
    CHECK(json.find(R"({"section":"2.2","type":"application/octet-stream","file_name":"inner.bin","charset":null,"size":4,"attachment":false,"body_text":false})") != std::string::npos);
    CHECK(json.find(R"("structure_cut":false)") != std::string::npos);
}

TEST_CASE("a message shown as text cannot drive the terminal") {
    const auto message = mime::Message::parse(std::string("From: =?UTF-8?Q?Eve=1B]0;PWNED=07?= <e@example.org>\r\n"
                                                          "Subject: \x1b[31mRED\x1b[2J\r\n"
                                                          "\r\n"
                                                          "first line\r\n\tindented\x1b[2J") +
                                              '\0' + "end\r\n");
    const std::string text = cli::message_text(message);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find('\x07') == std::string::npos);
    CHECK(text.find('\0') == std::string::npos);
    CHECK(text.find("From: Eve\\x1B]0;PWNED\\x07 <e@example.org>\n") != std::string::npos);
    CHECK(text.find("Subject: \\x1B[31mRED\\x1B[2J\n") != std::string::npos);
    CHECK(text.find("first line\n\tindented\\x1B[2J\\x00end\n") != std::string::npos);
}

TEST_CASE("columns: display width counts CJK as two columns and cuts with an ellipsis") {
    CHECK(cli::display_width("abc") == 3);
    CHECK(cli::display_width("\xE5\xB1\xB1\xE7\x94\xB0") == 4);            // 山田
    CHECK(cli::display_width("e\xCC\x81") == 1);                           // e + combining acute
    CHECK(cli::cut_to_width("\xE5\xB1\xB1\xE7\x94\xB0\xE5\xA4\xAA\xE9\x83\x8E", 5) == "\xE5\xB1\xB1\xE7\x94\xB0\xE2\x80\xA6");
    CHECK(cli::cut_to_width("short", 5) == "short");
    CHECK(cli::cut_to_width("longer", 5) == "long\xE2\x80\xA6");
    CHECK(cli::fit_to_width("\xE5\xB1\xB1", 4) == "\xE5\xB1\xB1  ");
    CHECK(cli::display_width(cli::fit_to_width("\xE5\xB1\xB1\xE7\x94\xB0\xE5\xA4\xAA", 5)) == 5);   // 山田… + nothing
    CHECK(cli::human_size(512) == "512B");
    CHECK(cli::human_size(4200) == "4.1K");
    CHECK(cli::human_size(50'000) == "49K");
    CHECK(cli::human_size(3'200'000) == "3.1M");
}

// Reading mail through the built program against the fixture's Dovecot: `show` lists a message's
// parts and writes one byte for byte (--part N -o FILE), `show --json`; `list` fits 80 columns by
// display width with CJK names, its filters and --wide/--json; INBOX in any case.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "cli/columns.hpp"
#include "tests/integration/cli_test_support.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/unit/mime_samples.hpp"

using namespace mailsync;
using namespace mailsync::test;

namespace {

std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// id of the message with this subject, from `list --json`.
std::string id_with_subject(const Cli& cli, const std::string& subject) {
    const Run list = cli.run("--json list INBOX");
    REQUIRE(list.code == 0);
    for (const auto& message : YAML::Load(list.out))
        if (message["subject"].as<std::string>() == subject) return message["id"].as<std::string>();
    FAIL("no message with subject " << subject);
    return {};
}

std::string message(const std::string& from, const std::string& subject, const std::string& date) {
    return crlf("From: " + from + "\nTo: me@example.org\nSubject: " + subject + "\nDate: " + date +
                "\nMessage-ID: <" + std::to_string(std::hash<std::string>{}(subject)) + "@reading.test>\n\nbody\n");
}

}  // namespace

TEST_CASE("cli: show lists a message's parts and --part writes one byte for byte") {
    const auto user = unique_user("show_parts");
    seed(user.name, "INBOX", mixed_with_three_attachments());
    seed(user.name, "INBOX", forwarded());
    Cli cli(user, DovecotFixture::get().imap_port);
    REQUIRE(cli.run("sync").code == 0);
    const std::string report = id_with_subject(cli, "Rapport trimestriel \xE2\x80\x93 Q3");

    const Run text = cli.run("show inbox " + report);   // INBOX in any case
    REQUIRE(text.code == 0);
    CHECK(text.out.find("Subject: Rapport trimestriel \xE2\x80\x93 Q3\n") != std::string::npos);
    CHECK(text.out.find("le rapport est joint") != std::string::npos);
    CHECK(text.out.find("  2  application/pdf  report.pdf") != std::string::npos);
    CHECK(text.out.find("  3  text/csv         r\xC3\xA9sum\xC3\xA9.csv") != std::string::npos);

    const auto saved = cli.directory() / "report.pdf";
    REQUIRE(cli.run("show INBOX " + report + " --part 2 -o " + saved.string()).code == 0);
    CHECK(file_bytes(saved) == all_bytes());
    // An existing file is refused (73) and left alone; --force replaces it.
    std::ofstream(saved, std::ios::binary | std::ios::trunc) << "keep me";
    CHECK(cli.run("show INBOX " + report + " --part 3 -o " + saved.string()).code == 73);
    CHECK(cli.stderr_text().find("--force") != std::string::npos);
    CHECK(file_bytes(saved) == "keep me");
    REQUIRE(cli.run("show INBOX " + report + " --part 3 -o " + saved.string() + " --force").code == 0);
    CHECK(file_bytes(saved) == "pays;caf\xE9\r\nFrance;1");
    // To stdout without -o; an unknown part is bad input (65) naming the parts there are.
    CHECK(cli.run("show INBOX " + report + " --part 4").out == std::string("\x89PNG\r\n\x1A\n"));
    CHECK(cli.run("show INBOX " + report + " --part 7").code == 65);
    CHECK(cli.stderr_text().find("1, 2, 3, 4") != std::string::npos);
    CHECK(cli.run("show INBOX " + report + " -o " + saved.string()).code == 64);   // -o needs --part

    const Run json = cli.run("--json show INBOX " + report);
    REQUIRE(json.code == 0);
    const YAML::Node document = YAML::Load(json.out);
    CHECK(document["headers"]["from"].as<std::string>() == "Ren\xC3\xA9 Dupont <rene@example.org>");
    CHECK(document["addresses"]["to"][1]["address"].as<std::string>() == "bob@example.org");
    CHECK(document["text"].as<std::string>().find("trois fichiers") != std::string::npos);
    REQUIRE(document["parts"].size() == 4);
    CHECK(document["parts"][0]["body_text"].as<bool>());
    CHECK(document["parts"][1]["file_name"].as<std::string>() == "report.pdf");
    CHECK(document["parts"][1]["size"].as<int>() == 256);
    CHECK(document["parts"][3]["file_name"].as<std::string>() == "\xC3\xA9t\xC3\xA9.png");

    // A forwarded message: its enclosed message and the parts inside it, by IMAP section.
    const std::string forward = id_with_subject(cli, "Fwd: two messages");
    const auto inner = cli.directory() / "inner.bin";
    REQUIRE(cli.run("show INBOX " + forward + " --part 2.2 -o " + inner.string()).code == 0);
    CHECK(file_bytes(inner) == std::string("\xDE\xAD\xBE\xEF"));
    const auto note = cli.directory() / "note.eml";
    REQUIRE(cli.run("show INBOX " + forward + " --part 3 -o " + note.string()).code == 0);
    CHECK(file_bytes(note) == crlf("From: dan@example.org\nSubject: note\n\njust a note"));
    // --raw is unchanged: the exact bytes.
    CHECK(cli.run("show INBOX " + forward + " --raw").out == forwarded());
}

TEST_CASE("cli: list fits the width with CJK names, filters, and takes INBOX in any case") {
    const auto user = unique_user("list_width");
    const std::string long_subject = "A subject long enough that it can never fit in what is left of an 80-column line";
    seed(user.name, "INBOX", message("=?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>",   // 山田太郎
                                     "=?UTF-8?B?5Lya6K2w44Gu6LOH5paZ?=", "Mon, 23 Nov 2026 10:00:00 +0900"),
         {"\\Seen"});
    seed(user.name, "INBOX", message("Ann Example <ann@example.org>", long_subject, "Tue, 24 Nov 2026 08:15:00 +0000"),
         {"\\Flagged"});
    seed(user.name, "INBOX", message("=?UTF-8?B?5p2O5bCP6b6Z?= <li@example.cn>",   // 李小龙
                                     "=?UTF-8?B?5YWz5LqO5piO5aSp55qE5Lya6K6u55qE5LiA5Liq6Z2e5bi46ZW/55qE5Li76aKY?=",
                                     "Wed, 25 Nov 2026 23:59:00 -0500"),
         {"\\Seen", "\\Flagged"});
    seed(user.name, "INBOX", message("plain@example.org", "short", "Fri, 27 Nov 2026 12:00:00 +0000"));
    Cli cli(user, DovecotFixture::get().imap_port);
    REQUIRE(cli.run("sync").code == 0);

    ::setenv("COLUMNS", "80", 1);   // stdout is a pipe: $COLUMNS is the width
    const Run list = cli.run("list inbox");
    REQUIRE(list.code == 0);
    const auto lines = lines_of(list.out);
    REQUIRE(lines.size() == 4);
    INFO(list.out);
    std::size_t subject_column = 0;
    for (const auto& line : lines) {
        INFO(line);
        CHECK(cli::display_width(line) <= 80);
        // The subject starts at the same display column on every line, whatever the names' script.
        const auto subject_at = line.rfind("  ") + 2;
        if (subject_column == 0) subject_column = cli::display_width(line.substr(0, subject_at));
        CHECK(cli::display_width(line.substr(0, subject_at)) == subject_column);
    }
    CHECK(lines[0].find("\xE5\xB1\xB1\xE7\x94\xB0\xE5\xA4\xAA\xE9\x83\x8E") != std::string::npos);   // 山田太郎
    CHECK(lines[0].find("2026-11-23 10:00") != std::string::npos);    // the Date header, in its zone
    CHECK(lines[1].find("\xE2\x80\xA6") != std::string::npos);       // the long subject cut with "…"
    CHECK(lines[1].find("A subject long") != std::string::npos);
    CHECK(lines[1].find(" NF ") != std::string::npos);   // unseen and flagged
    CHECK(lines[3].find(" N  ") != std::string::npos);
    CHECK(lines[0].find(" N") == std::string::npos);     // seen

    ::setenv("COLUMNS", "200", 1);
    CHECK(cli.run("list INBOX").out.find(long_subject) != std::string::npos);
    ::setenv("COLUMNS", "80", 1);
    const Run wide = cli.run("list INBOX --wide");
    CHECK(wide.out.find("<taro@example.jp>") != std::string::npos);
    CHECK(wide.out.find(long_subject) != std::string::npos);
    CHECK(wide.out.find("\\Flagged") != std::string::npos);
    ::unsetenv("COLUMNS");

    const auto subjects = [&](const std::string& options) {
        const Run run = cli.run("--json list InBoX " + options);
        REQUIRE(run.code == 0);
        std::vector<std::string> found;
        for (const auto& entry : YAML::Load(run.out)) found.push_back(entry["from_address"].as<std::string>());
        return found;
    };
    using Names = std::vector<std::string>;
    CHECK(subjects("") == Names{"taro@example.jp", "ann@example.org", "li@example.cn", "plain@example.org"});
    CHECK(subjects("--unseen") == Names{"ann@example.org", "plain@example.org"});
    CHECK(subjects("--flagged") == Names{"ann@example.org", "li@example.cn"});
    CHECK(subjects("--from TARO") == Names{"taro@example.jp"});
    CHECK(subjects("--from \xE6\x9D\x8E") == Names{"li@example.cn"});           // 李: the decoded name
    CHECK(subjects("--since 2026-11-25") == Names{"li@example.cn", "plain@example.org"});
    CHECK(subjects("--since 2026-11-24T09:00:00+01:00") == Names{"ann@example.org", "li@example.cn", "plain@example.org"});
    CHECK(subjects("--limit 2") == Names{"li@example.cn", "plain@example.org"});
    CHECK(subjects("--flagged --limit 1") == Names{"li@example.cn"});
    CHECK(cli.run("list INBOX --since yesterday").code == 65);
    CHECK(cli.run("list INBOX --limit 0").code == 64);

    const Run json = cli.run("--json list INBOX");
    const YAML::Node first = YAML::Load(json.out)[0];
    for (const char* field : {"id", "uid", "mailbox", "flags", "date", "size", "from", "subject", "message_id",
                              "internaldate", "header_date", "from_address", "from_name"})
        CHECK(first[field].IsDefined());
    CHECK(first["header_date"].as<std::string>() == "2026-11-23T10:00:00+09:00");
    CHECK(first["from"].as<std::string>() == "\xE5\xB1\xB1\xE7\x94\xB0\xE5\xA4\xAA\xE9\x83\x8E <taro@example.jp>");
    CHECK(first["from_name"].as<std::string>() == "\xE5\xB1\xB1\xE7\x94\xB0\xE5\xA4\xAA\xE9\x83\x8E");
    CHECK(first["mailbox"].as<std::string>() == "INBOX");
    CHECK(first["internaldate"].as<std::string>() == first["date"].as<std::string>());   // the contract's date
    CHECK(first["internaldate"].as<std::string>() != first["header_date"].as<std::string>());

    // INBOX in any case for the other commands too.
    CHECK(cli.run("flag inbox " + first["id"].as<std::string>() + " +flagged").code == 0);
    CHECK(subjects("--flagged") == Names{"taro@example.jp", "ann@example.org", "li@example.cn"});
    CHECK(cli.run("sync Inbox").code == 0);
    CHECK(status(user.name, "INBOX").messages == 4);
}

// `mailsync search --server` through the program: the server answers (UID SEARCH), the matches the
// mirror holds come back with their ids, the others (arrived since the sync, or in a mailbox the
// account does not mirror) under "on the server only" with a null id; a UTF-8 term is sent with
// CHARSET UTF-8; a query the server cannot be asked exits 64. With Dovecot's own capabilities
// (ESEARCH) and with IMAP4rev1 only (plain SEARCH).
#include <catch2/catch.hpp>

#include <set>

#include <yaml-cpp/yaml.h>

#include "tests/integration/cli_test_support.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/masked_dovecot.hpp"

using namespace mailsync;
using namespace mailsync::test;

namespace {

std::string message(const std::string& from, const std::string& subject, const std::string& body) {
    return "From: " + from + "\r\nTo: team@example.org\r\nSubject: " + subject + "\r\nMessage-ID: <" +
           std::to_string(std::hash<std::string>{}(subject)) + "@server-search.mailsync.test>\r\n"
           "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body + "\r\n";
}

struct Found {
    std::set<std::string> mirrored, server_only;   // subjects
};

Found search_server(const Cli& cli, const std::string& query) {
    const Run run = cli.run("--json search --server " + query);
    INFO(query << ": " << cli.stderr_text());
    REQUIRE(run.code == 0);
    Found found;
    for (const auto& row : YAML::Load(run.out)) {
        const auto subject = row["subject"].as<std::string>();
        if (row["id"].IsNull()) found.server_only.insert(subject);
        else found.mirrored.insert(subject);
        CHECK(row["uid"].as<std::uint32_t>() > 0);
    }
    return found;
}

void check_server_search(std::uint16_t port) {
    const auto user = unique_user("search_server");
    seed(user.name, "INBOX", message("Alice <alice@example.org>", "Invoice 1", "Please pay."));
    seed(user.name, "INBOX", message("Bob <bob@example.org>", "Caf\xc3\xa9 menu", "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e today"),
         {"\\Seen"});
    seed(user.name, "Archive", message("Alice <alice@example.org>", "Invoice 0", "Paid, thanks."));
    const Cli cli(user, port, "    mailboxes: [\"*\", \"!Archive\"]\n");
    REQUIRE(cli.run("sync").code == 0);
    seed(user.name, "INBOX", message("Alice <alice@example.org>", "Invoice 2", "Reminder."));   // after the sync

    Found alice = search_server(cli, "from:alice");
    CHECK(alice.mirrored == std::set<std::string>{"Invoice 1"});
    CHECK(alice.server_only == std::set<std::string>{"Invoice 2"});

    // A mailbox the account does not mirror, named in the query.
    alice = search_server(cli, "mailbox:Archive invoice");
    CHECK(alice.mirrored.empty());
    CHECK(alice.server_only == std::set<std::string>{"Invoice 0"});

    // 8-bit terms (CHARSET UTF-8), in the body and in the subject, and the operators.
    CHECK(search_server(cli, "cr\xc3\xa8me").mirrored == std::set<std::string>{"Caf\xc3\xa9 menu"});
    CHECK(search_server(cli, "subject:caf\xc3\xa9 flag:seen").mirrored == std::set<std::string>{"Caf\xc3\xa9 menu"});
    CHECK(search_server(cli, "subject:caf\xc3\xa9 not flag:seen").mirrored.empty());
    const Found either = search_server(cli, "from:bob or 'subject:\"invoice 2\"'");
    CHECK(either.mirrored == std::set<std::string>{"Caf\xc3\xa9 menu"});
    CHECK(either.server_only == std::set<std::string>{"Invoice 2"});

    // Text: the on-the-server-only rows under their own heading, by UID.
    const Run text = cli.run("search --server from:alice");
    REQUIRE(text.code == 0);
    CHECK(text.out.find("INBOX:\n") != std::string::npos);
    CHECK(text.out.find("INBOX, on the server only") != std::string::npos);

    const Run refused = cli.run("search --server has:attachment");
    CHECK(refused.code == 64);
    CHECK(cli.stderr_text().find("has:attachment cannot be asked of an IMAP server") != std::string::npos);
}

}  // namespace

TEST_CASE("cli search --server: the server's answer, mirrored or not") {
    check_server_search(DovecotFixture::get().imap_port);
}

TEST_CASE("cli search --server: a server of IMAP4rev1 only (plain SEARCH, no ESEARCH)") {
    const MaskedDovecot bare(capabilities_bare);   // first: the helpers below speak to it
    check_server_search(DovecotFixture::get().imap_port);
}

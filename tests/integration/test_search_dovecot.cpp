// `mailsync search` through the program against the fixture's Dovecot: each operator on known
// mail, non-ASCII and CJK words, a message appended offline found at once, an expunge and a move
// on the server reflected after the next sync, an index the store moved past (a crash between
// the two commits) caught up before answering, and the errors of a bad query.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include <yaml-cpp/yaml.h>

#include "store/store.hpp"
#include "tests/integration/cli_test_support.hpp"
#include "tests/integration/pull_test_support.hpp"

using namespace mailsync;
using namespace mailsync::test;

namespace {

std::string message(const std::string& from, const std::string& subject, const std::string& body,
                    const std::string& date = "Mon, 23 Nov 2026 10:00:00 +0000", const std::string& extra = "") {
    return "From: " + from + "\r\nTo: Team <team@example.org>\r\nSubject: " + subject + "\r\nMessage-ID: <" +
           std::to_string(std::hash<std::string>{}(subject + body)) + "@search.mailsync.test>\r\nDate: " + date +
           "\r\nMIME-Version: 1.0\r\n" + extra + "\r\n" + body + "\r\n";
}

// The headers of a UTF-8 text body sent as it is.
const std::string utf8_text = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n";

// The subjects `search QUERY` finds, in the order printed (newest first).
std::vector<std::string> subjects(const Cli& cli, const std::string& query) {
    const Run run = cli.run("--json search " + query);
    INFO(query << ": " << cli.stderr_text());
    REQUIRE(run.code == 0);
    std::vector<std::string> found;
    for (const auto& row : YAML::Load(run.out)) found.push_back(row["subject"].as<std::string>());
    return found;
}

using Subjects = std::vector<std::string>;

std::set<std::string> as_set(const Subjects& subjects) { return {subjects.begin(), subjects.end()}; }

}  // namespace

TEST_CASE("cli search: each operator on the fixture's mail, newest first") {
    const auto user = unique_user("search_ops");
    seed(user.name, "INBOX", message("Alice Example <alice@example.org>", "Quarterly report",
                                     "The quarterly numbers are in. Grüße aus München", "Mon, 02 Nov 2026 10:00:00 +0000",
                                     utf8_text), {"\\Seen"});
    seed(user.name, "INBOX", message("Bob <bob@example.org>", "Lunch", "日本語のメールです。 See the report later.",
                                     "Tue, 03 Nov 2026 10:00:00 +0000", utf8_text), {"\\Flagged", "$Label1"});
    seed(user.name, "Archive",
         message("Carol <carol@example.org>", "Old news",
                 "--b\r\nContent-Type: text/plain\r\n\r\nnews inside\r\n--b\r\nContent-Type: application/octet-stream\r\n"
                 "Content-Disposition: attachment; filename=x.bin\r\n\r\n" + std::string(3000, 'x') + "\r\n--b--",
                 "Wed, 05 Nov 2025 10:00:00 +0000", "Content-Type: multipart/mixed; boundary=b\r\n"),
         {"\\Seen", "\\Answered"});
    // Encoded as mail is: an RFC 2047 subject and sender, a quoted-printable Latin-1 body.
    seed(user.name, "INBOX",
         "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.org>\r\nTo: team@example.org\r\n"
         "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\r\nMessage-ID: <qp@search.mailsync.test>\r\n"
         "Date: Sun, 01 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\nSch=F6nes Wochenende am D=FCsseldorfer Rhein\r\n");
    Cli cli(user, DovecotFixture::get().imap_port);
    REQUIRE(cli.run("sync").code == 0);
    INFO(cli.stderr_text());

    // Decoded: the encoded words of the headers, the quoted-printable Latin-1 body.
    CHECK(subjects(cli, "subject:köln") == Subjects{"Grüße aus Köln"});
    CHECK(subjects(cli, "from:jürgen") == Subjects{"Grüße aus Köln"});
    CHECK(subjects(cli, "düsseldorfer") == Subjects{"Grüße aus Köln"});

    // The index was made by the sync: search needs no update of its own (nothing said on stderr).
    CHECK(subjects(cli, "report") == Subjects{"Lunch", "Quarterly report"});
    CHECK(subjects(cli, "'\"quarterly numbers\"'") == Subjects{"Quarterly report"});
    CHECK(subjects(cli, "'\"numbers quarterly\"'").empty());
    CHECK(subjects(cli, "from:alice") == Subjects{"Quarterly report"});
    CHECK(subjects(cli, "'from:\"Alice Example\"'") == Subjects{"Quarterly report"});
    CHECK(subjects(cli, "to:team").size() == 4);
    CHECK(subjects(cli, "subject:report") == Subjects{"Quarterly report"});
    CHECK(as_set(subjects(cli, "flag:seen")) == std::set<std::string>{"Quarterly report", "Old news"});
    CHECK(as_set(subjects(cli, "not flag:seen")) == std::set<std::string>{"Lunch", "Grüße aus Köln"});
    CHECK(subjects(cli, "flag:flagged") == Subjects{"Lunch"});
    CHECK(subjects(cli, "keyword:\\$Label1") == Subjects{"Lunch"});
    CHECK(subjects(cli, "mailbox:Archive") == Subjects{"Old news"});
    CHECK(subjects(cli, "mailbox:inbox").size() == 3);   // INBOX in any case
    CHECK(subjects(cli, "has:attachment") == Subjects{"Old news"});
    CHECK(subjects(cli, "larger:2k") == Subjects{"Old news"});
    CHECK(subjects(cli, "smaller:2k").size() == 3);
    CHECK(subjects(cli, "'(news or lunch) and not flag:flagged'") == Subjects{"Old news"});
    CHECK(subjects(cli, "report --mailbox Archive").empty());
    CHECK(subjects(cli, "to:team --limit 1").size() == 1);
    // Non-ASCII words and a CJK word.
    CHECK(subjects(cli, "Grüße") == Subjects{"Grüße aus Köln", "Quarterly report"});
    CHECK(subjects(cli, "grüsse").empty());
    CHECK(subjects(cli, "münchen") == Subjects{"Quarterly report"});
    CHECK(subjects(cli, "日本語") == Subjects{"Lunch"});

    // Dates are INTERNALDATEs: Dovecot's are the time of the seed, today.
    CHECK(subjects(cli, "date:2020..").size() == 4);
    CHECK(subjects(cli, "date:..2019").empty());

    // Text rows are list's rows, with the mailbox named above its rows.
    const Run text = cli.run("search lunch");
    REQUIRE(text.code == 0);
    const Run list = cli.run("list INBOX");
    std::string lunch_row;
    for (std::size_t start = 0, end; start < list.out.size(); start = end + 1) {
        end = list.out.find('\n', start);
        const std::string line = list.out.substr(start, end - start);
        if (line.find("Lunch") != std::string::npos) lunch_row = line;
    }
    REQUIRE_FALSE(lunch_row.empty());
    CHECK(text.out == "INBOX:\n" + lunch_row + "\n");
    CHECK(cli.run("search lunch --mailbox INBOX").out == lunch_row + "\n");
}

TEST_CASE("cli search: offline changes are searchable at once, server changes after the sync") {
    const auto user = unique_user("search_changes");
    const auto expunged_uid = seed(user.name, "INBOX", message("a@example.org", "Doomed", "ephemeral words"));
    const auto moved_uid = seed(user.name, "INBOX", message("b@example.org", "Traveller", "wandering words"));
    Cli cli(user, DovecotFixture::get().imap_port);
    REQUIRE(cli.run("sync").code == 0);
    CHECK(subjects(cli, "words").size() == 2);

    // Appended offline (no sync): found at once, with its flags.
    const auto file = cli.directory() / "draft.eml";
    std::ofstream(file, std::ios::binary) << message("me@example.org", "Draft reply", "offline unicorn text");
    REQUIRE(cli.run("append Drafts " + file.string() + " --flags '\\Draft'").code == 0);
    CHECK(subjects(cli, "unicorn") == Subjects{"Draft reply"});
    CHECK(subjects(cli, "flag:draft and mailbox:Drafts") == Subjects{"Draft reply"});

    // A flag changed offline.
    const Run found = cli.run("--json search unicorn");
    const std::string id = std::to_string(YAML::Load(found.out)[0]["id"].as<std::uint64_t>());
    REQUIRE(cli.run("flag Drafts " + id + " +flagged").code == 0);
    CHECK(subjects(cli, "flag:flagged") == Subjects{"Draft reply"});

    // On the server: one expunged, one moved to Archive; the sync brings both.
    expunge(user.name, "INBOX", expunged_uid);
    doveadm({"move", "-u", user.name, "Archive", "mailbox", "INBOX", "uid", std::to_string(moved_uid)});
    REQUIRE(cli.run("sync").code == 0);
    CHECK(subjects(cli, "ephemeral").empty());
    CHECK(subjects(cli, "wandering") == Subjects{"Traveller"});
    CHECK(subjects(cli, "wandering and mailbox:Archive") == Subjects{"Traveller"});
    CHECK(subjects(cli, "wandering and mailbox:INBOX").empty());
}

TEST_CASE("cli search: an index the store moved past is caught up before the answer") {
    const auto user = unique_user("search_torn");
    seed(user.name, "INBOX", message("a@example.org", "Torn", "tattered words"));
    Cli cli(user, DovecotFixture::get().imap_port);
    REQUIRE(cli.run("sync").code == 0);
    // What a kill -9 between the store's commit and the index's leaves: the mirror changed, the
    // index did not (written here straight into the store, as no command would).
    {
        auto store = store::Store::open(cli.store(), store::Access::shared);
        store.write([&](store::WriteTxn& txn) {
            const auto inbox = txn.mailbox_by_name("INBOX");
            auto record = txn.messages(inbox->id).at(0);
            record.flags = {"\\Flagged"};
            txn.put_message(record);
        });
    }
    CHECK(subjects(cli, "tattered and flag:flagged") == Subjects{"Torn"});

    // A lost index is built again from the mirror, saying so; --reindex does it on demand.
    std::filesystem::remove_all(cli.store() / "search");
    CHECK(subjects(cli, "tattered") == Subjects{"Torn"});
    CHECK(subjects(cli, "tattered --reindex") == Subjects{"Torn"});
    CHECK(cli.run("search --reindex").code == 0);
}

TEST_CASE("cli search: a bad query is a usage error, an unknown mailbox bad input") {
    const auto user = unique_user("search_errors");
    seed(user.name, "INBOX", message("a@example.org", "Anything", "words"));
    Cli cli(user, DovecotFixture::get().imap_port);
    CHECK(cli.run("search words").code == 65);   // never synced: no mirror to search
    REQUIRE(cli.run("sync").code == 0);
    CHECK(cli.run("search flag:bogus").code == 64);
    CHECK(cli.stderr_text().find("flag:bogus") != std::string::npos);
    CHECK(cli.run("search date:2026-02-30").code == 64);
    CHECK(cli.run("search").code == 64);
    CHECK(cli.run("search mailbox:Nowhere").code == 65);
    CHECK(cli.run("search words --mailbox Nowhere").code == 65);

    Cli off(user, DovecotFixture::get().imap_port, "    search: false\n");
    REQUIRE(off.run("sync").code == 0);
    CHECK_FALSE(std::filesystem::exists(off.store() / "search"));
    CHECK(off.run("search words").code == 78);
}

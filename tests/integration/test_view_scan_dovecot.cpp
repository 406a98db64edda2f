// The Maildir view's other direction, through the mailsync program against the fixture's Dovecot:
// what a mail client does to the files reaches the server exactly once (sync/view/README.md).
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <thread>

#include <yaml-cpp/yaml.h>

#include "store/body_hash.hpp"
#include "tests/integration/cli_test_support.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/files.hpp"
#include "tests/support/program.hpp"

using namespace mailsync;
using namespace mailsync::test;
namespace fs = std::filesystem;

namespace {

using Flags = std::vector<std::string>;

// The file of the message with this UID in FOLDER (cur/ or new/), named as the view names them.
fs::path file_of(const fs::path& folder, std::uint32_t uid) {
    const std::regex name(",U=" + std::to_string(uid) + ":2,");
    for (const char* part : {"cur", "new"})
        for (const auto& entry : fs::directory_iterator(folder / part))
            if (std::regex_search(entry.path().filename().string(), name)) return entry.path();
    FAIL("no file for UID " << uid << " in " << folder);
    return {};
}

// "NAME:2,INFO" with other info letters.
fs::path with_info(const fs::path& file, const std::string& info) {
    const std::string name = file.filename().string();
    return file.parent_path() / (name.substr(0, name.find(":2,") + 3) + info);
}

std::size_t file_count(const fs::path& folder) {
    std::size_t count = 0;
    for (const char* part : {"cur", "new"})
        for ([[maybe_unused]] const auto& entry : fs::directory_iterator(folder / part)) ++count;
    return count;
}

std::string sha256(const std::string& bytes) { return store::Sha256::of(bytes).hex(); }

// Messages of a server mailbox by content: SHA-256 → flags (one entry per message; a duplicate
// would show as a count above one).
std::map<std::string, std::vector<Flags>> by_content(const DovecotFixture::User& user, const std::string& mailbox) {
    std::map<std::string, std::vector<Flags>> found;
    for (const auto& [uid, message] : server_messages(user, mailbox)) found[message.sha256].push_back(message.flags);
    return found;
}

// UID → (SHA-256, flags) of each mailbox named: what "nothing changed on the server" compares.
std::map<std::string, std::map<std::uint32_t, std::pair<std::string, Flags>>> snapshot(const DovecotFixture::User& user,
                                                                                     const std::vector<std::string>& mailboxes) {
    std::map<std::string, std::map<std::uint32_t, std::pair<std::string, Flags>>> state;
    for (const auto& mailbox : mailboxes)
        for (const auto& [uid, message] : server_messages(user, mailbox)) state[mailbox][uid] = {message.sha256, message.flags};
    return state;
}

}  // namespace

TEST_CASE("view scan: flags, trash, move, copy, delete, new file and new folder reach the server exactly once") {
    const auto user = unique_user("view_scan");
    const std::string m1 = make_message("scan-1"), m2 = make_message("scan-2"), m3 = make_message("scan-3"),
                      m4 = make_message("scan-4");
    const auto u1 = seed(user.name, "INBOX", m1, {"$Label1"});
    const auto u2 = seed(user.name, "INBOX", m2);
    const auto u3 = seed(user.name, "INBOX", m3, {"\\Seen"});
    const auto u4 = seed(user.name, "INBOX", m4);
    TempDirectory home;
    const fs::path mail = home.path() / "Mail";
    Cli cli(user, DovecotFixture::get().imap_port, "    maildir: " + mail.string() + "\n");
    REQUIRE(cli.run("sync").code == 0);
    INFO(cli.stderr_text());

    // What a mail client does.
    const fs::path f1 = file_of(mail / "INBOX", u1);
    fs::rename(f1, with_info(f1, "FS"));                                        // read and flagged
    fs::rename(file_of(mail / "INBOX", u2), with_info(file_of(mail / "INBOX", u2), "T"));   // trashed (maildir_trash)
    const fs::path f3 = file_of(mail / "INBOX", u3);
    fs::rename(f3, mail / "Archive" / "cur" / f3.filename());                  // moved
    fs::remove(file_of(mail / "INBOX", u4));                                   // deleted
    fs::create_hard_link(with_info(f1, "FS"), mail / "Trash" / "cur" / with_info(f1, "FS").filename());   // copied
    const std::string draft = "From: me@example.org\nTo: you@example.org\nSubject: a draft\nMessage-ID: <draft-1@view.test>\n\nnot yet\n";
    write_file(mail / "Drafts" / "cur" / "1700000000.R42.laptop:2,DS", draft);   // a new message
    for (const char* part : {"cur", "new", "tmp"}) fs::create_directories(mail / "Projects" / part);   // a new folder
    write_file(mail / "INBOX" / "new" / "1700000001.R43.laptop", "this is not a message");   // left alone

    const Run sync = cli.run("-v --json sync");
    CHECK(sync.code == 0);
    CHECK_THAT(cli.stderr_text(), Catch::Contains("not a message"));   // the file left alone is named
    // --json says what the scan queued and what the update wrote.
    const YAML::Node view = YAML::Load(sync.out)[0]["maildir_view"];
    REQUIRE(view.IsMap());
    const YAML::Node scanned = view["scan"];
    CHECK(scanned["flags"].as<int>() == 2);
    CHECK(scanned["moves"].as<int>() == 1);
    CHECK(scanned["copies"].as<int>() == 1);
    CHECK(scanned["deletes"].as<int>() == 1);
    CHECK(scanned["appends"].as<int>() == 1);
    CHECK(scanned["folders_created"].as<int>() == 1);
    REQUIRE(scanned["problems"].size() == 1);
    CHECK_THAT(scanned["problems"][0].as<std::string>(), Catch::Contains("not a message"));
    CHECK(view["update"].IsMap());

    const auto inbox = server_messages(user, "INBOX");
    REQUIRE(inbox.size() == 2);
    CHECK(inbox.at(u1).flags == Flags{"$Label1", "\\Flagged", "\\Seen"});   // the keyword kept
    CHECK(inbox.at(u2).flags == Flags{"\\Deleted"});                        // marked, not expunged
    CHECK(by_content(user, "Archive") == std::map<std::string, std::vector<Flags>>{{sha256(m3), {{"\\Seen"}}}});
    CHECK(by_content(user, "Trash") == std::map<std::string, std::vector<Flags>>{{sha256(m1), {{"$Label1", "\\Flagged", "\\Seen"}}}});
    const auto drafts = server_messages(user, "Drafts");
    REQUIRE(drafts.size() == 1);
    CHECK(drafts.begin()->second.flags == Flags{"\\Draft", "\\Seen"});
    CHECK(drafts.begin()->second.size == draft.size() + 6);   // CRLF line ends, as APPEND needs
    CHECK(mailsync::test::status(user.name, "Projects").messages == 0);

    // The view now names every message by its UID; the draft is the stored body, linked.
    CHECK(file_count(mail / "INBOX") == 3);   // u1, u2 and the file left alone
    CHECK(file_of(mail / "Drafts", drafts.begin()->first).filename().string().ends_with(":2,DS"));
    CHECK(file_count(mail / "Archive") == 1);
    CHECK(file_count(mail / "Trash") == 1);
    CHECK(fs::exists(mail / "INBOX" / "new" / "1700000001.R43.laptop"));
    const Run status = cli.run("status");
    CHECK_THAT(status.out, Catch::Contains("left alone"));

    // Exactly once: another sync (and another) changes nothing on the server.
    const std::vector<std::string> all{"INBOX", "Archive", "Trash", "Drafts", "Projects"};
    const auto before = snapshot(user, all);
    const auto drafts_next = mailsync::test::status(user.name, "Drafts").uidnext;
    REQUIRE(cli.run("sync").code == 0);
    REQUIRE(cli.run("sync").code == 0);
    CHECK(before == snapshot(user, all));
    CHECK(drafts_next == mailsync::test::status(user.name, "Drafts").uidnext);
    CHECK(cli.run("verify").code == 0);
}

TEST_CASE("view scan: a second client's changes meanwhile meet the client's by the written rules") {
    const auto user = unique_user("view_conflict");
    const auto u1 = seed(user.name, "INBOX", make_message("conflict-1"));
    const auto u2 = seed(user.name, "INBOX", make_message("conflict-2"));
    create_mailbox(user.name, "Projects");
    TempDirectory home;
    const fs::path mail = home.path() / "Mail";
    Cli cli(user, DovecotFixture::get().imap_port, "    maildir: " + mail.string() + "\n");
    REQUIRE(cli.run("sync").code == 0);
    INFO(cli.stderr_text());

    // The client reads u1 and deletes u2, renames a folder; another client flags u1 and answers u2.
    fs::rename(file_of(mail / "INBOX", u1), with_info(file_of(mail / "INBOX", u1), "S"));
    fs::remove(file_of(mail / "INBOX", u2));
    fs::rename(mail / "Projects", mail / "Work");
    add_flags(user.name, "INBOX", u1, {"\\Flagged"});
    add_flags(user.name, "INBOX", u2, {"\\Answered"});

    REQUIRE(cli.run("sync").code == 0);
    const auto inbox = server_messages(user, "INBOX");
    REQUIRE(inbox.size() == 1);                                        // the delete wins over the flag
    CHECK(inbox.at(u1).flags == Flags{"\\Flagged", "\\Seen"});         // both sides' flags, merged
    CHECK(with_info(file_of(mail / "INBOX", u1), "FS") == file_of(mail / "INBOX", u1));
    CHECK(mailsync::test::status(user.name, "Work").uidvalidity != 0);
    CHECK_THROWS(mailsync::test::status(user.name, "Projects"));
    CHECK(fs::is_directory(mail / "Work" / "cur"));
    CHECK_FALSE(fs::exists(mail / "Projects"));
    CHECK(cli.run("verify").code == 0);

    // A removed folder (emptied by the client first) is removed on the server.
    fs::remove_all(mail / "Work");
    REQUIRE(cli.run("sync").code == 0);
    CHECK_THROWS(mailsync::test::status(user.name, "Work"));
}

TEST_CASE("view scan: a missing view is never read as deletions") {
    const auto user = unique_user("view_missing");
    seed(user.name, "INBOX", make_message("missing-1"));
    TempDirectory home;
    const fs::path mail = home.path() / "Mail";
    Cli cli(user, DovecotFixture::get().imap_port, "    maildir: " + mail.string() + "\n");
    REQUIRE(cli.run("sync").code == 0);
    fs::rename(mail, home.path() / "elsewhere");   // an unmounted disk, say
    CHECK(cli.run("sync").code == 0);
    CHECK_THAT(cli.stderr_text(), Catch::Contains("is missing: nothing was read from it, nothing deleted"));
    CHECK(server_messages(user, "INBOX").size() == 1);
    CHECK(cli.run("view --rebuild").code == 0);   // writes it again
    CHECK(file_count(mail / "INBOX") == 1);
    REQUIRE(cli.run("sync").code == 0);
    CHECK(server_messages(user, "INBOX").size() == 1);
}

TEST_CASE("view watch: a client's change in the view reaches the server within seconds, and the server's the view") {
    const auto user = unique_user("view_watch");
    const auto u1 = seed(user.name, "INBOX", make_message("watch-1"));
    TempDirectory home;
    const fs::path mail = home.path() / "Mail";
    Cli cli(user, DovecotFixture::get().imap_port, "    maildir: " + mail.string() + "\n    watch_full_pull_minutes: 1440\n");
    const fs::path log = home.path() / "watch.log";
    Program watch({mailsync_binary, "-c", (cli.directory() / "config.yaml").string(), "-v", "watch"}, log);
    const auto eventually = [&](const char* what, const std::function<bool()>& condition) {
        for (int i = 0; i < 150; ++i) {
            if (condition()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        FAIL_CHECK("not within 15 s: " << what << "\nwatch's output:\n" << read_file(log));
        return false;
    };
    REQUIRE(eventually("the view written by watch's first pull", [&] { return fs::exists(mail / "INBOX" / "cur") && file_count(mail / "INBOX") == 1; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));   // watch has added its inotify watches

    fs::rename(file_of(mail / "INBOX", u1), with_info(file_of(mail / "INBOX", u1), "FS"));
    eventually("\\Seen and \\Flagged on the server", [&] {
        Flags now = mailsync::test::flags(user.name, "INBOX", u1);
        std::sort(now.begin(), now.end());
        return now == Flags{"\\Flagged", "\\Seen"};
    });
    const auto u2 = seed(user.name, "INBOX", make_message("watch-2"));
    eventually("the server's new message in the view", [&] { return file_count(mail / "INBOX") == 2; });
    fs::remove(file_of(mail / "INBOX", u2));
    eventually("the delete on the server", [&] { return server_messages(user, "INBOX").size() == 1; });
    watch.signal(SIGTERM);
    CHECK(watch.wait(std::chrono::seconds(10)) == 0);
}

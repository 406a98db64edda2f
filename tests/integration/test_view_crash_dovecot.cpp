// The Maildir view under SIGKILL: `mailsync sync` killed at increasing delays while it scans the
// view, replays what the scan queued, pulls and writes the view; then a sync runs to the end. Every
// client change must reach the server exactly once: nothing lost, nothing doubled.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "store/body_hash.hpp"
#include "tests/integration/cli_test_support.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/files.hpp"
#include "tests/support/program.hpp"

using namespace mailsync;
using namespace mailsync::test;
namespace fs = std::filesystem;

namespace {

// UID (from the view's names) → file, in FOLDER/cur and new.
std::map<std::uint32_t, fs::path> view_files(const fs::path& folder) {
    std::map<std::uint32_t, fs::path> files;
    for (const char* part : {"cur", "new"})
        for (const auto& entry : fs::directory_iterator(folder / part)) {
            const std::string name = entry.path().filename().string();
            const auto u = name.find(",U=");
            if (u != std::string::npos) files[static_cast<std::uint32_t>(std::stoul(name.substr(u + 3)))] = entry.path();
        }
    return files;
}

// SHA-256 → how many messages of the server mailbox have that content, and how many are \Seen.
struct Contents {
    std::map<std::string, int> copies;
    int seen = 0;
};
Contents contents(const DovecotFixture::User& user, const std::string& mailbox) {
    Contents found;
    for (const auto& [uid, message] : server_messages(user, mailbox)) {
        ++found.copies[message.sha256];
        if (std::find(message.flags.begin(), message.flags.end(), "\\Seen") != message.flags.end()) ++found.seen;
    }
    return found;
}

}  // namespace

TEST_CASE("view crash: sync killed at any point while client changes are scanned, replayed and written back") {
    const auto user = unique_user("view_crash");
    std::vector<std::string> bodies;
    for (int i = 0; i < 40; ++i) {
        bodies.push_back(make_message("crash-" + std::to_string(i)));
        seed(user.name, "INBOX", bodies.back());
    }
    TempDirectory home;
    const fs::path mail = home.path() / "Mail";
    Cli cli(user, DovecotFixture::get().imap_port, "    maildir: " + mail.string() + "\n");
    REQUIRE(cli.run("sync").code == 0);
    INFO(cli.stderr_text());

    // The client: reads 15, deletes 8, moves 8 to Archive, writes 5 drafts; meanwhile 20 new
    // messages arrive on the server (work for the view's writer).
    auto files = view_files(mail / "INBOX");
    REQUIRE(files.size() == 40);
    std::set<std::string> moved, deleted;
    int index = 0;
    for (const auto& [uid, file] : files) {
        const std::string name = file.filename().string();
        const std::string content = read_file(file);
        if (index < 15) {
            fs::rename(file, file.parent_path() / (name.substr(0, name.find(":2,") + 3) + "S"));
        } else if (index < 23) {
            deleted.insert(content);
            fs::remove(file);
        } else if (index < 31) {
            moved.insert(content);
            fs::rename(file, mail / "Archive" / "cur" / name);
        }
        ++index;
    }
    for (int i = 0; i < 5; ++i)
        write_file(mail / "Drafts" / "cur" / ("1800000000.R" + std::to_string(i) + ".laptop:2,D"),
                   "From: me@example.org\nSubject: draft " + std::to_string(i) + "\nMessage-ID: <draft-" + std::to_string(i) +
                       "@crash.test>\n\ntext\n");
    for (int i = 0; i < 20; ++i) seed(user.name, "INBOX", make_message("crash-new-" + std::to_string(i)));

    // Killed at increasing delays: during start-up, the scan, the replay, the pull, the update.
    int killed = 0;
    for (const int delay : {0, 3, 6, 10, 15, 20, 30, 45, 60, 80, 110, 150, 200, 270, 350}) {
        Program sync({mailsync_binary, "-c", (cli.directory() / "config.yaml").string(), "sync"}, home.path() / "killed.log");
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        sync.signal(SIGKILL);
        if (sync.wait(std::chrono::seconds(30)) == 128 + SIGKILL) ++killed;
    }
    CHECK(killed > 0);
    REQUIRE(cli.run("sync").code == 0);
    REQUIRE(cli.run("sync").code == 0);

    const Contents inbox = contents(user, "INBOX");
    const Contents archive = contents(user, "Archive");
    const Contents drafts = contents(user, "Drafts");
    std::size_t inbox_messages = 0;
    for (const auto& [sha, count] : inbox.copies) {
        CHECK(count == 1);   // nothing doubled
        inbox_messages += static_cast<std::size_t>(count);
    }
    CHECK(inbox_messages == 40 - 8 - 8 + 20);
    CHECK(inbox.seen == 15);
    for (const auto& content : deleted) CHECK_FALSE(inbox.copies.contains(store::Sha256::of(content).hex()));
    CHECK(archive.copies.size() == 8);
    for (const auto& content : moved) CHECK(archive.copies.contains(store::Sha256::of(content).hex()));
    for (const auto& [sha, count] : archive.copies) CHECK(count == 1);
    CHECK(drafts.copies.size() == 5);
    for (const auto& [sha, count] : drafts.copies) CHECK(count == 1);

    // The view equals the mirror again, and the store is sound.
    CHECK(view_files(mail / "INBOX").size() == inbox_messages);
    CHECK(view_files(mail / "Archive").size() == 8);
    CHECK(view_files(mail / "Drafts").size() == 5);
    const Run verify = cli.run("verify");
    CHECK(verify.code == 0);
    CHECK(cli.stderr_text().find("differs") == std::string::npos);
}

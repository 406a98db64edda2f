// The Maildir view (sync/view/) through the mailsync program against the fixture's Dovecot:
// what the server does appears in the files after `sync`.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <regex>

#include <yaml-cpp/yaml.h>

#include "tests/integration/cli_test_support.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/files.hpp"

using namespace mailsync;
using namespace mailsync::test;
namespace fs = std::filesystem;

namespace {

// UID → info letters of the files in FOLDER/cur (and new/), read from the names the view writes.
std::map<std::uint32_t, std::string> files_by_uid(const fs::path& folder) {
    static const std::regex name(R"(^\d+\.\d+_0\.[^,:]+,U=(\d+):2,([A-Z]*)$)");
    std::map<std::uint32_t, std::string> found;
    for (const char* part : {"cur", "new"}) {
        std::error_code error;
        for (const auto& entry : fs::directory_iterator(folder / part, error)) {
            std::smatch match;
            const std::string file = entry.path().filename().string();
            REQUIRE(std::regex_match(file, match, name));
            found[static_cast<std::uint32_t>(std::stoul(match[1]))] = match[2];
        }
    }
    return found;
}

}  // namespace

TEST_CASE("view: the server's new mail, flags, expunges and moves appear in the Maildir after sync") {
    const auto user = unique_user("view_pull");
    const auto seen = seed(user.name, "INBOX", make_message("view-1"), {"\\Seen", "$Label1"});
    const auto doomed = seed(user.name, "INBOX", make_message("view-2"));
    const auto archived = seed(user.name, "Archive", make_message("view-3"), {"\\Answered"});
    TempDirectory home;
    const fs::path mail = home.path() / "Mail";
    Cli cli(user, DovecotFixture::get().imap_port, "    maildir: " + mail.string() + "\n");

    REQUIRE(cli.run("sync").code == 0);
    INFO(cli.stderr_text());
    CHECK(files_by_uid(mail / "INBOX") == std::map<std::uint32_t, std::string>{{seen, "S"}, {doomed, ""}});
    CHECK(files_by_uid(mail / "Archive") == std::map<std::uint32_t, std::string>{{archived, "R"}});
    CHECK(fs::is_directory(mail / "Sent" / "tmp"));
    // The file is the server's message, byte for byte, and shares the store's body (one copy on disk).
    for (const auto& entry : fs::directory_iterator(mail / "INBOX" / "cur")) {
        struct stat status {};
        REQUIRE(::stat(entry.path().c_str(), &status) == 0);
        CHECK(status.st_nlink == 2);
        CHECK((status.st_mode & 0777) == 0400);
        const std::string bytes = read_file(entry.path());
        CHECK((bytes == make_message("view-1") || bytes == make_message("view-2")));
    }

    // A second client: flags, an expunge, a move, new mail.
    add_flags(user.name, "INBOX", seen, {"\\Flagged"});
    expunge(user.name, "INBOX", doomed);
    const std::uint32_t moved = mailsync::test::status(user.name, "INBOX").uidnext;
    move_on_server(user, "Archive", archived, "INBOX");
    const auto fresh = seed(user.name, "INBOX", make_message("view-4"), {"\\Draft"});
    REQUIRE(cli.run("sync").code == 0);
    CHECK(files_by_uid(mail / "INBOX") == std::map<std::uint32_t, std::string>{{seen, "FS"}, {moved, "R"}, {fresh, "D"}});
    CHECK(files_by_uid(mail / "Archive").empty());

    // A no-op sync changes nothing; verify agrees with the view; status reports it.
    REQUIRE(cli.run("-v sync").code == 0);
    CHECK(cli.stderr_text().find("Maildir view") == std::string::npos);
    const Run verify = cli.run("verify");
    CHECK(verify.code == 0);
    const Run status = cli.run("--json status");
    REQUIRE(status.code == 0);
    const YAML::Node view = YAML::Load(status.out)["maildir"];
    CHECK(view["path"].as<std::string>() == mail.string());
    CHECK(view["layout"].as<std::string>() == "verbatim");
    CHECK(view["written"].as<bool>());
    CHECK(view["files"].as<int>() == 3);
    CHECK(view["copies"].as<int>() == 0);
    CHECK(cli.run("status").out.find("Maildir view " + mail.string() + " (verbatim): 3 files") != std::string::npos);

    // A damaged view file is found by verify (exit 65); view --rebuild writes the view again.
    const fs::path one = fs::directory_iterator(mail / "INBOX" / "cur")->path();
    fs::remove(one);
    write_file(one, "not the message");
    CHECK(cli.run("verify").code == 65);
    CHECK(cli.run("view --rebuild").code == 0);
    CHECK(cli.run("verify").code == 0);
    CHECK(files_by_uid(mail / "INBOX") == std::map<std::uint32_t, std::string>{{seen, "FS"}, {moved, "R"}, {fresh, "D"}});
}

TEST_CASE("view: maildir++ puts INBOX at the root and folders as .Name") {
    const auto user = unique_user("view_plus");
    const auto inbox = seed(user.name, "INBOX", make_message("plus-1"));
    const auto nested = seed(user.name, "Archive/2023", make_message("plus-2"), {"\\Seen"});
    TempDirectory home;
    const fs::path mail = home.path() / "Mail";
    Cli cli(user, DovecotFixture::get().imap_port, "    maildir: " + mail.string() + "\n    maildir_layout: maildir++\n");
    REQUIRE(cli.run("sync").code == 0);
    INFO(cli.stderr_text());
    CHECK(files_by_uid(mail) == std::map<std::uint32_t, std::string>{{inbox, ""}});
    CHECK(files_by_uid(mail / ".Archive.2023") == std::map<std::uint32_t, std::string>{{nested, "S"}});
    CHECK(cli.run("verify").code == 0);
}

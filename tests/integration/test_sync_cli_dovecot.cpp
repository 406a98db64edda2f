// `mailsync sync / status / mailboxes / list / show` as a user runs them: the built binary, a
// configuration written to a temp directory, the fixture's Dovecot on loopback.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "tests/integration/cli_test_support.hpp"
#include "tests/integration/pull_test_support.hpp"

using namespace mailsync;
using namespace mailsync::test;

TEST_CASE("cli: sync, then status, mailboxes, list and show read the mirror") {
    const auto user = unique_user("cli_sync");
    const auto uid = seed(user.name, "INBOX", make_message("cli-1", 50'000), {"\\Seen", "$Label1"});
    seed(user.name, "INBOX", make_message("cli-2"));
    seed(user.name, "Caf\xc3\xa9", make_message("cli-cafe"));
    Cli cli(user, DovecotFixture::get().imap_port);

    const Run sync = cli.run("sync");
    INFO(cli.stderr_text());
    REQUIRE(sync.code == 0);
    CHECK(sync.out.empty());   // quiet when not on a terminal

    const Run status = cli.run("--json status");
    REQUIRE(status.code == 0);
    const YAML::Node account = YAML::Load(status.out);
    CHECK(account["account"].as<std::string>() == "test");
    CHECK(account["queue"].as<int>() == 0);
    CHECK(account["conflicts"].as<int>() == 0);
    CHECK_FALSE(account["last_sync"].IsNull());
    CHECK_FALSE(account["last_success"].IsNull());
    CHECK(account["last_error"].IsNull());
    bool saw_inbox = false;
    for (const auto& mailbox : account["mailboxes"]) {
        if (mailbox["name"].as<std::string>() != "INBOX") continue;
        saw_inbox = true;
        CHECK(mailbox["messages"].as<int>() == 2);
        CHECK(mailbox["unseen"].as<int>() == 1);
        CHECK(mailbox["highestmodseq"].as<std::uint64_t>() == mailsync::test::status(user.name, "INBOX").highestmodseq);
        CHECK(mailbox["method"].as<std::string>() == "plain");
        CHECK_FALSE(mailbox["last_sync"].IsNull());
    }
    CHECK(saw_inbox);

    const Run mailboxes = cli.run("--json mailboxes");
    REQUIRE(mailboxes.code == 0);
    bool saw_cafe = false;
    for (const auto& mailbox : YAML::Load(mailboxes.out)) {
        CHECK(mailbox["messages"].IsScalar());
        CHECK(mailbox["unseen"].IsScalar());
        if (mailbox["name"].as<std::string>() == "Caf\xc3\xa9") saw_cafe = mailbox["messages"].as<int>() == 1;
    }
    CHECK(saw_cafe);

    const Run list = cli.run("--json list INBOX");
    REQUIRE(list.code == 0);
    const YAML::Node messages = YAML::Load(list.out);
    REQUIRE(messages.size() == 2);
    std::uint64_t id = 0;
    for (const auto& message : messages) {
        for (const char* field : {"id", "uid", "mailbox", "flags", "date", "size", "from", "subject", "message_id"})
            CHECK(message[field].IsDefined());
        CHECK(message["mailbox"].as<std::string>() == "INBOX");
        if (message["uid"].as<std::uint32_t>() == uid) {
            id = message["id"].as<std::uint64_t>();
            CHECK(message["subject"].as<std::string>() == "cli-1");
            CHECK(message["message_id"].as<std::string>() == "<cli-1@pull.mailsync.test>");
            CHECK(message["from"].as<std::string>() == "Sender <sender@example.org>");
            std::vector<std::string> flags = message["flags"].as<std::vector<std::string>>();
            std::sort(flags.begin(), flags.end());
            CHECK(flags == std::vector<std::string>{"$Label1", "\\Seen"});
        }
    }
    REQUIRE(id != 0);
    CHECK(cli.run("list Caf\xc3\xa9").out.find("cli-cafe") != std::string::npos);

    const Run raw = cli.run("show INBOX " + std::to_string(id) + " --raw");
    REQUIRE(raw.code == 0);
    CHECK(store::Sha256::of(raw.out).hex() == server_messages(user, "INBOX").at(uid).sha256);
    const Run text = cli.run("show INBOX " + std::to_string(id));
    CHECK(text.code == 0);
    CHECK(text.out.find("Subject: cli-1") != std::string::npos);
    CHECK(text.out.find("Body of cli-1") != std::string::npos);

    // One changed byte in the body file: show refuses it, with or without --raw, naming the file.
    const std::string hash = server_messages(user, "INBOX").at(uid).sha256;
    const auto body_file = cli.store() / "bodies" / hash.substr(0, 2) / hash.substr(2);
    REQUIRE(std::filesystem::exists(body_file));
    {
        std::fstream damaged(body_file, std::ios::in | std::ios::out | std::ios::binary);
        damaged.seekp(10);
        damaged.put('#');
    }
    for (const char* option : {"", " --raw"}) {
        const Run refused = cli.run("show INBOX " + std::to_string(id) + option);
        CHECK(refused.code == 74);
        CHECK(refused.out.empty());
        CHECK_THAT(cli.stderr_text(), Catch::Contains("damaged") && Catch::Contains(body_file.string()));
    }

    CHECK(cli.run("show INBOX 999999").code == 65);
    CHECK(cli.stderr_text().find("999999") != std::string::npos);
    CHECK(cli.run("list Nowhere").code == 65);
    CHECK(cli.stderr_text().find("Nowhere") != std::string::npos);
}

TEST_CASE("cli: a second sync of a busy account exits 75 at once") {
    const auto user = unique_user("cli_busy");
    seed(user.name, "INBOX", make_message("busy-1"));
    Cli cli(user, DovecotFixture::get().imap_port);
    REQUIRE(cli.run("sync").code == 0);
    {
        auto holder = store::Store::open(cli.store(), store::Access::exclusive);
        CHECK(cli.run("sync").code == 75);
        CHECK_FALSE(cli.stderr_text().empty());
        // The views still work beside it.
        CHECK(cli.run("--json status").code == 0);
    }
    CHECK(cli.run("sync").code == 0);
}

TEST_CASE("cli: an unreachable server exits 75") {
    const auto user = unique_user("cli_down");
    // Port 1 on loopback: nothing listens there (tcpmux is long gone), so the connection is refused.
    Cli cli(user, 1);
    CHECK(cli.run("sync").code == 75);
    // The failure is kept for monitoring: status --json says when and why.
    const Run status = cli.run("--json status");
    REQUIRE(status.code == 0);
    const YAML::Node account = YAML::Load(status.out);
    CHECK(account["last_success"].IsNull());
    CHECK_FALSE(account["last_attempt"].IsNull());
    CHECK_THAT(account["last_error"].as<std::string>(), Catch::Contains("127.0.0.1"));
}

TEST_CASE("cli: sync --json reports reused bodies and rejected look-alikes per mailbox") {
    const auto user = unique_user("cli_reuse");
    // Same Message-ID, Date, Subject and size; one header value differs (equal length).
    const auto message = [](const std::string& relay) {
        return "Received: from " + relay + " by mx.example.org\r\nFrom: Sender <sender@example.org>\r\n"
               "Subject: cli-reuse\r\nMessage-ID: <cli-reuse@pull.mailsync.test>\r\n"
               "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nThe text.\r\n";
    };
    const auto moved = seed(user.name, "INBOX", message("relay-1.example.net"));
    create_mailbox(user.name, "Moved");
    Cli cli(user, DovecotFixture::get().imap_port);
    REQUIRE(cli.run("sync").code == 0);

    seed(user.name, "Lookalike", message("relay-2.example.net"));
    move_on_server(user, "INBOX", moved, "Moved");
    const Run sync = cli.run("--json sync");
    INFO(cli.stderr_text());
    REQUIRE(sync.code == 0);
    const YAML::Node accounts = YAML::Load(sync.out);
    REQUIRE(accounts.size() == 1);
    std::map<std::string, YAML::Node> by_name;
    const YAML::Node mailboxes = accounts[0]["mailboxes"];
    for (std::size_t i = 0; i < mailboxes.size(); ++i) {
        const YAML::Node mailbox = mailboxes[i];
        CHECK(mailbox["reused"].IsScalar());
        CHECK(mailbox["reuse_rejected"].IsScalar());
        by_name[mailbox["name"].as<std::string>()] = mailbox;
    }
    REQUIRE(by_name.count("Moved") == 1);
    REQUIRE(by_name.count("Lookalike") == 1);
    CHECK(by_name["Moved"]["reused"].as<int>() == 1);
    CHECK(by_name["Moved"]["reuse_rejected"].as<int>() == 0);
    CHECK(by_name["Moved"]["downloaded"].as<int>() == 0);
    CHECK(by_name["Lookalike"]["reused"].as<int>() == 0);
    CHECK(by_name["Lookalike"]["reuse_rejected"].as<int>() == 1);
    CHECK(by_name["Lookalike"]["downloaded"].as<int>() == 1);
}

namespace {

std::string file_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::string text;
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) text.append(buffer, static_cast<std::size_t>(in.gcount()));
    return text;
}

// The mirror's body files, each by the Subject of the message it holds (each test message has its
// own), with its bytes.
std::map<std::string, std::string> body_files_by_subject(const std::filesystem::path& store) {
    std::map<std::string, std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(store / "bodies")) {
        if (!entry.is_regular_file()) continue;
        const std::string bytes = file_bytes(entry.path());
        const auto at = bytes.find("Subject: ");
        REQUIRE(at != std::string::npos);
        files[bytes.substr(at + 9, bytes.find("\r\n", at) - at - 9)] = bytes;
    }
    return files;
}

// Makes every body file look downloaded two hours ago: older than the sweep's grace period.
void age_bodies(const std::filesystem::path& store, const std::set<std::string>& keep_young = {}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(store / "bodies")) {
        if (!entry.is_regular_file()) continue;
        const std::string bytes = file_bytes(entry.path());
        bool young = false;
        for (const auto& subject : keep_young) young = young || bytes.find("Subject: " + subject + "\r\n") != std::string::npos;
        if (!young) std::filesystem::last_write_time(entry.path(), std::filesystem::file_time_type::clock::now() - std::chrono::hours(2));
    }
}

}  // namespace

TEST_CASE("cli: sync removes the bodies of messages expunged on the server, and status reports the store size") {
    const auto user = unique_user("cli_sweep");
    std::vector<std::uint32_t> uids;
    for (int i = 0; i < 10; ++i) uids.push_back(seed(user.name, "INBOX", make_message("sweep-" + std::to_string(i), 20'000)));
    Cli cli(user, DovecotFixture::get().imap_port);
    REQUIRE(cli.run("sync").code == 0);
    const auto before = body_files_by_subject(cli.store());
    REQUIRE(before.size() == 10);

    const Run status = cli.run("--json status");
    REQUIRE(status.code == 0);
    const YAML::Node account = YAML::Load(status.out);
    const auto body_bytes = account["body_bytes"].as<std::uint64_t>();
    CHECK(account["body_files"].as<int>() == 10);
    CHECK(body_bytes >= 10 * 20'000);
    CHECK(account["database_bytes"].as<std::uint64_t>() > 0);
    CHECK(account["store_bytes"].as<std::uint64_t>() == body_bytes + account["database_bytes"].as<std::uint64_t>());
    CHECK(cli.run("status").out.find("store ") != std::string::npos);

    // Half expunged by another client. sweep-0's body is as young as the sync that fetched it, so
    // the grace period that protects a concurrent run keeps it; the others are old enough to go.
    age_bodies(cli.store(), {"sweep-0"});
    for (int i = 0; i < 10; i += 2) expunge(user.name, "INBOX", uids[static_cast<std::size_t>(i)]);
    const Run sync = cli.run("--json sync");
    INFO(cli.stderr_text());
    REQUIRE(sync.code == 0);
    const YAML::Node swept = YAML::Load(sync.out)[0]["swept"];
    CHECK(swept["bodies"].as<int>() == 4);
    CHECK(swept["bytes"].as<std::uint64_t>() >= 4 * 20'000);

    const auto after = body_files_by_subject(cli.store());
    std::set<std::string> left;
    for (const auto& [subject, bytes] : after) {
        left.insert(subject);
        CHECK(bytes == before.at(subject));  // the others intact, byte for byte
    }
    CHECK(left == std::set<std::string>{"sweep-0", "sweep-1", "sweep-3", "sweep-5", "sweep-7", "sweep-9"});
    CHECK(cli.run("verify").code == 0);
    const YAML::Node later = YAML::Load(cli.run("--json status").out);
    CHECK(later["body_files"].as<int>() == 6);
    CHECK(later["body_bytes"].as<std::uint64_t>() < body_bytes);
}

TEST_CASE("cli: a no-op sync does not list the body files, unless a process died between a body and its row") {
    const auto user = unique_user("cli_sweep_noop");
    seed(user.name, "INBOX", make_message("noop-sweep-1"));
    Cli cli(user, DovecotFixture::get().imap_port);
    REQUIRE(cli.run("sync").code == 0);
    const std::filesystem::path mark = cli.store() / "sweep-due";
    CHECK_FALSE(std::filesystem::exists(mark));   // the first sync's sweep took its own mark away
    // A body file no row names, old enough to go, but without the mark a dying writer leaves: a
    // no-op looks only at what its removals left, so the file stays.
    const std::filesystem::path orphan = cli.store() / "bodies" / "ab" / std::string(62, 'c');
    std::filesystem::create_directories(orphan.parent_path());
    std::ofstream(orphan) << "Subject: orphan\r\n\r\nleft by a crash\r\n";
    age_bodies(cli.store());

    Run sync = cli.run("--json sync");
    INFO(cli.stderr_text());
    REQUIRE(sync.code == 0);
    CHECK(YAML::Load(sync.out)[0]["swept"]["bodies"].as<int>() == 0);
    CHECK(std::filesystem::exists(orphan));

    // The mark of a writer that died before its row: the next sync lists every body file.
    std::ofstream(mark).flush();
    sync = cli.run("--json sync");
    REQUIRE(sync.code == 0);
    CHECK(YAML::Load(sync.out)[0]["swept"]["bodies"].as<int>() == 1);
    CHECK_FALSE(std::filesystem::exists(orphan));
    CHECK_FALSE(std::filesystem::exists(mark));
    CHECK(cli.run("verify").code == 0);
}

TEST_CASE("cli: in backup mode the bodies of messages the server expunged stay") {
    const auto user = unique_user("cli_sweep_backup");
    std::vector<std::uint32_t> uids;
    for (int i = 0; i < 4; ++i) uids.push_back(seed(user.name, "INBOX", make_message("kept-" + std::to_string(i))));
    Cli cli(user, DovecotFixture::get().imap_port, "    mode: backup\n");
    REQUIRE(cli.run("sync").code == 0);
    age_bodies(cli.store());
    expunge(user.name, "INBOX", uids[0]);
    expunge(user.name, "INBOX", uids[1]);
    const Run sync = cli.run("--json sync");
    INFO(cli.stderr_text());
    REQUIRE(sync.code == 0);
    CHECK(YAML::Load(sync.out)[0]["swept"]["bodies"].as<int>() == 0);
    CHECK(body_files_by_subject(cli.store()).size() == 4);
    CHECK(cli.run("verify").code == 0);
}

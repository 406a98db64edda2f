// `mailsync sync / status / mailboxes / list / show` as a user runs them: the built binary, a
// configuration written to a temp directory, the fixture's Dovecot on loopback.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>

#include <yaml-cpp/yaml.h>

#include "tests/integration/pull_test_support.hpp"

using namespace mailsync;
using namespace mailsync::test;

namespace {

struct Run {
    int code = -1;
    std::string out;
};

class Cli {
public:
    Cli(const DovecotFixture::User& user, std::uint16_t port) : user_(user) {
        const auto password_file = dir_.path() / "password";
        std::ofstream(password_file) << user.password << "\n";
        ::chmod(password_file.c_str(), 0600);
        config_ = dir_.path() / "config.yaml";
        std::ofstream(config_) << "accounts:\n  test:\n    host: 127.0.0.1\n    port: " << port
                               << "\n    tls: none\n    user: " << user.name << "\n    password_file: " << password_file.string()
                               << "\n    store: " << store().string() << "\n";
        ::chmod(config_.c_str(), 0600);
    }
    std::filesystem::path store() const { return dir_.path() / "store"; }

    Run run(const std::string& arguments) const {
        const std::string command = std::string(MAILSYNC_BINARY_DIR "/cli/mailsync") + " -c " + config_.string() + " " + arguments +
                                    " 2>" + (dir_.path() / "stderr").string();
        Run result;
        FILE* pipe = ::popen(command.c_str(), "r");
        REQUIRE(pipe);
        char buffer[65536];
        std::size_t n = 0;
        while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
        const int status = ::pclose(pipe);
        result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return result;
    }
    std::string stderr_text() const {
        std::ifstream in(dir_.path() / "stderr", std::ios::binary);
        std::string text;
        char buffer[4096];
        while (in.read(buffer, sizeof buffer) || in.gcount() > 0) text.append(buffer, static_cast<std::size_t>(in.gcount()));
        return text;
    }

private:
    TempDirectory dir_;
    DovecotFixture::User user_;
    std::filesystem::path config_;
};

}  // namespace

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

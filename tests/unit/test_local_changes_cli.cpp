// The offline commands through the mailsync program, with the server unreachable (a closed
// loopback port): exit codes, and `queue --json` showing what was done.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include "config_test_support.hpp"
#include "store/store.hpp"
#include "tests/support/closed_port.hpp"

using namespace mailsync;

namespace {

const std::string binary = MAILSYNC_BINARY_DIR "/cli/mailsync";

using test::closed_port;

std::string shell_quote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

struct Run {
    int exit_code = -1;
    std::string out;
    std::string err;
};

struct Account {
    test::ScratchDirectory scratch;
    std::filesystem::path store_directory = scratch.path() / "store";
    std::filesystem::path config;
    std::vector<store::MessageId> ids;

    Account() {
        config = scratch.write("config.yaml", "accounts:\n  laptop:\n    host: 127.0.0.1\n    port: " +
                                                  std::to_string(closed_port()) +
                                                  "\n    tls: none\n    user: me\n    password: x\n    store: " +
                                                  store_directory.string() + "\n");
        // As a prior sync would have left it.
        auto store = store::Store::open(store_directory, store::Access::shared);
        const auto body = store.put_body("Subject: s\r\n\r\nb\r\n").hash;
        store.write([&](store::WriteTxn& t) {
            store::MailboxRecord inbox;
            inbox.name = "INBOX";
            inbox.delimiter = "/";
            inbox.uidvalidity = 3;
            const auto inbox_id = t.add_mailbox(inbox);
            store::MailboxRecord archive = inbox;
            archive.name = "Archive";
            t.add_mailbox(archive);
            for (store::Uid uid : {1u, 2u}) {
                store::MessageRecord message;
                message.mailbox = inbox_id;
                message.uid = uid;
                message.body_hash = body;
                ids.push_back(t.add_message(message));
            }
        });
    }

    Run run(const std::vector<std::string>& arguments) const {
        std::string command = "env -i PATH=/usr/bin:/bin HOME=" + shell_quote(scratch.path().string()) + " " +
                              shell_quote(binary) + " -c " + shell_quote(config.string());
        for (const auto& argument : arguments) command += " " + shell_quote(argument);
        const auto out = scratch.path() / "stdout";
        const auto err = scratch.path() / "stderr";
        command += " >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string()) + " </dev/null";
        const int status = std::system(command.c_str());
        Run result;
        result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        result.out = test::read_file(out);
        result.err = test::read_file(err);
        return result;
    }
};

}  // namespace

TEST_CASE("offline commands work with the server down and queue their changes", "[binary][local]") {
    const Account account;
    const std::string first = std::to_string(account.ids[0]);
    const std::string second = std::to_string(account.ids[1]);

    auto flag = account.run({"flag", "INBOX", first, "+seen", "+$Work"});
    INFO(flag.err);
    CHECK(flag.exit_code == 0);
    CHECK(account.run({"move", "INBOX", second, "Archive"}).exit_code == 0);
    CHECK(account.run({"mkdir", "Projects"}).exit_code == 0);
    const auto message = account.scratch.write("m.eml", "From: a@b\nSubject: hello\n\nbody\n");
    auto append = account.run({"--json", "append", "Projects", message.string(), "--flags", "seen"});
    INFO(append.err);
    CHECK(append.exit_code == 0);
    const YAML::Node appended = YAML::Load(append.out);
    REQUIRE(appended["ids"].size() == 1);

    auto queue = account.run({"--json", "queue"});
    CHECK(queue.exit_code == 0);
    const YAML::Node records = YAML::Load(queue.out);
    REQUIRE(records.IsSequence());
    REQUIRE(records.size() == 4);
    CHECK(records[0]["kind"].as<std::string>() == "flag");
    CHECK(records[0]["state"].as<std::string>() == "pending");
    CHECK(records[0]["id"].as<std::string>() == first);
    CHECK(records[0]["uid"].as<int>() == 1);
    CHECK(records[0]["add_flags"].size() == 2);
    CHECK(records[1]["kind"].as<std::string>() == "move");
    CHECK(records[1]["mailbox"].as<std::string>() == "INBOX");
    CHECK(records[1]["target"].as<std::string>() == "Archive");
    CHECK(records[2]["kind"].as<std::string>() == "mkdir");
    CHECK(records[2]["mailbox"].as<std::string>() == "Projects");
    CHECK(records[3]["kind"].as<std::string>() == "append");
    CHECK(records[3]["id"].as<std::string>() == appended["ids"][0].as<std::string>());
    CHECK(records[3]["uid"].IsNull());

    auto text = account.run({"queue"});
    CHECK(text.exit_code == 0);
    CHECK_THAT(text.out, Catch::Contains("pending  flag  INBOX  id " + first + " (UID 1)  +"));
    CHECK_THAT(text.out, Catch::Contains("+\\Seen"));
    CHECK_THAT(text.out, Catch::Contains("pending  move  INBOX  id " + second + " (UID 2)  to Archive"));

    auto conflicts = account.run({"--json", "conflicts"});
    CHECK(conflicts.exit_code == 0);
    CHECK(YAML::Load(conflicts.out).size() == 0);
}

TEST_CASE("offline commands refuse bad input with 64 or 65 and change nothing", "[binary][local]") {
    const Account account;
    const std::string first = std::to_string(account.ids[0]);
    auto unknown_id = account.run({"flag", "INBOX", "999", "+seen"});
    CHECK(unknown_id.exit_code == 65);
    CHECK_THAT(unknown_id.err, Catch::Contains("999"));
    auto unknown_mailbox = account.run({"delete", "Nowhere", first});
    CHECK(unknown_mailbox.exit_code == 65);
    CHECK_THAT(unknown_mailbox.err, Catch::Contains("Nowhere"));
    CHECK(account.run({"move", "INBOX", first, "inbox"}).exit_code == 65);
    CHECK(account.run({"flag", "INBOX", first, "+no\\such"}).exit_code == 65);
    CHECK(account.run({"mkdir", "Archive"}).exit_code == 65);
    const auto notes = account.scratch.write("notes.txt", "shopping list\n");
    auto not_message = account.run({"append", "INBOX", notes.string()});
    CHECK(not_message.exit_code == 65);
    CHECK_THAT(not_message.err, Catch::Contains("is not a message"));
    CHECK(account.run({"move", "INBOX", first}).exit_code == 64);

    auto queue = account.run({"--json", "queue"});
    CHECK(queue.exit_code == 0);
    CHECK(YAML::Load(queue.out).size() == 0);
}

// conflicts lists each conflict as one sentence with its id; --clear ID forgets that one, --clear
// all that are recorded; ID without --clear is a usage error (64), an unknown ID bad input (65).
TEST_CASE("conflicts --clear forgets the conflicts seen, one by id or all", "[binary][local]") {
    const Account account;
    std::vector<store::Seq> seqs;
    {
        auto store = store::Store::open(account.store_directory, store::Access::shared);
        store.write([&](store::WriteTxn& t) {
            for (const char* rule : {"delete-wins", "flags-merge", "move-reuploads"}) {
                store::ConflictRecord record;
                record.time = 1'760'000'000;
                record.message = account.ids[0];
                record.mailbox = 1;
                record.rule = rule;
                record.local_change = "flag change +\\Seen on message 1 in 'INBOX'";
                record.server_change = "the server deleted the message";
                record.resolution = "the local flag change was dropped";
                seqs.push_back(t.add_conflict(record));
            }
        });
    }
    auto listed = account.run({"conflicts"});
    CHECK(listed.exit_code == 0);
    CHECK_THAT(listed.out, Catch::Contains(std::to_string(seqs[0]) + "  "));
    CHECK_THAT(listed.out, Catch::Contains("While the flag change +\\Seen on message 1 in 'INBOX' was queued, the server "
                                           "deleted the message, so the local flag change was dropped (rule delete-wins)."));

    CHECK(account.run({"conflicts", std::to_string(seqs[1])}).exit_code == 64);
    CHECK(account.run({"conflicts", "--clear", "999"}).exit_code == 65);
    auto one = account.run({"conflicts", "--clear", std::to_string(seqs[1])});
    CHECK(one.exit_code == 0);
    CHECK_THAT(one.out, Catch::Contains("Cleared 1 conflict."));
    auto left = YAML::Load(account.run({"--json", "conflicts"}).out);
    REQUIRE(left.size() == 2);
    CHECK(left[0]["seq"].as<store::Seq>() == seqs[0]);
    CHECK(left[1]["seq"].as<store::Seq>() == seqs[2]);
    CHECK(left[0]["rule"].as<std::string>() == "delete-wins");   // the --json fields are as before

    auto all = account.run({"--json", "conflicts", "--clear"});
    CHECK(all.exit_code == 0);
    CHECK(YAML::Load(all.out)["cleared"].as<int>() == 2);
    CHECK(YAML::Load(account.run({"--json", "conflicts"}).out).size() == 0);
}

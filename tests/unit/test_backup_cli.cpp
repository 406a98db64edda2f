// `mailsync verify` and `mailsync export` as a backup script sees them: exit codes, --json, and
// Store::verify's checks of damaged stores.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "config_test_support.hpp"
#include "store/keys.hpp"
#include "store/store.hpp"
#include "store_test_support.hpp"

using namespace mailsync;
namespace fs = std::filesystem;

namespace {

const std::string binary = MAILSYNC_BINARY_DIR "/cli/mailsync";

struct Run {
    int exit_code = -1;
    std::string out, err;
};

std::string quote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

Run run(const test::ScratchDirectory& scratch, const std::vector<std::string>& arguments) {
    std::string command = "env -i PATH=/usr/bin:/bin HOME=" + quote(scratch.path().string()) + " " + quote(binary) +
                          " -c " + quote((scratch.path() / "config.yaml").string());
    for (const auto& argument : arguments) command += " " + quote(argument);
    command += " >" + quote((scratch.path() / "out").string()) + " 2>" + quote((scratch.path() / "err").string()) + " </dev/null";
    const int status = std::system(command.c_str());
    return Run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, test::read_file(scratch.path() / "out"),
               test::read_file(scratch.path() / "err")};
}

struct Account {
    test::ScratchDirectory scratch;
    fs::path store_dir = scratch.path() / "store";
    store::BodyHash first_body;
    store::MessageId first = 0;

    Account() {
        scratch.write("config.yaml", "accounts:\n  backup:\n    host: 127.0.0.1\n    tls: none\n    user: me\n"
                                     "    password: secret-password\n    store: " + store_dir.string() + "\n    mode: backup\n");
        auto s = store::Store::open(store_dir, store::Access::exclusive);
        const auto body = s.put_body("Subject: one\r\n\r\nFrom me\r\n");
        const auto other = s.put_body("Subject: two\r\n\r\nbody\r\n");
        first_body = body.hash;
        s.write([&](store::WriteTxn& t) {
            const auto inbox = t.add_mailbox(store::testing::sample_mailbox("INBOX"));
            auto message = store::testing::sample_message(inbox, 1, body.hash);
            message.message_id = "<one@example.com>";
            first = t.add_message(message);
            t.add_message(store::testing::sample_message(inbox, 2, other.hash));
        });
    }
};

}  // namespace

TEST_CASE("verify: a sound store exits 0, --json says ok", "[verify]") {
    Account account;
    const Run text = run(account.scratch, {"verify"});
    CHECK(text.exit_code == 0);
    CHECK(text.out.empty());
    const Run json = run(account.scratch, {"--json", "verify"});
    CHECK(json.exit_code == 0);
    CHECK(json.out.find("\"ok\":true") != std::string::npos);
    CHECK(json.out.find("\"problems\":[]") != std::string::npos);
}

TEST_CASE("verify: a corrupted body file is found and exits 65", "[verify]") {
    Account account;
    {
        auto s = store::Store::open(account.store_dir, store::Access::shared);
        const fs::path body = s.body_path(account.first_body);
        fs::permissions(body, fs::perms::owner_read | fs::perms::owner_write);
        std::ofstream(body, std::ios::binary | std::ios::trunc) << "Subject: one\r\n\r\nFrom m3\r\n";   // bit rot
    }
    const Run text = run(account.scratch, {"verify"});
    CHECK(text.exit_code == 65);
    CHECK(text.out.find("does not have that SHA-256") != std::string::npos);
    CHECK(text.out.find(account.first_body.hex()) != std::string::npos);
    const Run json = run(account.scratch, {"--json", "verify"});
    CHECK(json.exit_code == 65);
    CHECK(json.out.find("\"ok\":false") != std::string::npos);
    CHECK(json.out.find("SHA-256") != std::string::npos);
}

TEST_CASE("verify: a row naming a missing body is found", "[verify]") {
    Account account;
    {
        auto s = store::Store::open(account.store_dir, store::Access::shared);
        fs::remove(s.body_path(account.first_body));
    }
    const Run text = run(account.scratch, {"verify"});
    CHECK(text.exit_code == 65);
    CHECK(text.out.find(fmt::format("message {}: its body {} is missing", account.first, account.first_body.hex())) !=
          std::string::npos);
}

TEST_CASE("Store::verify finds orphan index rows, damaged and malformed records, a counter behind", "[verify]") {
    Account account;
    auto s = store::Store::open(account.store_dir, store::Access::shared);
    REQUIRE(s.verify(true).empty());
    const auto has = [&](std::string_view needle) {
        const auto problems = s.verify(true);
        return std::any_of(problems.begin(), problems.end(), [&](const std::string& p) { return p.find(needle) != std::string::npos; });
    };
    SECTION("an orphan Message-ID index row") {
        s.write([&](store::WriteTxn& t) { t.lmdb().put(t.tables().message_ids, store::keys::message_id_place("<x@y>", 999), ""); });
        CHECK(has("the Message-ID index names message 999"));
    }
    SECTION("an orphan mailbox index row") {
        s.write([&](store::WriteTxn& t) { t.lmdb().put(t.tables().places, store::keys::place(1, 77), store::keys::u64(555)); });
        CHECK(has("the mailbox index names message 555"));
    }
    SECTION("a damaged message record does not stop verification") {
        s.write([&](store::WriteTxn& t) { t.lmdb().put(t.tables().messages, store::keys::u64(account.first), "\x01garbage"); });
        CHECK(has(fmt::format("message record {}", account.first)));
        CHECK(has("the mailbox index"));   // the index entry naming it is checked (and reported) too
    }
    SECTION("a malformed queue record") {
        s.write([&](store::WriteTxn& t) {
            store::QueueRecord change;
            change.kind = store::QueueKind::flags;
            change.message = account.first;   // but no flag to change
            t.enqueue(change);
        });
        CHECK(has("a flag change changes nothing"));
    }
    SECTION("the id counter behind the ids in use") {
        s.write([&](store::WriteTxn& t) { t.lmdb().put(t.tables().meta, store::meta_key::next_message, store::keys::u64(1)); });
        CHECK(has("ids would be reused"));
    }
    SECTION("wrong mailbox counters") {
        s.write([&](store::WriteTxn& t) {
            t.lmdb().put(t.tables().mailbox_counts, store::keys::u32(1), store::encode(store::MailboxCounts{7, 7}));
        });
        CHECK(has("its message counters are wrong"));
    }
}

TEST_CASE("export: exit 73 when DIR cannot be created, 0 and the files otherwise", "[export]") {
    Account account;
    account.scratch.write("a-file", "x");
    const Run refused = run(account.scratch, {"export", "--format", "maildir", (account.scratch.path() / "a-file" / "sub").string()});
    CHECK(refused.exit_code == 73);
    CHECK(refused.err.find("a-file") != std::string::npos);

    const fs::path out = account.scratch.path() / "export";
    const Run done = run(account.scratch, {"--json", "export", "--format", "mbox", out.string()});
    CHECK(done.exit_code == 0);
    CHECK(done.out.find("\"written\":2") != std::string::npos);
    CHECK(fs::is_regular_file(out / "INBOX"));
    const Run again = run(account.scratch, {"--json", "export", "--format", "mbox", out.string()});
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("\"written\":0") != std::string::npos);
    const Run unknown = run(account.scratch, {"export", "--format", "mbox", out.string(), "Nope"});
    CHECK(unknown.exit_code == 65);
    for (const Run* r : {&refused, &done, &again, &unknown}) {
        CHECK(r->out.find("secret-password") == std::string::npos);
        CHECK(r->err.find("secret-password") == std::string::npos);
    }
}

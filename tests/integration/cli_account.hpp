// A test account driven through the mailsync program: a fresh Dovecot user, a configuration file
// pointing at a chosen port, a store of its own; commands run as child processes, their output
// appended to one log (or, with run_split, stderr apart).
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/pull_test_support.hpp"
#include "tests/support/account_config.hpp"
#include "tests/support/program.hpp"

namespace mailsync::test {

struct CliAccount {
    DovecotFixture::User user = test::unique_user("replaycli");
    test::TempDirectory dir;
    std::filesystem::path store_dir = dir.path() / "store";
    std::filesystem::path config = dir.path() / "config.yaml";
    std::filesystem::path log = dir.path() / "output.log";

    // `extra`: more lines of the account's configuration ("    watch_max_backoff: 2\n").
    explicit CliAccount(int port, std::string extra = {}) : extra_(std::move(extra)) { write_config(port); }
    void write_config(int port) const {
        write_account_config(config, {.port = static_cast<std::uint16_t>(port), .user = user, .store = store_dir,
                                      .extra = "    timeout_seconds: 10\n" + extra_});
    }
    std::vector<std::string> args(const std::vector<std::string>& rest) const {
        std::vector<std::string> all{mailsync_binary, "-c", config.string()};
        all.insert(all.end(), rest.begin(), rest.end());
        return all;
    }
    int run(const std::vector<std::string>& rest,
            std::chrono::milliseconds limit = std::chrono::seconds(60)) const {
        Program program(args(rest), log);
        return program.wait(limit);
    }
    // Runs a command with its stderr kept apart: the exit status, and stderr's text in `errors`.
    int run_split(const std::vector<std::string>& rest, std::string& errors,
                  std::chrono::milliseconds limit = std::chrono::seconds(60)) const {
        const auto error_file = dir.path() / "stderr.log";
        int status = 0;
        {
            Program program(args(rest), log, error_file);
            status = program.wait(limit);
        }
        errors = read(error_file);
        return status;
    }
    std::string output() const { return read(log); }
    std::filesystem::path message_file(const std::string& tag, std::size_t padding = 0) const {
        const auto path = dir.path() / (tag + ".eml");
        std::ofstream(path, std::ios::binary) << test::make_message(tag, padding);
        return path;
    }
    // The mirror's id of the message with this UID, as the commands take it.
    std::string id_of(const std::string& mailbox, std::uint32_t uid) const {
        auto store = store::Store::open(store_dir, store::Access::shared);
        return store.read([&](const store::ReadTxn& txn) {
            const auto box = txn.mailbox_by_name(mailbox);
            REQUIRE(box);
            const auto message = txn.message_by_uid(box->id, uid);
            REQUIRE(message);
            return std::to_string(message->id);
        });
    }

private:
    std::string extra_;
    static std::string read(const std::filesystem::path& path) {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
};

}  // namespace mailsync::test

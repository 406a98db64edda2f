// The built mailsync program run as a user runs it, with a configuration written to a temp
// directory for a test user of the fixture's Dovecot (plaintext on loopback).
#pragma once

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "tests/integration/pull_test_support.hpp"
#include "tests/support/account_config.hpp"

namespace mailsync::test {

struct Run {
    int code = -1;
    std::string out;
};

class Cli {
public:
    // `extra`: more lines of the account's configuration ("    mode: backup\n"); `tls`: its tls key.
    Cli(const DovecotFixture::User& user, std::uint16_t port, const std::string& extra = "", const std::string& tls = "none")
        : user_(user), tls_(tls) {
        const auto password_file = dir_.path() / "password";
        std::ofstream(password_file) << user.password << "\n";
        ::chmod(password_file.c_str(), 0600);
        config_ = dir_.path() / "config.yaml";
        rewrite(port, extra);
    }
    // Writes the configuration again: another port (a closed one: offline) or other extra lines.
    void rewrite(std::uint16_t port, const std::string& extra) const {
        write_account_config(config_, {.port = port, .user = user_, .store = store(), .tls = tls_,
                                       .password_file = dir_.path() / "password", .extra = extra});
    }
    std::filesystem::path store() const { return dir_.path() / "store"; }
    std::filesystem::path directory() const { return dir_.path(); }

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
    std::string tls_;
    std::filesystem::path config_;
};

}  // namespace mailsync::test

// The mailsync program itself: exit codes and messages as a cron job or a script sees them.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "config_test_support.hpp"

namespace {

const std::string binary = MAILSYNC_BINARY_DIR "/cli/mailsync";

struct Run {
    int exit_code = -1;
    std::string out;
    std::string err;
};

std::string shell_quote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted.push_back(c);
        }
    }
    return quoted + "'";
}

// Runs mailsync with `arguments` in a clean environment whose HOME is the scratch directory.
Run run_mailsync(const mailsync::test::ScratchDirectory& scratch, const std::vector<std::string>& arguments,
                 const std::string& environment = "") {
    std::string command = "env -i PATH=/usr/bin:/bin HOME=" + shell_quote(scratch.path().string()) + " " + environment +
                          " " + shell_quote(binary);
    for (const std::string& argument : arguments) command += " " + shell_quote(argument);
    const auto out = scratch.path() / "stdout";
    const auto err = scratch.path() / "stderr";
    command += " >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string()) + " </dev/null";
    const int status = std::system(command.c_str());
    Run run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = mailsync::test::read_file(out);
    run.err = mailsync::test::read_file(err);
    return run;
}

const char* two_accounts =
    "accounts:\n"
    "  work:\n"
    "    host: imap.example.com\n"
    "    user: me\n"
    "    password_command: printf secret\n"
    "  home:\n"
    "    host: 127.0.0.1\n"
    "    tls: none\n"
    "    user: me\n"
    "    password: hunter2\n";

}  // namespace

TEST_CASE("mailsync --help and --version exit 0", "[binary]") {
    const mailsync::test::ScratchDirectory scratch;
    const Run help = run_mailsync(scratch, {"--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("Usage: mailsync"));
    for (const char* command : {"sync", "list", "flag", "export", "probe"}) {
        INFO(command);
        const Run command_help = run_mailsync(scratch, {command, "--help"});
        CHECK(command_help.exit_code == 0);
        CHECK_THAT(command_help.out, Catch::Contains(std::string("mailsync ") + command));
    }
    const Run version = run_mailsync(scratch, {"--version"});
    CHECK(version.exit_code == 0);
    CHECK_THAT(version.out, Catch::StartsWith("mailsync "));
    // ... and the libraries it was built with, each with a version number.
    for (const char* library : {"OpenSSL", "LMDB", "zlib", "libcurl", "yaml-cpp", "fmt", "CLI11"}) {
        INFO(library);
        CHECK_THAT(version.out, Catch::Matches("(.|\n)*\n" + std::string(library) + " [0-9]+\\.[0-9]+(.|\n)*"));
    }
}

TEST_CASE("mailsync usage errors exit 64, bad values 65", "[binary]") {
    const mailsync::test::ScratchDirectory scratch;
    const Run unknown = run_mailsync(scratch, {"frobnicate"});
    CHECK(unknown.exit_code == 64);
    CHECK_THAT(unknown.err, Catch::StartsWith("mailsync: unknown command \"frobnicate\""));
    CHECK(run_mailsync(scratch, {}).exit_code == 64);
    CHECK(run_mailsync(scratch, {"sync", "--no-such-option"}).exit_code == 64);
    CHECK(run_mailsync(scratch, {"list"}).exit_code == 64);
    const Run bad_ids = run_mailsync(scratch, {"delete", "INBOX", "3,x"});
    CHECK(bad_ids.exit_code == 65);
    CHECK_THAT(bad_ids.err, Catch::Contains("\"x\" is not a message id"));
}

TEST_CASE("mailsync without its configuration exits 78 naming the path", "[binary]") {
    const mailsync::test::ScratchDirectory scratch;
    const auto missing = scratch.path() / "missing.yaml";
    const Run explicit_path = run_mailsync(scratch, {"-c", missing.string(), "status"});
    CHECK(explicit_path.exit_code == 78);
    CHECK_THAT(explicit_path.err, Catch::Contains(missing.string()));

    const Run default_path = run_mailsync(scratch, {"status"});
    CHECK(default_path.exit_code == 78);
    CHECK_THAT(default_path.err, Catch::Contains((scratch.path() / ".config/mailsync/config.yaml").string()));

    const Run from_environment = run_mailsync(scratch, {"status"}, "MAILSYNC_CONFIG=" + missing.string());
    CHECK(from_environment.exit_code == 78);
    CHECK_THAT(from_environment.err, Catch::Contains(missing.string()));
}

TEST_CASE("mailsync config errors exit 78 with file and line", "[binary]") {
    const mailsync::test::ScratchDirectory scratch;
    const auto config = scratch.write("c.yaml", "accounts:\n  work:\n    host: h\n    user: u\n    password: x\n    port: 99999\n");
    const Run run = run_mailsync(scratch, {"-c", config.string(), "status"});
    CHECK(run.exit_code == 78);
    CHECK_THAT(run.err, Catch::Contains(config.string() + ":6: accounts.work.port: expected a number from 1 to 65535, got \"99999\""));
}

TEST_CASE("mailsync account selection", "[binary]") {
    const mailsync::test::ScratchDirectory scratch;
    const auto config = scratch.write("c.yaml", two_accounts, 0644);
    const Run unknown = run_mailsync(scratch, {"-c", config.string(), "-a", "nope", "status"});
    CHECK(unknown.exit_code == 78);
    CHECK_THAT(unknown.err, Catch::Contains("\"nope\"") && Catch::Contains("work, home"));

    const Run ambiguous = run_mailsync(scratch, {"-c", config.string(), "list", "INBOX"});
    CHECK(ambiguous.exit_code == 64);
    CHECK_THAT(ambiguous.err, Catch::Contains("-a ACCOUNT"));

    const Run shown = run_mailsync(scratch, {"-c", config.string(), "--json", "config"});
    CHECK(shown.exit_code == 0);
    CHECK_THAT(shown.out, Catch::Contains("\"name\":\"work\"") && Catch::Contains("\"name\":\"home\""));
    CHECK_THAT(shown.out, !Catch::Contains("hunter2") && !Catch::Contains("printf"));
    CHECK_THAT(shown.err, Catch::Contains("accounts.home.password") && Catch::Contains("chmod 600"));

    const Run one = run_mailsync(scratch, {"-c", config.string(), "-a", "work", "config"});
    CHECK(one.exit_code == 0);
    CHECK_THAT(one.out, Catch::Contains("work:") && !Catch::Contains("home:"));
    CHECK(one.err.empty());  // the warning concerns the other account

    const Run quiet = run_mailsync(scratch, {"-c", config.string(), "-q", "config"});
    CHECK(quiet.err.empty());
}

TEST_CASE("mailsync says which commands are not implemented yet", "[binary]") {
    const mailsync::test::ScratchDirectory scratch;
    const auto config = scratch.write("c.yaml", "accounts:\n  work:\n    host: h\n    user: u\n    password: x\n");
    const Run run = run_mailsync(scratch, {"-c", config.string(), "verify"});
    if (run.exit_code == 70) {
        CHECK_THAT(run.err, Catch::Contains("mailsync: verify is not implemented yet"));
    } else {
        CHECK_THAT(run.err, !Catch::Contains("not implemented"));
    }
}

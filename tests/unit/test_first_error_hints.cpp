// The errors a new user meets first say what to do (issue 14): a command string written for a shell
// is refused with the advice to use {shell: ...}, and a failed account gets one line naming it and
// the next step. (Failed logins and implicit TLS against a plaintext port are tested against
// Dovecot in tests/integration/test_first_errors_dovecot.cpp.)
#include <string>

#include <catch2/catch.hpp>

#include "cli/config.hpp"
#include "cli/failure_hints.hpp"
#include "cli/shell_syntax.hpp"
#include "common/error.hpp"

using namespace mailsync;
using namespace mailsync::cli;

namespace {

std::string config_error_of(const std::string& account_lines) {
    const std::string yaml = "accounts:\n  work:\n    host: h\n    user: u\n" + account_lines;
    try {
        parse_config(yaml, "/etc/test/config.yaml", Environment{.home = "/home/u"});
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::config);
        return error.what();
    }
    FAIL("accepted: " << yaml);
    return {};
}

}  // namespace

TEST_CASE("shell syntax in a command string is found, quoted characters are not", "[config][hints]") {
    CHECK_THAT(shell_syntax_in("pass show mail/work | head -1").value_or(""), Catch::Contains("pipe"));
    CHECK_THAT(shell_syntax_in("gpg --decrypt ~/.mail.gpg").value_or(""), Catch::Contains("'~'"));
    CHECK_THAT(shell_syntax_in("cat $HOME/pw").value_or(""), Catch::Contains("$H"));
    CHECK_THAT(shell_syntax_in("cat \"${XDG_CONFIG_HOME}/pw\"").value_or(""), Catch::Contains("${"));
    CHECK_THAT(shell_syntax_in("echo `pass x`").value_or(""), Catch::Contains("`"));
    CHECK_THAT(shell_syntax_in("pass x > /tmp/pw").value_or(""), Catch::Contains("redirection '>'"));
    CHECK_THAT(shell_syntax_in("pass x; echo").value_or(""), Catch::Contains("';'"));
    CHECK_THAT(shell_syntax_in("pass x && echo").value_or(""), Catch::Contains("'&'"));
    // What runs fine without a shell is left alone.
    CHECK_FALSE(shell_syntax_in("pass show mail/work"));
    CHECK_FALSE(shell_syntax_in("pass show 'a|b ~c $HOME'"));
    CHECK_FALSE(shell_syntax_in("pass show a\\|b \\~c"));
    CHECK_FALSE(shell_syntax_in("secret-tool lookup user me~work"));
    CHECK_FALSE(shell_syntax_in("printf 'x$1'"));
    CHECK_FALSE(shell_syntax_in("echo price$"));
}

TEST_CASE("a password_command written for a shell is refused with the advice to use {shell: ...}", "[config][hints]") {
    const std::string pipeline = config_error_of("    password_command: \"pass show mail/work | head -1\"\n");
    CHECK_THAT(pipeline, Catch::StartsWith("/etc/test/config.yaml:5: accounts.work.password_command: ") &&
                             Catch::Contains("a pipe '|'") && Catch::Contains("without a shell") &&
                             Catch::Contains("{shell: \"pass show mail/work | head -1\"}"));
    const std::string tilde = config_error_of("    password_command: gpg --decrypt ~/.mail.gpg\n");
    CHECK_THAT(tilde, Catch::Contains("'~'") && Catch::Contains("{shell: "));
    // The same rule for every command of the file, e.g. OAuth2's.
    const std::string token = config_error_of("    auth: xoauth2\n    oauth2:\n      token_command: oauth-helper $USER\n");
    CHECK_THAT(token, Catch::Contains("accounts.work.oauth2.token_command") && Catch::Contains("{shell: "));
    // The forms that say what they mean are accepted.
    CHECK_NOTHROW(parse_config("accounts:\n  work:\n    host: h\n    user: u\n    password_command: {shell: \"pass x | head -1\"}\n",
                               "/etc/test/config.yaml", Environment{.home = "/home/u"}));
    CHECK_NOTHROW(parse_config("accounts:\n  work:\n    host: h\n    user: u\n    password_command: [cat, \"~/pw|x\"]\n",
                               "/etc/test/config.yaml", Environment{.home = "/home/u"}));
}

TEST_CASE("a failed account is one line naming it, the error and what to do", "[hints]") {
    const std::string login = account_failure_line(
        "work", Error(ErrorCategory::auth, "server refused the login of me@example.com: Authentication failed."), "sync");
    CHECK(login == "work: server refused the login of me@example.com: Authentication failed. (check user and the "
                   "password settings of account work; `mailsync -a work probe` tries the login)");
    const std::string multiline = account_failure_line("home", Error(ErrorCategory::protocol, "first\nsecond \x1b[31mred"), "sync");
    CHECK(multiline.find('\n') == std::string::npos);
    CHECK(multiline.find('\x1b') == std::string::npos);
    CHECK_THAT(multiline, Catch::StartsWith("home: first; second \\x1b[31mred (") && Catch::Contains("mailsync -a home probe"));
    CHECK_THAT(account_failure_line("a", Error(ErrorCategory::config, "x"), "sync"), Catch::Contains("mailsync config"));
    CHECK_THAT(account_failure_line("a", Error(ErrorCategory::io, "x"), "sync"), Catch::Contains("mailsync -a a verify"));
    CHECK_THAT(account_failure_line("a", Error(ErrorCategory::internal, "x"), "sync"), Catch::Contains("report"));

    // probe is not told to run probe.
    CHECK_THAT(account_failure_line("a", Error(ErrorCategory::auth, "x"), "probe"), !Catch::Contains("probe"));
    CHECK_THAT(account_failure_line("a", Error(ErrorCategory::unavailable, "x"), "probe"), !Catch::Contains("probe"));

    CHECK(is_try_again_later(Error(ErrorCategory::unavailable, "x")));
    CHECK(is_try_again_later(Error(ErrorCategory::busy, "x")));
    CHECK_FALSE(is_try_again_later(Error(ErrorCategory::auth, "x")));
    CHECK_FALSE(is_try_again_later(Error(ErrorCategory::protocol, "x")));
}

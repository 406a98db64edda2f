// Unattended and first runs through the mailsync program against the fixture's Dovecot (issue 14):
// `sync --quiet` says nothing when retrying later is all there is to do (exit 75: the server
// unreachable, the account busy) and one line naming the account and what to do for anything
// else; a refused login shows the server's words and the account; implicit TLS against the
// plaintext port suggests `tls: starttls`.
#include <algorithm>
#include <string>

#include <catch2/catch.hpp>

#include "store/store.hpp"
#include "tests/integration/cli_test_support.hpp"
#include "tests/support/closed_port.hpp"

using namespace mailsync;
using namespace mailsync::test;

namespace {

std::size_t line_count(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("sync --quiet: an unreachable server prints nothing and exits 75") {
    Cli cli(unique_user("quiet_down"), static_cast<std::uint16_t>(closed_port()));
    const Run quiet = cli.run("sync --quiet");
    CHECK(quiet.code == 75);
    CHECK(quiet.out.empty());
    CHECK(cli.stderr_text().empty());
    // Without --quiet the same outcome is one line: the account, why, and that the next run retries.
    CHECK(cli.run("sync").code == 75);
    const std::string said = cli.stderr_text();
    CHECK(line_count(said) == 1);
    CHECK_THAT(said, Catch::StartsWith("mailsync: test: cannot connect to 127.0.0.1") && Catch::Contains("the next run tries again"));
}

TEST_CASE("sync --quiet: a busy account prints nothing and exits 75") {
    Cli cli(unique_user("quiet_busy"), DovecotFixture::get().imap_port);
    auto holder = store::Store::open(cli.store(), store::Access::exclusive);
    CHECK(cli.run("sync --quiet").code == 75);
    CHECK(cli.stderr_text().empty());
    CHECK(cli.run("-q sync").code == 75);  // -q before the command is the same option
    CHECK(cli.stderr_text().empty());
    CHECK(cli.run("sync").code == 75);
    CHECK(line_count(cli.stderr_text()) == 1);
    CHECK_THAT(cli.stderr_text(), Catch::StartsWith("mailsync: test: ") && Catch::Contains("another mailsync"));
}

TEST_CASE("a refused login names the account and shows the server's words, in one line even with --quiet") {
    DovecotFixture::User wrong = unique_user("wrong_password");
    wrong.password = "not-the-password";
    Cli cli(wrong, DovecotFixture::get().imap_port);
    const Run quiet = cli.run("sync --quiet");
    CHECK(quiet.code == 77);
    const std::string said = cli.stderr_text();
    CHECK(line_count(said) == 1);
    // Dovecot answers "NO [AUTHENTICATIONFAILED] Authentication failed."
    CHECK_THAT(said, Catch::StartsWith("mailsync: test: server refused the login of " + wrong.name + ": ") &&
                         Catch::Contains("Authentication failed") && Catch::Contains("mailsync -a test probe"));
    // probe, the command a new user runs first, says the same.
    CHECK(cli.run("probe").code == 77);
    CHECK_THAT(cli.stderr_text(), Catch::StartsWith("mailsync: test: server refused the login of ") &&
                                      Catch::Contains("Authentication failed") && !Catch::Contains("probe"));
}

TEST_CASE("implicit TLS against the plaintext port suggests tls: starttls") {
    const auto& dovecot = DovecotFixture::get();
    Cli cli(unique_user("tls_mismatch"), dovecot.imap_port, "    tls_ca_file: " + dovecot.ca_cert + "\n", "implicit");
    CHECK(cli.run("sync --quiet").code == 76);
    const std::string said = cli.stderr_text();
    CHECK(line_count(said) == 1);
    CHECK_THAT(said, Catch::StartsWith("mailsync: test: TLS handshake with ") && Catch::Contains("tls: starttls") &&
                         Catch::Contains("port " + std::to_string(dovecot.imap_port)));
    // The right setting works on that port.
    Cli fixed(unique_user("tls_mismatch"), dovecot.imap_port, "    tls_ca_file: " + dovecot.ca_cert + "\n", "starttls");
    CHECK(fixed.run("sync --quiet").code == 0);
}

TEST_CASE("sync --quiet: a refused change is one line naming the account and where to look") {
    Cli cli(unique_user("quiet_refused"), DovecotFixture::get().imap_port);
    REQUIRE(cli.run("sync").code == 0);
    REQUIRE(cli.run("mkdir ~Bad").code == 0);  // Dovecot refuses this name (NO to CREATE)
    CHECK(cli.run("sync --quiet").code == 76);
    const std::string said = cli.stderr_text();
    CHECK(line_count(said) == 1);
    CHECK_THAT(said, Catch::StartsWith("mailsync: test: some mailboxes or queued changes failed") &&
                         Catch::Contains("mailsync -a test queue --refused"));
}

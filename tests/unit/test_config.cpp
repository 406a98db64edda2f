// Configuration loading and validation, and the secrets it points to.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <string>

#include "cli/config.hpp"
#include "cli/credentials.hpp"
#include "common/error.hpp"
#include "config_test_support.hpp"

using namespace mailsync;
using namespace mailsync::cli;

namespace {

Environment test_environment() {
    return Environment{.mailsync_config = std::nullopt,
                       .xdg_config_home = std::nullopt,
                       .xdg_data_home = std::string("/data"),
                       .home = std::string("/home/tester")};
}

Config parse(const std::string& yaml, bool file_is_private = true) {
    return parse_config(yaml, "/etc/test/config.yaml", test_environment(), file_is_private);
}

// The message of the Error(config) that parsing `yaml` throws.
std::string config_error(const std::string& yaml) {
    try {
        parse(yaml);
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::config);
        return error.what();
    }
    FAIL("the configuration was accepted:\n" << yaml);
    return {};
}

const std::string minimal_account =
    "accounts:\n"
    "  work:\n"
    "    host: imap.example.com\n"
    "    user: me@example.com\n"
    "    password_command: pass show mail/work\n";

}  // namespace

TEST_CASE("every key of a full configuration is read", "[config]") {
    const Config config = parse(R"(accounts:
  work:
    host: imap.example.com
    port: 10993
    tls: starttls
    tls_ca_file: certs/ca.pem
    tls_fingerprint: "SHA256:AB:CD:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"
    user: me@example.com
    password_command: "pass show 'mail/work account'"
    auth: login
    store: ~/mail/work
    mailboxes: ["*", "!Spam"]
    mode: backup
    connections: 8
    timeout_seconds: 120
    watch_full_pull_minutes: 60
    search: false
    compress: "no"
  gmail:
    host: imap.gmail.com
    user: me@gmail.com
    auth: xoauth2
    oauth2:
      token_endpoint: https://oauth2.googleapis.com/token
      client_id: abc.apps.googleusercontent.com
      client_secret_command: [secret-tool, lookup, app, mailsync]
      refresh_token_file: /home/tester/.gmail-refresh
  local:
    host: mail.lan
    tls: none
    insecure_plaintext: yes
    user: me
    password_file: secret.txt
    mode: pull
)");
    REQUIRE(config.accounts.size() == 3);
    const Account& work = config.accounts[0];
    CHECK(work.name == "work");
    CHECK(work.endpoint.host == "imap.example.com");
    CHECK(work.endpoint.port == 10993);
    CHECK(work.endpoint.tls == imap::TlsMode::starttls);
    CHECK(work.endpoint.tls_options.ca_file == "/etc/test/certs/ca.pem");
    CHECK(work.endpoint.tls_options.pinned_sha256 ==
          "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
    CHECK(work.user == "me@example.com");
    CHECK(work.auth == AuthMethod::login);
    const auto* command = std::get_if<SecretCommand>(&work.password);
    REQUIRE(command != nullptr);
    CHECK(command->argv == std::vector<std::string>{"pass", "show", "mail/work account"});
    CHECK(work.store == "/home/tester/mail/work");
    CHECK(work.mailboxes == std::vector<std::string>{"*", "!Spam"});
    CHECK(work.mode == SyncMode::backup);
    CHECK(work.connections == 8);
    CHECK(work.timeout == std::chrono::seconds(120));
    CHECK(work.watch_full_pull == std::chrono::minutes(60));
    CHECK_FALSE(work.search);
    CHECK(work.compress == sync::CompressMode::never);
    CHECK(work.endpoint.connect_timeout == std::chrono::seconds(120));

    const Account& gmail = config.accounts[1];
    CHECK(gmail.auth == AuthMethod::xoauth2);
    CHECK(std::holds_alternative<std::monostate>(gmail.password));
    CHECK(gmail.oauth2.token_endpoint == "https://oauth2.googleapis.com/token");
    CHECK(gmail.oauth2.client_id == "abc.apps.googleusercontent.com");
    REQUIRE(gmail.oauth2.client_secret_command);
    CHECK(gmail.oauth2.client_secret_command->argv == std::vector<std::string>{"secret-tool", "lookup", "app", "mailsync"});
    CHECK(gmail.oauth2.refresh_token_file == std::filesystem::path("/home/tester/.gmail-refresh"));
    CHECK_FALSE(gmail.oauth2.token_command);

    const Account& local = config.accounts[2];
    CHECK(local.insecure_plaintext);
    CHECK(local.endpoint.tls == imap::TlsMode::none);
    CHECK(local.endpoint.port == 143);
    CHECK(local.mode == SyncMode::pull);
    const auto* file = std::get_if<PasswordFile>(&local.password);
    REQUIRE(file != nullptr);
    CHECK(file->path == "/etc/test/secret.txt");
}

TEST_CASE("defaults fill what the file leaves out", "[config]") {
    const Config config = parse(minimal_account);
    REQUIRE(config.accounts.size() == 1);
    const Account& work = config.accounts[0];
    CHECK(work.endpoint.tls == imap::TlsMode::implicit);
    CHECK(work.endpoint.port == 993);
    CHECK(work.auth == AuthMethod::plain);
    CHECK(work.store == "/data/mailsync/work");
    CHECK(work.mailboxes == std::vector<std::string>{"*"});
    CHECK(work.mode == SyncMode::two_way);
    CHECK(work.connections == 4);
    CHECK(work.timeout == std::chrono::seconds(60));
    CHECK(work.watch_full_pull == std::chrono::minutes(15));
    CHECK(work.search);
    CHECK(work.compress == sync::CompressMode::automatic);
    CHECK_FALSE(work.insecure_plaintext);
    CHECK(work.endpoint.tls_options.pinned_sha256.empty());
    CHECK(work.warnings.empty());

    Environment without_xdg = test_environment();
    without_xdg.xdg_data_home.reset();
    const Config home_default = parse_config(minimal_account, "c.yaml", without_xdg);
    CHECK(home_default.accounts[0].store == "/home/tester/.local/share/mailsync/work");

    const Config starttls = parse(minimal_account + "    tls: starttls\n");
    CHECK(starttls.accounts[0].endpoint.port == 143);
}

TEST_CASE("password_command forms: words, list, shell", "[config]") {
    const auto argv_of = [](const std::string& value) {
        const Config config = parse("accounts:\n  a:\n    host: h\n    user: u\n    password_command: " + value + "\n");
        return std::get<SecretCommand>(config.accounts[0].password).argv;
    };
    CHECK(argv_of(R"('gpg -d "my file.gpg"')") == std::vector<std::string>{"gpg", "-d", "my file.gpg"});
    CHECK(argv_of(R"([cat, "/a b/c"])") == std::vector<std::string>{"cat", "/a b/c"});
    CHECK(argv_of(R"({shell: "pass show x | head -1"})") ==
          std::vector<std::string>{"/bin/sh", "-c", "pass show x | head -1"});
    CHECK(config_error("accounts:\n  a:\n    host: h\n    user: u\n    password_command: \"pass 'x\"\n")
              .find("config.yaml:5: accounts.a.password_command: a quote is not closed") != std::string::npos);
}

TEST_CASE("errors name the file, the line and the key", "[config]") {
    struct Case {
        std::string yaml;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {minimal_account + "    port: 99999\n",
         "/etc/test/config.yaml:6: accounts.work.port: expected a number from 1 to 65535, got \"99999\""},
        {minimal_account + "    port: abc\n", "config.yaml:6: accounts.work.port: expected a number from 1 to 65535"},
        {minimal_account + "    tls: tsl\n", "config.yaml:6: accounts.work.tls: expected one of implicit, starttls, none, got \"tsl\""},
        {minimal_account + "    auth: cram-md5\n", "config.yaml:6: accounts.work.auth: expected one of plain, login, xoauth2, oauthbearer"},
        {minimal_account + "    mode: sync\n", "config.yaml:6: accounts.work.mode: expected one of two-way, pull, backup"},
        {minimal_account + "    connections: 0\n", "config.yaml:6: accounts.work.connections: expected a number from 1 to 64"},
        {minimal_account + "    timeout_seconds: -5\n", "config.yaml:6: accounts.work.timeout_seconds: expected a number"},
        {minimal_account + "    watch_full_pull_minutes: 0\n",
         "config.yaml:6: accounts.work.watch_full_pull_minutes: expected a number from 1 to 1440"},
        {minimal_account + "    watch_full_pull_minutes: 1441\n",
         "config.yaml:6: accounts.work.watch_full_pull_minutes: expected a number from 1 to 1440"},
        {minimal_account + "    compress: maybe\n", "config.yaml:6: accounts.work.compress: expected one of auto, yes, no"},
        {minimal_account + "    insecure_plaintext: maybe\n", "config.yaml:6: accounts.work.insecure_plaintext: expected true or false"},
        {minimal_account + "    search: maybe\n", "config.yaml:6: accounts.work.search: expected true or false"},
        {minimal_account + "    tls_fingerprint: abc\n", "config.yaml:6: accounts.work.tls_fingerprint: expected a SHA-256 fingerprint"},
        {minimal_account + "    mailboxes: INBOX\n", "config.yaml:6: accounts.work.mailboxes: expected a list of patterns"},
        {minimal_account + "    mailboxes:\n      - INBOX\n      - [x]\n", "config.yaml:8: accounts.work.mailboxes[1]: expected a mailbox pattern"},
        {minimal_account + "    mailboxes: [\"!Spam\"]\n", "config.yaml:6: accounts.work.mailboxes: only exclusions"},
        {minimal_account + "    store: ~bob/mail\n", "config.yaml:6: accounts.work.store: only ~ and ~/... are expanded"},
        {minimal_account + "    host: other\n", "config.yaml:6: accounts.work.host: this key is given twice"},
        {minimal_account + "    password: x\n", "config.yaml:6: accounts.work.password: give only one of password, password_command and password_file"},
        {"accounts:\n  work:\n    user: u\n    password: x\n", "config.yaml:2: accounts.work.host: missing; this key is required"},
        {"accounts:\n  work:\n    host: h\n    password: x\n", "config.yaml:2: accounts.work.user: missing"},
        {"accounts:\n  work:\n    host: h\n    user: u\n", "config.yaml:2: accounts.work: auth: plain needs one of password, password_command or password_file"},
        {"accounts:\n  work:\n    host:\n    user: u\n    password: x\n", "config.yaml:3: accounts.work.host: expected a string, got nothing"},
        {"accounts:\n  work:\n    host: imaps://imap.example.com\n    user: u\n    password: x\n", "config.yaml:3: accounts.work.host: expected a host name"},
        {"accounts:\n  bad/name:\n    host: h\n", "config.yaml:2: accounts.bad/name: an account name is made of"},
        {"accounts:\n  ..:\n    host: h\n", "config.yaml:2: accounts...: an account name"},
        {"accounts: []\n", "config.yaml:1: accounts: expected a map of account names"},
        {"", "config.yaml:1: accounts: the file defines no accounts"},
        {"# nothing here\nsettings: 1\n", "config.yaml:2: settings: unknown key"},
        {"accounts:\n  a:\n    host: h\n    user: u\n    password: x\n  b: [1]\n", "config.yaml:6: accounts.b: expected a map of settings, got a list"},
        {"accounts:\n  work:\n    host: h\n    user: u\n    password: x\n    port: [1\n", "config.yaml:7: YAML syntax error"},
        {"accounts:\n  work:\n    host: h\n      user: u\n", "config.yaml:4: YAML syntax error"},
        // OAuth2
        {"accounts:\n  g:\n    host: h\n    user: u\n    auth: xoauth2\n", "config.yaml:2: accounts.g.oauth2: missing; auth: xoauth2 needs an oauth2 block"},
        {"accounts:\n  g:\n    host: h\n    user: u\n    auth: xoauth2\n    password: x\n    oauth2: {token_command: t}\n",
         "config.yaml:6: accounts.g.password: not used with auth: xoauth2"},
        {minimal_account + "    oauth2:\n      token_command: t\n", "config.yaml:6: accounts.work.oauth2: only used with auth: xoauth2 or oauthbearer"},
        {"accounts:\n  g:\n    host: h\n    user: u\n    auth: oauthbearer\n    oauth2:\n      token_endpoint: http://auth.example.com/t\n      client_id: c\n      refresh_token_command: r\n",
         "config.yaml:7: accounts.g.oauth2.token_endpoint: expected an https:// URL"},
        {"accounts:\n  g:\n    host: h\n    user: u\n    auth: oauthbearer\n    oauth2:\n      token_endpoint: https://a/t\n      refresh_token_command: r\n",
         "config.yaml:6: accounts.g.oauth2.client_id: missing"},
        {"accounts:\n  g:\n    host: h\n    user: u\n    auth: oauthbearer\n    oauth2:\n      token_endpoint: https://a/t\n      client_id: c\n",
         "config.yaml:6: accounts.g.oauth2: token_endpoint needs refresh_token_command or refresh_token_file"},
        {"accounts:\n  g:\n    host: h\n    user: u\n    auth: oauthbearer\n    oauth2:\n      token_command: t\n      client_id: c\n",
         "config.yaml:8: accounts.g.oauth2.client_id: only used with token_endpoint"},
    };
    for (const Case& test : cases) {
        INFO(test.yaml);
        CHECK_THAT(config_error(test.yaml), Catch::Contains(test.expected));
    }
}

TEST_CASE("unknown keys are refused with the nearest known key", "[config]") {
    CHECK_THAT(config_error(minimal_account + "    prot: 993\n"),
               Catch::Contains("config.yaml:6: accounts.work.prot: unknown key; did you mean \"port\"?"));
    CHECK_THAT(config_error(minimal_account + "    mailbox: [\"*\"]\n"),
               Catch::Contains("accounts.work.mailbox: unknown key; did you mean \"mailboxes\"?"));
    CHECK_THAT(config_error(minimal_account + "    passwordcommand: x\n"),
               Catch::Contains("did you mean \"password_command\"?"));
    CHECK_THAT(config_error("acounts:\n  a: {}\n"), Catch::Contains("config.yaml:1: acounts: unknown key; did you mean \"accounts\"?"));
    const std::string far = config_error(minimal_account + "    colour: blue\n");
    CHECK_THAT(far, Catch::Contains("accounts.work.colour: unknown key; known keys here: host, port"));
    CHECK_THAT(far, !Catch::Contains("did you mean"));
}

TEST_CASE("tls none is refused to a host that is not loopback", "[config]") {
    const auto account = [](const std::string& host, const std::string& extra) {
        return "accounts:\n  a:\n    host: \"" + host + "\"\n    tls: none\n    user: u\n    password: x\n" + extra;
    };
    CHECK_THAT(config_error(account("imap.example.com", "")),
               Catch::Contains("config.yaml:4: accounts.a.tls: tls: none would send the password in clear text"));
    CHECK_THAT(config_error(account("10.0.0.1", "")), Catch::Contains("insecure_plaintext"));
    CHECK_THAT(config_error(account("128.0.0.1", "")), Catch::Contains("insecure_plaintext"));
    CHECK_THAT(config_error(account("localhost.example.com", "")), Catch::Contains("insecure_plaintext"));
    for (const char* loopback : {"localhost", "127.0.0.1", "127.45.6.7", "::1", "LOCALHOST"}) {
        INFO(loopback);
        CHECK(parse(account(loopback, "")).accounts[0].endpoint.port == 143);
    }
    CHECK(parse(account("imap.example.com", "    insecure_plaintext: true\n")).accounts[0].insecure_plaintext);
    CHECK_THAT(config_error(account("imap.example.com", "    insecure_plaintext: false\n")), Catch::Contains("clear text"));
    CHECK_THAT(config_error(account("127.0.0.1", "    tls_fingerprint: " + std::string(64, 'a') + "\n")),
               Catch::Contains("accounts.a.tls_fingerprint: has no effect with tls: none"));
}

TEST_CASE("a password in a file others can read draws a warning", "[config]") {
    const std::string yaml = "accounts:\n  a:\n    host: h\n    user: u\n    password: hunter2\n";
    CHECK(parse(yaml, true).accounts[0].warnings.empty());
    const auto warnings = parse(yaml, false).accounts[0].warnings;
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::Contains("config.yaml:5: accounts.a.password:") && Catch::Contains("chmod 600"));
    CHECK_THAT(warnings[0], !Catch::Contains("hunter2"));
    CHECK(parse(minimal_account, false).accounts[0].warnings.empty());
}

TEST_CASE("load_config reads a file and reports a missing one", "[config]") {
    const test::ScratchDirectory scratch;
    const auto path = scratch.write("config.yaml", "accounts:\n  a:\n    host: h\n    user: u\n    password: x\n", 0644);
    const Config config = load_config(path, test_environment());
    CHECK(config.path == path.string());
    REQUIRE(config.accounts.size() == 1);
    CHECK(config.accounts[0].warnings.size() == 1);  // 0644
    ::chmod(path.c_str(), 0600);
    CHECK(load_config(path, test_environment()).accounts[0].warnings.empty());

    const auto missing = scratch.path() / "nope.yaml";
    try {
        load_config(missing, test_environment());
        FAIL("a missing file was accepted");
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::config);
        CHECK_THAT(error.what(), Catch::Contains(missing.string()) && Catch::Contains("no such configuration file") &&
                                     Catch::Contains("man 5 mailsync.yaml"));
    }
}

TEST_CASE("the default configuration path follows MAILSYNC_CONFIG, then XDG, then HOME", "[config]") {
    Environment environment;
    environment.home = "/home/u";
    CHECK(default_config_path(environment) == "/home/u/.config/mailsync/config.yaml");
    environment.xdg_config_home = "relative/is/ignored";
    CHECK(default_config_path(environment) == "/home/u/.config/mailsync/config.yaml");
    environment.xdg_config_home = "/xdg";
    CHECK(default_config_path(environment) == "/xdg/mailsync/config.yaml");
    environment.mailsync_config = "/etc/mailsync.yaml";
    CHECK(default_config_path(environment) == "/etc/mailsync.yaml");
    CHECK_THROWS_AS(default_config_path(Environment{}), Error);
}

TEST_CASE("split_command_line follows simple shell quoting", "[config]") {
    using Words = std::vector<std::string>;
    CHECK(split_command_line("pass show mail/work") == Words{"pass", "show", "mail/work"});
    CHECK(split_command_line("  a\t b  ") == Words{"a", "b"});
    CHECK(split_command_line(R"(a 'b c' "d e" f\ g)") == Words{"a", "b c", "d e", "f g"});
    CHECK(split_command_line(R"('it'"'"'s')") == Words{"it's"});
    CHECK(split_command_line(R"("a \"q\" \\ \n")") == Words{R"(a "q" \ \n)"});
    CHECK(split_command_line(R"('$HOME' *)") == Words{"$HOME", "*"});
    CHECK(split_command_line("''") == Words{""});
    CHECK(split_command_line("") == Words{});
    CHECK_FALSE(split_command_line("'open"));
    CHECK_FALSE(split_command_line("\"open"));
    CHECK_FALSE(split_command_line("trailing\\"));
}

TEST_CASE("fingerprints and loopback hosts", "[config]") {
    const std::string hex(64, 'a');
    CHECK(normalize_sha256_fingerprint(hex) == hex);
    CHECK(normalize_sha256_fingerprint("sha256:" + std::string(64, 'B')) == std::string(64, 'b'));
    CHECK_FALSE(normalize_sha256_fingerprint(std::string(63, 'a')));
    CHECK_FALSE(normalize_sha256_fingerprint(std::string(62, 'a') + "zz"));
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("[::1]"));
    CHECK(is_loopback_host("::ffff:127.0.0.1"));
    CHECK_FALSE(is_loopback_host("::2"));
    CHECK_FALSE(is_loopback_host("127.example.com"));
}

// --- credentials ------------------------------------------------------------------------------

namespace {

Account account_with(PasswordSource source) {
    Account account;
    account.name = "work";
    account.password = std::move(source);
    return account;
}

SecretCommand shell_command(const std::string& script) { return SecretCommand{{"/bin/sh", "-c", script}, script}; }

std::string credential_error(const Account& account) {
    try {
        resolve_password(account);
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::config);
        return error.what();
    }
    FAIL("no error");
    return {};
}

}  // namespace

TEST_CASE("password_command: its stdout's first line is the password", "[credentials]") {
    CHECK(resolve_password(account_with(SecretCommand{{"printf", "secret"}, "printf secret"})) == "secret");
    CHECK(resolve_password(account_with(shell_command("printf 'pw with spaces\\r\\nmetadata: x\\n'"))) == "pw with spaces");
    // stderr chatter does not leak into the password
    CHECK(resolve_password(account_with(shell_command("echo noise >&2; echo s3cret"))) == "s3cret");
}

TEST_CASE("password_command failures say why without showing stdout", "[credentials]") {
    const std::string failed = credential_error(account_with(shell_command("echo top$(echo secret); printf 'gpg: decryption failed\\nsecond%s\\n' -line >&2; exit 3")));
    CHECK_THAT(failed, Catch::Contains("accounts.work.password_command") && Catch::Contains("exit status 3") &&
                           Catch::Contains("the first line of its stderr: \"gpg: decryption failed\""));
    CHECK_THAT(failed, !Catch::Contains("topsecret") && !Catch::Contains("second-line"));
    // A long first line is cut.
    const std::string long_line = credential_error(account_with(shell_command("printf 'x%.0s' $(seq 1 5000) >&2; exit 1")));
    CHECK_THAT(long_line, Catch::Contains(std::string(200, 'x') + "...\""));
    CHECK(long_line.size() < 600);

    const std::string not_found = credential_error(account_with(SecretCommand{{"mailsync-no-such-program"}, "mailsync-no-such-program"}));
    CHECK_THAT(not_found, Catch::Contains("command not found: mailsync-no-such-program"));

    CHECK_THAT(credential_error(account_with(shell_command("true"))), Catch::Contains("printed nothing"));
    CHECK_THAT(credential_error(account_with(shell_command("kill -9 $$"))), Catch::Contains("killed by signal 9"));
    CHECK_THAT(credential_error(account_with(shell_command("head -c 70000 /dev/zero | tr '\\0' a"))), Catch::Contains("more than 64 KiB"));
}

TEST_CASE("password_command that hangs is killed at the timeout", "[credentials]") {
    const auto started = std::chrono::steady_clock::now();
    try {
        run_secret_command(SecretCommand{{"sleep", "30"}, "sleep 30"}, "test", std::chrono::milliseconds(300));
        FAIL("no timeout");
    } catch (const Error& error) {
        CHECK_THAT(error.what(), Catch::Contains("did not finish"));
    }
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("password_file must be private to its owner", "[credentials]") {
    const test::ScratchDirectory scratch;
    const auto shared = scratch.write("shared", "secret\n", 0644);
    const std::string message = credential_error(account_with(PasswordFile{shared}));
    CHECK_THAT(message, Catch::Contains("accounts.work.password_file") && Catch::Contains(shared.string()) &&
                            Catch::Contains("chmod 600") && Catch::Contains("0644"));
    CHECK_THAT(message, !Catch::Contains("secret\n"));

    const auto group_readable = scratch.write("group", "secret\n", 0640);
    CHECK_THAT(credential_error(account_with(PasswordFile{group_readable})), Catch::Contains("chmod 600"));

    const auto private_file = scratch.write("private", "secret\r\nsecond line\n", 0600);
    CHECK(resolve_password(account_with(PasswordFile{private_file})) == "secret");

    CHECK_THAT(credential_error(account_with(PasswordFile{scratch.path() / "missing"})), Catch::Contains("cannot open"));
    // A FIFO would block the open for ever; a directory cannot be read as a secret.
    const auto fifo = scratch.path() / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THAT(credential_error(account_with(PasswordFile{fifo})), Catch::Contains("not a regular file"));
    CHECK_THAT(credential_error(account_with(PasswordFile{scratch.path()})), Catch::Contains("not a regular file"));
    const auto empty = scratch.write("empty", "\nsecret\n", 0600);
    CHECK_THAT(credential_error(account_with(PasswordFile{empty})), Catch::Contains("first line"));
}

TEST_CASE("inline passwords and accounts without one", "[credentials]") {
    CHECK(resolve_password(account_with(InlinePassword{"p"})) == "p");
    CHECK_THAT(credential_error(account_with(std::monostate{})), Catch::Contains("no password is configured"));
}

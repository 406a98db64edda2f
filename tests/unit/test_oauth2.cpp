// OAuth2: token responses, and the account's secret provider against a local HTTPS token endpoint
// (tests/support/token_endpoint.py): refresh on expiry, on rejection, caching in the store,
// token_command, and errors that say what is wrong without a secret in them.
#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "cli/config.hpp"
#include "cli/server.hpp"
#include "common/error.hpp"
#include "config_test_support.hpp"
#include "store/store.hpp"
#include "sync/auth/oauth2.hpp"

extern char** environ;

using namespace mailsync;
namespace fs = std::filesystem;

namespace {

// The token endpoint, run as a child process for the test's lifetime.
class TokenServer {
public:
    explicit TokenServer(fs::path state) : state_(std::move(state)) {
        fs::create_directories(state_);
        const std::string script = MAILSYNC_SOURCE_DIR "/tests/support/token_endpoint.py";
        std::vector<std::string> words{"python3", script, state_.string()};
        std::vector<char*> argv;
        for (auto& word : words) argv.push_back(word.data());
        argv.push_back(nullptr);
        if (::posix_spawnp(&pid_, "python3", nullptr, nullptr, argv.data(), environ) != 0) throw std::runtime_error("spawn failed");
        for (int i = 0; i < 200 && !fs::exists(state_ / "ports"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::ifstream ports(state_ / "ports");
        if (!(ports >> https_port_ >> http_port_)) throw std::runtime_error("the token endpoint did not start");
    }
    ~TokenServer() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    TokenServer(const TokenServer&) = delete;
    TokenServer& operator=(const TokenServer&) = delete;

    std::string url() const { return "https://127.0.0.1:" + std::to_string(https_port_) + "/token"; }
    fs::path ca_file() const { return state_ / "cert.pem"; }
    int refreshes() const {
        const std::string text = test::read_file(state_ / "count");
        return text.empty() ? 0 : std::stoi(text);
    }
    std::string requests() const { return test::read_file(state_ / "requests"); }
    void set(const std::string& name, const std::string& value) const { std::ofstream(state_ / name) << value; }
    void revoke_all() const {
        for (const auto& entry : fs::directory_iterator(state_ / "tokens")) fs::remove(entry.path());
    }

private:
    fs::path state_;
    pid_t pid_ = 0;
    int https_port_ = 0, http_port_ = 0;
};

cli::Config load(const test::ScratchDirectory& scratch, const std::string& oauth2_block) {
    const std::string yaml = "accounts:\n  mail:\n    host: 127.0.0.1\n    tls: none\n    user: me@example.com\n"
                             "    auth: xoauth2\n    store: " + (scratch.path() / "store").string() + "\n    oauth2:\n" + oauth2_block;
    cli::Environment environment;
    environment.home = scratch.path().string();
    return cli::parse_config(yaml, (scratch.path() / "config.yaml").string(), environment);
}

bool category_is(const Error& error, ErrorCategory category) { return error.category() == category; }

}  // namespace

TEST_CASE("token responses: a Bearer token with its expiry, or a clear error without secrets", "[oauth2]") {
    const auto ok = sync::parse_token_response(200, R"({"access_token":"ya29.abc","token_type":"Bearer","expires_in":3599})",
                                               "https://t/token", 1000);
    CHECK(ok.token == "ya29.abc");
    CHECK(ok.expires_at == 1000 + 3599);
    CHECK_FALSE(ok.new_refresh_token);
    const auto rotated = sync::parse_token_response(200, R"({"access_token":"a","refresh_token":"r2"})", "u", 0);
    CHECK(rotated.expires_at == sync::default_token_lifetime.count());
    CHECK(rotated.new_refresh_token == "r2");

    try {
        sync::parse_token_response(400, R"({"error":"invalid_grant","error_description":"Token has been expired or revoked."})",
                                   "https://t/token", 0);
        FAIL("no error");
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::auth);
        CHECK_THAT(error.what(), Catch::Contains("invalid_grant") && Catch::Contains("expired or revoked") &&
                                     Catch::Contains("https://t/token"));
    }
    const auto category_of = [](long status, const std::string& body) {
        try {
            sync::parse_token_response(status, body, "u", 0);
        } catch (const Error& error) {
            return error.category();
        }
        return ErrorCategory::internal;
    };
    CHECK(category_of(503, "busy") == ErrorCategory::unavailable);
    CHECK(category_of(200, "<html>") == ErrorCategory::protocol);
    CHECK(category_of(200, R"({"token_type":"Bearer"})") == ErrorCategory::protocol);
    CHECK(category_of(200, R"({"access_token":"a","token_type":"mac"})") == ErrorCategory::protocol);
    CHECK(category_of(200, R"({"access_token":"a","expires_in":"soon"})") == ErrorCategory::protocol);
    CHECK(category_of(302, "") == ErrorCategory::protocol);
}

TEST_CASE("OAuth2 through the token endpoint: cached, refreshed on expiry and on rejection", "[oauth2]") {
    test::ScratchDirectory scratch;
    TokenServer server(scratch.path() / "endpoint");
    const fs::path refresh_file = scratch.write("refresh-token", "refresh-SECRET-1\n", 0600);
    const cli::Config config = load(scratch, "      token_endpoint: " + server.url() + "\n      client_id: client-1\n"
                                             "      client_secret_command: [printf, \"client-SECRET\"]\n"
                                             "      refresh_token_file: " + refresh_file.string() + "\n"
                                             "      ca_file: " + server.ca_file().string() + "\n");
    const cli::Account& account = config.accounts.at(0);

    auto secret = cli::secret_provider(account);
    const std::string first = secret(false);
    CHECK(first.starts_with("access-1-"));
    CHECK(server.refreshes() == 1);
    CHECK_THAT(server.requests(), Catch::Contains("grant_type=refresh_token") && Catch::Contains("refresh_token=refresh-SECRET-1") &&
                                      Catch::Contains("client_id=client-1") && Catch::Contains("client_secret=client-SECRET"));

    SECTION("a good token is reused, from the store, by a later process too") {
        CHECK(secret(false) == first);
        CHECK(cli::secret_provider(account)(false) == first);
        CHECK(server.refreshes() == 1);
        auto store = store::Store::open(account.store, store::Access::shared);
        const auto cached = sync::cached_access_token(store, sync::token_cache_key({server.url(), "client-1", "", {}}, account.user), 0);
        CHECK(cached == first);
        // The store, which holds the access token, is private.
        CHECK((fs::status(account.store / "data.mdb").permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
    }
    SECTION("an expired token is refreshed") {
        server.set("expires_in", "30");   // within the expiry margin: as good as expired
        const std::string second = secret(true);
        CHECK(server.refreshes() == 2);
        const std::string third = secret(false);
        CHECK(server.refreshes() == 3);
        CHECK(third != second);
    }
    SECTION("a token the server rejected is refreshed (refresh=true), even while cached") {
        const std::string second = secret(true);
        CHECK(second != first);
        CHECK(server.refreshes() == 2);
        CHECK(secret(false) == second);   // and the new one is what is cached
        CHECK(server.refreshes() == 2);
    }
    SECTION("a refused refresh token is Error(auth) with the server's words and no secret") {
        server.set("mode", "invalid_grant");
        try {
            secret(true);
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.category() == ErrorCategory::auth);
            const std::string message = error.what();
            CHECK_THAT(message, Catch::Contains("invalid_grant") && Catch::Contains("expired or revoked"));
            for (const char* secret_text : {"refresh-SECRET", "client-SECRET", "access-"}) CHECK(message.find(secret_text) == std::string::npos);
        }
    }
    SECTION("an endpoint failing with 5xx is worth retrying later") {
        server.set("mode", "server_error");
        CHECK_THROWS_MATCHES(secret(true), Error, Catch::Predicate<Error>([](const Error& e) { return category_is(e, ErrorCategory::unavailable); }));
    }
}

TEST_CASE("OAuth2 endpoint errors: untrusted certificate, unreadable refresh token", "[oauth2]") {
    test::ScratchDirectory scratch;
    TokenServer server(scratch.path() / "endpoint");
    const fs::path refresh_file = scratch.write("refresh-token", "refresh-SECRET-1\n", 0600);

    SECTION("the certificate is verified: without the CA file the endpoint is refused") {
        const auto config = load(scratch, "      token_endpoint: " + server.url() + "\n      client_id: c\n      refresh_token_file: " +
                                              refresh_file.string() + "\n");
        CHECK_THROWS_MATCHES(cli::secret_provider(config.accounts.at(0))(false), Error,
                             Catch::Predicate<Error>([](const Error& e) { return category_is(e, ErrorCategory::protocol); }));
        CHECK(server.refreshes() == 0);
    }
    SECTION("a refresh token file others can read is a configuration error") {
        ::chmod(refresh_file.c_str(), 0644);
        const auto config = load(scratch, "      token_endpoint: " + server.url() + "\n      client_id: c\n      refresh_token_file: " +
                                              refresh_file.string() + "\n      ca_file: " + server.ca_file().string() + "\n");
        try {
            cli::secret_provider(config.accounts.at(0))(false);
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.category() == ErrorCategory::config);
            CHECK_THAT(error.what(), Catch::Contains("chmod 600"));
            CHECK_THAT(error.what(), !Catch::Contains("refresh-SECRET"));
        }
    }
    SECTION("a failing refresh_token_command is a configuration error naming the setting") {
        const auto config = load(scratch, "      token_endpoint: " + server.url() + "\n      client_id: c\n"
                                              "      refresh_token_command: {shell: \"printf 'refresh-%s' SECRET; echo no keyring >&2; exit 3\"}\n"
                                              "      ca_file: " + server.ca_file().string() + "\n");
        try {
            cli::secret_provider(config.accounts.at(0))(false);
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.category() == ErrorCategory::config);
            CHECK_THAT(error.what(), Catch::Contains("refresh_token_command") && Catch::Contains("exit status 3") &&
                                         Catch::Contains("no keyring"));
            CHECK_THAT(error.what(), !Catch::Contains("refresh-SECRET"));
        }
    }
}

TEST_CASE("OAuth2 token_command: its output, run again on refresh, and its failure is a configuration error", "[oauth2]") {
    test::ScratchDirectory scratch;
    const fs::path counter = scratch.path() / "n";
    const auto config = load(scratch, "      token_command: {shell: \"echo x >> '" + counter.string() + "'; echo tok-$(wc -l < '" +
                                          counter.string() + "')\"}\n");
    auto secret = cli::secret_provider(config.accounts.at(0));
    CHECK(secret(false) == "tok-1");
    CHECK(secret(true) == "tok-2");

    const auto failing = load(scratch, "      token_command: [sh, -c, \"printf 'tok-%s' SECRET; exit 1\"]\n");
    try {
        cli::secret_provider(failing.accounts.at(0))(false);
        FAIL("no error");
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::config);
        CHECK_THAT(error.what(), Catch::Contains("token_command") && !Catch::Contains("tok-SECRET"));
    }
}

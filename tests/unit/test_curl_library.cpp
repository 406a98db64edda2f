// libcurl is dlopen'ed on the first token request (sync/auth/curl_library.hpp): a library that
// cannot be loaded is a configuration error (exit 78) naming it, `--version` says so instead of
// failing, and a later load of the real library works. Each test case runs in its own process
// under CTest (catch_discover_tests), so libcurl is not loaded yet when it starts.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "cli/config.hpp"
#include "cli/exit_codes.hpp"
#include "cli/server.hpp"
#include "cli/version.hpp"
#include "common/error.hpp"
#include "config_test_support.hpp"
#include "sync/auth/curl_library.hpp"

using namespace mailsync;

namespace {

// An OAuth2 account whose token endpoint is never reached: the load fails before any request.
cli::Config oauth_config(const test::ScratchDirectory& scratch) {
    const auto refresh_file = scratch.write("refresh-token", "refresh-SECRET-1\n", 0600);
    const std::string yaml = "accounts:\n  mail:\n    host: 127.0.0.1\n    tls: none\n    user: me@example.com\n"
                             "    auth: xoauth2\n    store: " + (scratch.path() / "store").string() +
                             "\n    oauth2:\n      token_endpoint: https://127.0.0.1:1/token\n      client_id: c\n"
                             "      refresh_token_file: " + refresh_file.string() + "\n";
    cli::Environment environment;
    environment.home = scratch.path().string();
    return cli::parse_config(yaml, (scratch.path() / "config.yaml").string(), environment);
}

}  // namespace

TEST_CASE("libcurl that cannot be loaded: a token refresh is exit 78 naming the library, --version says why", "[oauth2][curl]") {
    REQUIRE(sync::libcurl_load_attempts() == 0);
    test::ScratchDirectory scratch;
    const auto config = oauth_config(scratch);

    {   // no such library
        sync::set_libcurl_name_for_testing("libcurl-mailsync-test-absent.so.4");
        try {
            cli::secret_provider(config.accounts.at(0))(false);
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.category() == ErrorCategory::config);
            CHECK(cli::exit_code_for(error.category()) == 78);
            CHECK_THAT(error.what(), Catch::Contains("cannot load libcurl (libcurl-mailsync-test-absent.so.4)") &&
                                         Catch::Contains("cannot open shared object file") &&
                                         Catch::Contains("install the libcurl4 package"));
            CHECK_THAT(error.what(), !Catch::Contains("refresh-SECRET"));
        }
        const std::string version = cli::version_text();
        CHECK_THAT(version, Catch::Contains("libcurl not loadable (built with " LIBCURL_VERSION "): cannot load libcurl"));
        CHECK_THAT(version, Catch::Contains("OpenSSL ") && Catch::Contains("CLI11 "));   // the other lines are there
    }
    {   // a library that is not libcurl
        sync::set_libcurl_name_for_testing("libz.so.1");
        try {
            cli::secret_provider(config.accounts.at(0))(false);
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.category() == ErrorCategory::config);
            CHECK_THAT(error.what(), Catch::Contains("cannot load libcurl (libz.so.1)") && Catch::Contains("it has no curl_"));
        }
    }
    CHECK(sync::libcurl_load_attempts() >= 1);

    // A failed load is not remembered: the real library loads on the next call.
    sync::set_libcurl_name_for_testing(sync::libcurl_soname);
    const curl_version_info_data* version = sync::libcurl().version_info(CURLVERSION_NOW);
    REQUIRE(version != nullptr);
    CHECK(version->version_num >= sync::libcurl_minimum_version);
    CHECK_THAT(cli::version_text(), Catch::Contains(std::string("libcurl ") + version->version));
}

TEST_CASE("libcurl is not loaded by reading the configuration or asking a token_command", "[oauth2][curl]") {
    test::ScratchDirectory scratch;
    const std::string yaml = "accounts:\n  mail:\n    host: 127.0.0.1\n    tls: none\n    user: me@example.com\n"
                             "    auth: xoauth2\n    store: " + (scratch.path() / "store").string() +
                             "\n    oauth2:\n      token_command: [printf, access-token-1]\n";
    cli::Environment environment;
    environment.home = scratch.path().string();
    const auto config = cli::parse_config(yaml, (scratch.path() / "config.yaml").string(), environment);
    CHECK(cli::secret_provider(config.accounts.at(0))(false) == "access-token-1");
    CHECK(sync::libcurl_load_attempts() == 0);
    // Control: the counter does count.
    sync::libcurl();
    CHECK(sync::libcurl_load_attempts() == 1);
}

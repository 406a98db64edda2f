// The Maildir view's configuration keys: maildir and maildir_layout.
#include <catch2/catch.hpp>

#include <string>

#include "cli/config.hpp"
#include "common/error.hpp"
#include "tests/unit/account_config.hpp"

using namespace mailsync;
using namespace mailsync::cli;

using mailsync::test::account_config_error;
using mailsync::test::parse_account_config;

TEST_CASE("maildir is off by default, maildir and maildir_layout are read", "[config][view]") {
    const Account plain = parse_account_config("").accounts.front();
    CHECK_FALSE(plain.maildir);
    CHECK(plain.maildir_layout == sync::MaildirLayout::verbatim);

    const Account verbatim = parse_account_config("    maildir: ~/Mail/work\n").accounts.front();
    REQUIRE(verbatim.maildir);
    CHECK(*verbatim.maildir == "/home/tester/Mail/work");
    CHECK(verbatim.maildir_layout == sync::MaildirLayout::verbatim);

    const Account plus = parse_account_config("    maildir: Mail\n    maildir_layout: maildir++\n").accounts.front();
    CHECK(*plus.maildir == "/etc/test/Mail");   // relative to the configuration file
    CHECK(plus.maildir_layout == sync::MaildirLayout::maildir_plus_plus);
}

TEST_CASE("maildir errors name the file, the line and the key", "[config][view]") {
    CHECK_THAT(account_config_error("    maildir: /m\n    maildir_layout: mbox\n"),
               Catch::Contains("config.yaml:8: accounts.work.maildir_layout: expected one of verbatim, maildir++, got \"mbox\""));
    CHECK_THAT(account_config_error("    maildir_layout: verbatim\n"),
               Catch::Contains("config.yaml:7: accounts.work.maildir_layout: has no effect without maildir: PATH"));
    CHECK_THAT(account_config_error("    maildir:\n"), Catch::Contains("config.yaml:7: accounts.work.maildir: expected a string, got nothing"));
    CHECK_THAT(account_config_error("    maildir: /data/store/view\n"),
               Catch::Contains("config.yaml:7: accounts.work.maildir: /data/store/view and the store /data/store must be apart"));
    CHECK_THAT(account_config_error("    maildir: /data\n"), Catch::Contains("accounts.work.maildir: /data and the store /data/store must be apart"));
    CHECK_THAT(account_config_error("    maildir: /data/store\n"), Catch::Contains("must be apart"));
    CHECK_THAT(account_config_error("    maildirs: /m\n"), Catch::Contains("accounts.work.maildirs: unknown key; did you mean \"maildir\"?"));
}

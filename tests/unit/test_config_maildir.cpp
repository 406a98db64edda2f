// The Maildir view's configuration keys: maildir and maildir_layout.
#include <catch2/catch.hpp>

#include <string>

#include "cli/config.hpp"
#include "common/error.hpp"

using namespace mailsync;
using namespace mailsync::cli;

namespace {

Config parse_maildir_config(const std::string& extra) {
    const Environment environment{std::nullopt, std::nullopt, std::string("/data"), std::string("/home/tester")};
    return parse_config("accounts:\n  work:\n    host: imap.example.com\n    user: me\n    password: x\n    store: /data/store\n" + extra,
                        "/etc/test/config.yaml", environment);
}

std::string maildir_config_error(const std::string& extra) {
    try {
        parse_maildir_config(extra);
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::config);
        return error.what();
    }
    FAIL("accepted: " << extra);
    return {};
}

}  // namespace

TEST_CASE("maildir is off by default, maildir and maildir_layout are read", "[config][view]") {
    const Account plain = parse_maildir_config("").accounts.front();
    CHECK_FALSE(plain.maildir);
    CHECK(plain.maildir_layout == sync::MaildirLayout::verbatim);

    const Account verbatim = parse_maildir_config("    maildir: ~/Mail/work\n").accounts.front();
    REQUIRE(verbatim.maildir);
    CHECK(*verbatim.maildir == "/home/tester/Mail/work");
    CHECK(verbatim.maildir_layout == sync::MaildirLayout::verbatim);

    const Account plus = parse_maildir_config("    maildir: Mail\n    maildir_layout: maildir++\n").accounts.front();
    CHECK(*plus.maildir == "/etc/test/Mail");   // relative to the configuration file
    CHECK(plus.maildir_layout == sync::MaildirLayout::maildir_plus_plus);
}

TEST_CASE("maildir errors name the file, the line and the key", "[config][view]") {
    CHECK_THAT(maildir_config_error("    maildir: /m\n    maildir_layout: mbox\n"),
               Catch::Contains("config.yaml:8: accounts.work.maildir_layout: expected one of verbatim, maildir++, got \"mbox\""));
    CHECK_THAT(maildir_config_error("    maildir_layout: verbatim\n"),
               Catch::Contains("config.yaml:7: accounts.work.maildir_layout: has no effect without maildir: PATH"));
    CHECK_THAT(maildir_config_error("    maildir:\n"), Catch::Contains("config.yaml:7: accounts.work.maildir: expected a string, got nothing"));
    CHECK_THAT(maildir_config_error("    maildir: /data/store/view\n"),
               Catch::Contains("config.yaml:7: accounts.work.maildir: /data/store/view and the store /data/store must be apart"));
    CHECK_THAT(maildir_config_error("    maildir: /data\n"), Catch::Contains("accounts.work.maildir: /data and the store /data/store must be apart"));
    CHECK_THAT(maildir_config_error("    maildir: /data/store\n"), Catch::Contains("must be apart"));
    CHECK_THAT(maildir_config_error("    maildirs: /m\n"), Catch::Contains("accounts.work.maildirs: unknown key; did you mean \"maildir\"?"));
}

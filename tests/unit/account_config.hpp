// One account's configuration with extra keys, for the tests of single keys: parsed, or the
// configuration error it raises. The account takes lines 2 to 6; the extra lines start at line 7.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "cli/config.hpp"
#include "common/error.hpp"

namespace mailsync::test {

inline cli::Config parse_account_config(const std::string& extra) {
    const cli::Environment environment{std::nullopt, std::nullopt, std::string("/data"), std::string("/home/tester")};
    return cli::parse_config("accounts:\n  work:\n    host: imap.example.com\n    user: me\n    password: x\n    store: /data/store\n" + extra,
                             "/etc/test/config.yaml", environment);
}

inline std::string account_config_error(const std::string& extra) {
    try {
        parse_account_config(extra);
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::config);
        return error.what();
    }
    FAIL("accepted: " << extra);
    return {};
}

}  // namespace mailsync::test

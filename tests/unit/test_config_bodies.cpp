// Headers first's configuration keys (bodies, max_size) and the rule they make
// (sync/pull/body_rule.hpp).
#include <catch2/catch.hpp>

#include <string>

#include "cli/config.hpp"
#include "common/error.hpp"
#include "tests/unit/account_config.hpp"
#include "sync/pull/body_rule.hpp"

using namespace mailsync;
using namespace mailsync::cli;
using mailsync::test::account_config_error;
using mailsync::test::parse_account_config;

namespace {

store::MessageRecord message_of(std::uint64_t size, store::UnixTime internaldate) {
    store::MessageRecord record;
    record.size = size;
    record.internaldate = internaldate;
    return record;
}

}  // namespace

TEST_CASE("bodies and max_size make the account's body rule", "[config]") {
    using Bodies = sync::BodyRule::Bodies;
    CHECK(parse_account_config("").accounts[0].body_rule == sync::BodyRule{});
    CHECK(parse_account_config("").accounts[0].body_rule.downloads_everything());
    CHECK(parse_account_config("    bodies: headers\n").accounts[0].body_rule.bodies == Bodies::headers);
    CHECK(parse_account_config("    bodies: all\n    mode: backup\n").accounts[0].body_rule.downloads_everything());
    const auto newer = parse_account_config("    bodies:\n      newer-than: 90d\n").accounts[0].body_rule;
    CHECK(newer.bodies == Bodies::newer_than);
    CHECK(newer.newer_than_seconds == 90 * 86400);
    CHECK(parse_account_config("    bodies: {newer-than: 2w}\n").accounts[0].body_rule.newer_than_seconds == 14 * 86400);
    CHECK(parse_account_config("    max_size: 10MB\n").accounts[0].body_rule.max_size == 10u << 20);
    CHECK(parse_account_config("    max_size: 500k\n").accounts[0].body_rule.max_size == 500u << 10);
    CHECK(parse_account_config("    max_size: 1GiB\n").accounts[0].body_rule.max_size == 1u << 30);
    CHECK(parse_account_config("    max_size: 4096\n").accounts[0].body_rule.max_size == 4096u);
    CHECK_FALSE(parse_account_config("    max_size: 0\n").accounts[0].body_rule.max_size.has_value());
}

TEST_CASE("bad bodies and max_size values, and either in backup mode, name the key", "[config]") {
    CHECK_THAT(account_config_error("    bodies: some\n"),
               Catch::Contains("config.yaml:7: accounts.work.bodies: expected one of all, headers"));
    CHECK_THAT(account_config_error("    bodies: newer-than 90d\n"),
               Catch::Contains("accounts.work.bodies: write the age as a map: bodies: {newer-than: 90d}"));
    CHECK_THAT(account_config_error("    bodies:\n      newer-than: 90\n"),
               Catch::Contains("config.yaml:8: accounts.work.bodies.newer-than: expected an age in days or weeks"));
    CHECK_THAT(account_config_error("    bodies:\n      newer_than: 9d\n"), Catch::Contains("accounts.work.bodies.newer_than: unknown key"));
    CHECK_THAT(account_config_error("    max_size: ten\n"), Catch::Contains("accounts.work.max_size: expected a size in bytes"));
    CHECK_THAT(account_config_error("    max_size: 10XB\n"), Catch::Contains("accounts.work.max_size: expected a size in bytes"));
    CHECK_THAT(account_config_error("    mode: backup\n    bodies: headers\n"),
               Catch::Contains("config.yaml:8: accounts.work.bodies: mode: backup downloads every body"));
    CHECK_THAT(account_config_error("    mode: backup\n    max_size: 1M\n"),
               Catch::Contains("config.yaml:8: accounts.work.max_size: mode: backup downloads every body"));
}

TEST_CASE("the body rule: which messages get their body, and its fingerprint", "[config]") {
    const store::UnixTime now = 1'800'000'000;
    sync::BodyRule rule;
    CHECK(sync::wants_body(rule, message_of(50u << 20, 0), now));
    CHECK(rule.fingerprint() == "all");
    rule.max_size = 1000;
    CHECK(sync::wants_body(rule, message_of(1000, now), now));
    CHECK_FALSE(sync::wants_body(rule, message_of(1001, now), now));
    CHECK(rule.fingerprint() == "all, max 1000 bytes");
    rule.bodies = sync::BodyRule::Bodies::newer_than;
    rule.newer_than_seconds = 86400;
    CHECK(sync::wants_body(rule, message_of(10, now - 86400), now));
    CHECK_FALSE(sync::wants_body(rule, message_of(10, now - 86401), now));
    CHECK_FALSE(sync::wants_body(rule, message_of(2000, now), now));
    CHECK(rule.fingerprint() == "newer-than 86400s, max 1000 bytes");
    rule.bodies = sync::BodyRule::Bodies::headers;
    CHECK_FALSE(sync::wants_body(rule, message_of(1, now), now));
    CHECK(rule.fingerprint() == "headers");
}

TEST_CASE("parse_byte_size and parse_age", "[config]") {
    CHECK(parse_byte_size("1k") == 1024u);
    CHECK(parse_byte_size("1KB") == 1024u);
    CHECK(parse_byte_size("2MiB") == 2u << 20);
    CHECK(parse_byte_size("7b") == 7u);
    CHECK_FALSE(parse_byte_size("").has_value());
    CHECK_FALSE(parse_byte_size("M").has_value());
    CHECK_FALSE(parse_byte_size("-1").has_value());
    CHECK_FALSE(parse_byte_size("999999999999999G").has_value());
    CHECK(parse_age("1d") == 86400);
    CHECK(parse_age("3W") == 3 * 7 * 86400);
    CHECK_FALSE(parse_age("0d").has_value());
    CHECK_FALSE(parse_age("5m").has_value());
    CHECK_FALSE(parse_age("d").has_value());
    CHECK_FALSE(parse_age("1000000d").has_value());
}

// Parsers of command arguments, the exit code table, JSON output helpers, and command-line parsing.
#include <catch2/catch.hpp>

#include <sstream>

#include "cli/app.hpp"
#include "cli/arguments.hpp"
#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "common/error.hpp"

using namespace mailsync;
using namespace mailsync::cli;

namespace {

template <typename Function>
std::string bad_input_message(Function&& function) {
    try {
        function();
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::bad_input);
        return error.what();
    }
    FAIL("accepted");
    return {};
}

ParsedCommandLine parse(std::vector<std::string> arguments) { return parse_command_line(arguments); }

ErrorCategory parse_error_category(std::vector<std::string> arguments) {
    try {
        parse_command_line(arguments);
    } catch (const Error& error) {
        return error.category();
    }
    FAIL("accepted");
    return ErrorCategory::internal;
}

}  // namespace

TEST_CASE("IDS: ids and ranges", "[arguments]") {
    using Ids = std::vector<MessageId>;
    CHECK(parse_ids("4") == Ids{4});
    CHECK(parse_ids("4,7:9") == Ids{4, 7, 8, 9});
    CHECK(parse_ids("9:7") == Ids{7, 8, 9});
    CHECK(parse_ids("5,1,3:4,4,2") == Ids{1, 2, 3, 4, 5});
    CHECK(parse_ids("18446744073709551615") == Ids{18446744073709551615ULL});
    CHECK(parse_ids("18446744073709551614:18446744073709551615") == Ids{18446744073709551614ULL, 18446744073709551615ULL});
    CHECK(parse_ids("1:1000000").size() == max_ids_per_argument);
    CHECK(parse_ids("1:600000,400000:1000000").size() == 1'000'000);  // overlaps count once
}

TEST_CASE("IDS: garbage is bad input naming the piece", "[arguments]") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "missing message ids"},
        {"0", "ids start at 1"},
        {"3:0", "ids start at 1"},
        {"x", "\"x\" is not a message id"},
        {"4,,5", "empty item"},
        {"4,", "empty item"},
        {"1:2:3", "\"2:3\" is not a message id"},
        {"-1", "\"-1\" is not a message id"},
        {"+1", "\"+1\" is not a message id"},
        {" 1", "\" 1\" is not a message id"},
        {"*", "\"*\" is not a message id"},
        {"18446744073709551616", "is not a message id"},
        {"1:1000001", "more than 1000000 messages"},
        {"1:18446744073709551615", "more than 1000000 messages"},
        {"1:600000,700000:1200000", "more than 1000000 messages"},
    };
    for (const auto& [text, expected] : cases) {
        INFO(text);
        CHECK_THAT(bad_input_message([&] { parse_ids(text); }), Catch::Contains(expected));
    }
    CHECK(parse_id("12") == 12);
    CHECK_THAT(bad_input_message([] { parse_id("1,2"); }), Catch::Contains("not a message id"));
}

TEST_CASE("flag changes: system flags by name, keywords verbatim", "[arguments]") {
    using Flags = std::vector<std::string>;
    const std::vector<std::string> arguments = {"+seen", "-FLAGGED", "+$Label1", "+\\Answered", "-draft +Deleted", "+seen"};
    const FlagChanges changes = parse_flag_changes(arguments);
    CHECK(changes.add == Flags{"$Label1", "\\Answered", "\\Deleted", "\\Seen"});
    CHECK(changes.remove == Flags{"\\Draft", "\\Flagged"});

    const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
        {{}, "no flag change given"},
        {{"seen"}, "\"seen\": a flag change is +NAME or -NAME"},
        {{"+"}, "a flag name is missing"},
        {{"+\\Recent"}, "unknown system flag"},
        {{"+a(b"}, "cannot contain '('"},
        {{"+a]"}, "cannot contain ']'"},
        {{"+a\"b"}, "cannot contain '\"'"},
        {{"+a%"}, "cannot contain '%'"},
        {{"+a*"}, "cannot contain '*'"},
        {{"+a{1}"}, "cannot contain '{'"},
        {{"+a\\b"}, "cannot contain '\\'"},
        {{"+caf\xc3\xa9"}, "non-ASCII"},
        {{"+a\x01"}, "control characters"},
        {{"+seen", "-SEEN"}, "\"\\Seen\" is both added and removed"},
        {{"+Junk", "-junk"}, "both added and removed"},
    };
    for (const auto& [input, expected] : bad) {
        INFO((input.empty() ? std::string("(none)") : input.front()));
        CHECK_THAT(bad_input_message([&] { parse_flag_changes(input); }), Catch::Contains(expected));
    }
}

TEST_CASE("append --flags and --date", "[arguments]") {
    CHECK(parse_flag_list("seen,draft $Label") == std::vector<std::string>{"$Label", "\\Draft", "\\Seen"});
    CHECK(parse_flag_list("").empty());
    CHECK_THAT(bad_input_message([] { parse_flag_list("seen,a(b"); }), Catch::Contains("a(b"));

    const Timestamp utc = parse_rfc3339("2024-05-01T12:30:00Z");
    CHECK(utc.unix_seconds == 1714566600);
    CHECK(utc.utc_offset_minutes == 0);
    const Timestamp zoned = parse_rfc3339("2024-05-01T14:30:00.123+02:00");
    CHECK(zoned.unix_seconds == 1714566600);
    CHECK(zoned.utc_offset_minutes == 120);
    CHECK(parse_rfc3339("1970-01-01T00:00:00-00:30").unix_seconds == 1800);
    CHECK(parse_rfc3339("2000-02-29T00:00:00Z").unix_seconds == 951782400);
    for (const char* bad : {"2024-05-01", "2024-05-01T12:30:00", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
                            "2024-05-01T24:00:00Z", "2024-05-01T12:30:00+2:00", "2024-05-01T12:30:00Zjunk", "yesterday"}) {
        INFO(bad);
        CHECK_THAT(bad_input_message([&] { parse_rfc3339(bad); }), Catch::Contains("RFC 3339"));
    }
}

TEST_CASE("exit codes: one per error category", "[exit_codes]") {
    const std::vector<std::pair<ErrorCategory, int>> table = {
        {ErrorCategory::usage, 64},       {ErrorCategory::bad_input, 65}, {ErrorCategory::unavailable, 75},
        {ErrorCategory::cannot_create, 73}, {ErrorCategory::io, 74},      {ErrorCategory::protocol, 76},
        {ErrorCategory::auth, 77},        {ErrorCategory::config, 78},    {ErrorCategory::busy, 75},
        {ErrorCategory::internal, 70},
    };
    for (const auto& [category, code] : table) {
        INFO(static_cast<int>(category));
        CHECK(exit_code_for(category) == code);
    }
}

TEST_CASE("JSON: strings are escaped and kept valid UTF-8", "[output]") {
    CHECK(json_quote("plain") == "\"plain\"");
    CHECK(json_quote("a\"b\\c\n\t\x01") == "\"a\\\"b\\\\c\\n\\t\\u0001\"");
    CHECK(json_quote("caf\xc3\xa9 \xf0\x9f\x93\xa7") == "\"caf\xc3\xa9 \xf0\x9f\x93\xa7\"");
    CHECK(json_quote("bad \xff end") == "\"bad \xef\xbf\xbd end\"");
    CHECK(json_quote("overlong \xc0\xaf") == "\"overlong \xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK(json_quote("surrogate \xed\xa0\x80") == "\"surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK(json_quote("cut \xe2\x82") == "\"cut \xef\xbf\xbd\xef\xbf\xbd\"");

    JsonWriter json;
    json.begin_object().key("name").value("INBOX").key("uid").value(std::optional<std::uint64_t>{}).key("flags").begin_array();
    json.value("\\Seen").value("$Label1").end_array().key("size").value(std::uint64_t{42}).key("ok").value(true).end_object();
    CHECK(json.str() == R"({"name":"INBOX","uid":null,"flags":["\\Seen","$Label1"],"size":42,"ok":true})");

    JsonWriter unfinished;
    unfinished.begin_array();
    CHECK_THROWS_AS(unfinished.str(), Error);
}

TEST_CASE("output: quiet by default off a terminal, notes with -v", "[output]") {
    std::ostringstream out, err;
    Output cron(out, err, Verbosity::normal, false, false);
    cron.note("synced");
    cron.detail("details");
    cron.result("the listing");
    cron.warning("careful");
    CHECK(out.str() == "the listing\n");
    CHECK(err.str() == "mailsync: warning: careful\n");

    std::ostringstream out2, err2;
    Output verbose(out2, err2, Verbosity::verbose, false, false);
    verbose.note("synced");
    verbose.detail("details");
    CHECK(err2.str() == "synced\ndetails\n");

    std::ostringstream out3, err3;
    Output quiet(out3, err3, Verbosity::quiet, false, true);
    quiet.note("synced");
    quiet.warning("careful");
    CHECK(err3.str().empty());
    CHECK_FALSE(quiet.shows_progress());

    std::ostringstream out4, err4;
    Output terminal(out4, err4, Verbosity::normal, false, true);
    terminal.note("synced");
    CHECK(err4.str() == "synced\n");
}

TEST_CASE("command line: global options and each command's arguments", "[cli]") {
    const ParsedCommandLine sync = parse({"-c", "/x.yaml", "-a", "work", "-v", "sync", "INBOX", "Sent", "--pull-only"});
    REQUIRE(sync.invocation);
    CHECK(sync.invocation->global.config_file == "/x.yaml");
    CHECK(sync.invocation->global.account == "work");
    CHECK(sync.invocation->global.verbosity == Verbosity::verbose);
    CHECK_FALSE(sync.invocation->global.json);
    const auto& sync_arguments = std::get<SyncArguments>(sync.invocation->arguments);
    CHECK(sync_arguments.mailboxes == std::vector<std::string>{"INBOX", "Sent"});
    CHECK(sync_arguments.pull_only);
    CHECK_FALSE(sync_arguments.push_only);

    const ParsedCommandLine list = parse({"list", "INBOX", "--deleted", "--json"});
    REQUIRE(list.invocation);
    CHECK(list.invocation->global.json);  // global options after the command word work too
    CHECK(std::get<ListArguments>(list.invocation->arguments).mailbox == "INBOX");
    CHECK(std::get<ListArguments>(list.invocation->arguments).deleted);

    const auto flag = parse({"-a", "work", "flag", "INBOX", "4,7:9", "+seen", "-answered", "-flagged", "+$Junk"});
    REQUIRE(flag.invocation);
    CHECK(flag.invocation->global.account == "work");  // "-answered" is not "-a nswered"
    const auto& flag_arguments = std::get<FlagArguments>(flag.invocation->arguments);
    CHECK(flag_arguments.mailbox == "INBOX");
    CHECK(flag_arguments.ids == std::vector<MessageId>{4, 7, 8, 9});
    CHECK(flag_arguments.changes.add == std::vector<std::string>{"$Junk", "\\Seen"});
    CHECK(flag_arguments.changes.remove == std::vector<std::string>{"\\Answered", "\\Flagged"});
    const auto dashed = parse({"flag", "INBOX", "3", "--", "-seen"});
    REQUIRE(dashed.invocation);
    CHECK(std::get<FlagArguments>(dashed.invocation->arguments).changes.remove == std::vector<std::string>{"\\Seen"});

    const auto move = parse({"move", "INBOX", "1:3", "Archive"});
    REQUIRE(move.invocation);
    CHECK(std::get<MoveArguments>(move.invocation->arguments).destination == "Archive");
    CHECK(std::get<MoveArguments>(move.invocation->arguments).ids.size() == 3);

    const auto append = parse({"append", "Sent", "msg.eml", "--flags", "seen", "--date", "2024-05-01T12:30:00Z"});
    REQUIRE(append.invocation);
    const auto& append_arguments = std::get<AppendArguments>(append.invocation->arguments);
    CHECK(append_arguments.file == "msg.eml");
    CHECK(append_arguments.flags == std::vector<std::string>{"\\Seen"});
    REQUIRE(append_arguments.date);
    CHECK(append_arguments.date->unix_seconds == 1714566600);

    const auto exported = parse({"export", "--format", "mbox", "/backup", "INBOX"});
    REQUIRE(exported.invocation);
    CHECK(std::get<ExportArguments>(exported.invocation->arguments).format == ExportFormat::mbox);
    CHECK(std::get<ExportArguments>(exported.invocation->arguments).directory == "/backup");

    const auto rename = parse({"rename", "Old", "New"});
    REQUIRE(rename.invocation);
    CHECK(std::get<RenameArguments>(rename.invocation->arguments).new_name == "New");
    CHECK(parse({"show", "INBOX", "7", "--raw"}).invocation.has_value());
    CHECK(parse({"-q", "probe"}).invocation->global.verbosity == Verbosity::quiet);
}

TEST_CASE("command line: help and version answer at once", "[cli]") {
    const auto help = parse({"--help"});
    CHECK_FALSE(help.invocation);
    CHECK_THAT(help.immediate_output, Catch::Contains("sync") && Catch::Contains("verify") && Catch::Contains("probe"));
    const auto flag_help = parse({"flag", "--help"});
    CHECK_FALSE(flag_help.invocation);
    CHECK_THAT(flag_help.immediate_output, Catch::Contains("MAILBOX") && Catch::Contains("IDS"));
    CHECK_THAT(parse({"--version"}).immediate_output, Catch::StartsWith("mailsync "));
}

TEST_CASE("command line: usage errors and bad values", "[cli]") {
    CHECK(parse_error_category({}) == ErrorCategory::usage);
    CHECK(parse_error_category({"frobnicate"}) == ErrorCategory::usage);
    CHECK(parse_error_category({"sync", "--bogus"}) == ErrorCategory::usage);
    CHECK(parse_error_category({"list"}) == ErrorCategory::usage);
    CHECK(parse_error_category({"move", "INBOX", "1"}) == ErrorCategory::usage);
    CHECK(parse_error_category({"-q", "-v", "status"}) == ErrorCategory::usage);
    CHECK(parse_error_category({"sync", "--pull-only", "--push-only"}) == ErrorCategory::usage);
    CHECK(parse_error_category({"export", "--format", "zip", "/d"}) == ErrorCategory::usage);
    CHECK(parse_error_category({"export", "/d"}) == ErrorCategory::usage);
    CHECK(parse_error_category({"-c"}) == ErrorCategory::usage);
    CHECK(parse_error_category({"delete", "INBOX", "0"}) == ErrorCategory::bad_input);
    CHECK(parse_error_category({"flag", "INBOX", "1"}) == ErrorCategory::bad_input);
    CHECK(parse_error_category({"flag", "INBOX", "1", "+a(b"}) == ErrorCategory::bad_input);
    CHECK(parse_error_category({"show", "INBOX", "x"}) == ErrorCategory::bad_input);
    CHECK(parse_error_category({"append", "INBOX", "f", "--date", "tomorrow"}) == ErrorCategory::bad_input);
    try {
        parse_command_line({"frobnicate"});
    } catch (const Error& error) {
        CHECK_THAT(error.what(), Catch::Contains("unknown command \"frobnicate\""));
    }
}

TEST_CASE("several accounts: -a A -a B or -a A,B for sync, one only for a one-account command", "[cli]") {
    const ParsedCommandLine repeated = parse({"-a", "work", "-a", "home", "sync"});
    REQUIRE(repeated.invocation);
    CHECK(repeated.invocation->global.account == "work,home");
    const ParsedCommandLine listed = parse({"-a", "work,home", "sync"});
    REQUIRE(listed.invocation);
    CHECK(listed.invocation->global.account == "work,home");

    Environment environment;
    environment.home = "/home/tester";
    const Config config = parse_config("accounts:\n"
                                       "  home:\n    host: a.example\n    user: u\n    password_command: p\n"
                                       "  work:\n    host: b.example\n    user: u\n    password_command: p\n"
                                       "  other:\n    host: c.example\n    user: u\n    password_command: p\n",
                                       "/etc/test/config.yaml", environment);
    // In the order given, each once.
    const auto selected = select_accounts(config, std::string("work,home,work"), "sync", false);
    REQUIRE(selected.size() == 2);
    CHECK(selected[0]->name == "work");
    CHECK(selected[1]->name == "home");
    CHECK(select_accounts(config, std::nullopt, "sync", false).size() == 3);
    try {
        select_accounts(config, std::string("work,home"), "list", true);
        FAIL("two accounts accepted for a one-account command");
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::usage);
    }
    try {
        select_accounts(config, std::string("work,nope"), "sync", false);
        FAIL("an unknown account accepted");
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::config);
        CHECK(std::string(error.what()).find("no account \"nope\"") != std::string::npos);
    }
}

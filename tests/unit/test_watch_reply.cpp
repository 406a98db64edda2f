// watch's side of `mailsync sync` while watch runs (cli/watch_requests.hpp): its reply read back as
// the asking sync reads it; whole lines on a shared stderr (cli/line_stream.hpp); the
// watch_max_backoff key.
#include <catch2/catch.hpp>

#include <regex>
#include <sstream>
#include <thread>

#include "cli/config.hpp"
#include "cli/exit_codes.hpp"
#include "cli/line_stream.hpp"
#include "cli/watch_requests.hpp"
#include "common/error.hpp"

using namespace mailsync;
using namespace mailsync::cli;

namespace {

Account test_account() {
    Account account;
    account.name = "work";
    return account;
}

Config parse(const std::string& yaml) {
    Environment environment;
    environment.home = "/home/tester";
    return parse_config(yaml, "/etc/test/config.yaml", environment);
}

const std::string minimal_account =
    "accounts:\n  work:\n    host: imap.example.com\n    user: me@example.com\n    password_command: pass show mail/work\n";

}  // namespace

TEST_CASE("watch's reply to a sync that went well: exit 0, the summary as a note, the JSON object",
          "[watch][cli]") {
    sync::PullReport pulled;
    pulled.mailboxes.push_back({});
    pulled.mailboxes.back().name = "INBOX";
    pulled.mailboxes.back().new_messages = 3;
    sync::ReplayReport pushed;
    pushed.confirmed = 2;
    sync::RequestedSync outcome;
    outcome.pull = &pulled;
    outcome.replay = &pushed;
    outcome.seconds = 1.5;
    const WatchReply reply = decode_watch_reply(encode_watch_reply(test_account(), outcome));
    CHECK(reply.code == exit_code::ok);
    CHECK_FALSE(reply.error);
    REQUIRE(reply.notes.size() == 2);
    CHECK(reply.notes[0] == "work: queue: 2 pushed, 0 conflicts resolved, 0 refused, 0 left");
    CHECK(reply.notes[1].rfind("work: mailboxes: 1 synced, 0 unchanged; messages: 3 new", 0) == 0);
    CHECK(reply.warnings.empty());
    CHECK(reply.json.rfind("{\"account\":\"work\"", 0) == 0);
    CHECK(reply.json.find('\n') == std::string::npos);
}

TEST_CASE("watch's reply when a mailbox or a queued change failed: exit 76 and one warning each", "[watch][cli]") {
    sync::PullReport pulled;
    pulled.mailboxes.push_back({});
    pulled.mailboxes.back().name = "Archive";
    pulled.mailboxes.back().error = "server refused SELECT:\nno such mailbox";
    sync::ReplayReport pushed;
    pushed.failed = 1;
    pushed.failures.push_back("INBOX: flag of message 4 refused");
    sync::RequestedSync outcome;
    outcome.pull = &pulled;
    outcome.replay = &pushed;
    const WatchReply reply = decode_watch_reply(encode_watch_reply(test_account(), outcome));
    CHECK(reply.code == exit_code::protocol);
    REQUIRE(reply.warnings.size() == 2);
    CHECK(reply.warnings[0] == "work: INBOX: flag of message 4 refused");
    // A line break in a server's text cannot cut the reply's lines.
    CHECK(reply.warnings[1] == "work: Archive: not synced: server refused SELECT: no such mailbox");
}

TEST_CASE("watch's reply when the sync failed carries the error, so the asking sync fails alike", "[watch][cli]") {
    for (const auto category : {ErrorCategory::unavailable, ErrorCategory::auth, ErrorCategory::protocol}) {
        const Error failure(category, "it failed");
        sync::RequestedSync outcome;
        outcome.error = &failure;
        const WatchReply reply = decode_watch_reply(encode_watch_reply(test_account(), outcome));
        CHECK(reply.code == exit_code_for(category));
        REQUIRE(reply.error);
        CHECK(reply.error->category() == category);
        CHECK(std::string(reply.error->what()) == "it failed");
    }
}

TEST_CASE("a reply that cannot be read is a protocol error and unknown lines are skipped", "[watch][cli]") {
    CHECK_THROWS_AS(decode_watch_reply(""), Error);
    CHECK_THROWS_AS(decode_watch_reply("exit zero\n"), Error);
    CHECK_THROWS_AS(decode_watch_reply("note no exit line\n"), Error);
    const WatchReply reply = decode_watch_reply("exit 0\nfuture something\nnote fine\n");
    CHECK(reply.code == 0);
    CHECK(reply.notes == std::vector<std::string>{"fine"});
}

TEST_CASE("lines written in pieces by several threads reach the shared stream whole", "[cli][lines]") {
    std::ostringstream target;
    std::mutex mutex;
    const auto writer = [&](char letter) {
        LineStream stream(target, mutex);
        for (int line = 0; line < 200; ++line) {
            for (int piece = 0; piece < 10; ++piece) stream << std::string(3, letter) << std::flush;
            stream << '\n';
        }
    };
    std::thread a(writer, 'a'), b(writer, 'b'), c(writer, 'c');
    a.join();
    b.join();
    c.join();
    std::istringstream lines(target.str());
    std::string line;
    std::size_t count = 0;
    while (std::getline(lines, line)) {
        ++count;
        REQUIRE(line.size() == 30);
        CHECK(line == std::string(30, line[0]));
    }
    CHECK(count == 600);
}

TEST_CASE("a prefixed line stream starts each line with the prefix and finishes an unfinished line at the end",
          "[cli][lines]") {
    std::ostringstream target;
    std::mutex mutex;
    {
        LineStream stream(target, mutex, [] { return std::string("T "); });
        stream << "one\ntwo" << std::flush;
        CHECK(target.str() == "T one\n");
    }
    CHECK(target.str() == "T one\nT two\n");
    CHECK(std::regex_match(log_timestamp(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d )")));
}

TEST_CASE("watch_max_backoff: seconds from 1 to 3600, a minute by default", "[config][watch]") {
    CHECK(parse(minimal_account).accounts[0].watch_max_backoff == std::chrono::seconds(60));
    CHECK(parse(minimal_account + "    watch_max_backoff: 5\n").accounts[0].watch_max_backoff == std::chrono::seconds(5));
    for (const char* wrong : {"0", "3601", "fast"}) {
        try {
            parse(minimal_account + "    watch_max_backoff: " + wrong + "\n");
            FAIL("accepted " << wrong);
        } catch (const Error& error) {
            CHECK(error.category() == ErrorCategory::config);
            CHECK(std::string(error.what()).find("config.yaml:6: accounts.work.watch_max_backoff") != std::string::npos);
        }
    }
}

// mailsync's session against hostile and broken servers (a scripted fake server on loopback,
// plaintext): each case ends in a clear Error of the right category, or is tolerated as documented,
// with bounded memory and never a hang. Engine-level checks (the store still verifies after each)
// come when the sync engine lands.
#include <catch2/catch.hpp>


#include <chrono>
#include <functional>
#include <memory>

#include "common/error.hpp"
#include "common/utf8.hpp"
#include "sync/imap/mutf7.hpp"
#include "sync/imap/session.hpp"
#include "sync/imap/tcp_transport.hpp"
#include "tests/hostile/fake_server.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/peak_memory.hpp"

using namespace std::chrono_literals;
using namespace mailsync;
using namespace mailsync::imap;
using mailsync::test::error_of;
using mailsync::test::FakeServer;
using mailsync::test::kMeasureMemory;
using mailsync::test::peak_rss_kb;
using mailsync::test::Reply;

namespace {

std::unique_ptr<Session> open_session(const FakeServer& server, std::chrono::milliseconds timeout = 5s) {
    Endpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = server.port();
    endpoint.tls = TlsMode::none;
    endpoint.connect_timeout = 5s;
    SessionOptions options;
    options.timeout = timeout;
    return std::make_unique<Session>(TcpTransport::connect(endpoint, Clock::now() + 5s), options);
}

// Greeting, login and ENABLE QRESYNC against the standard script.
std::unique_ptr<Session> logged_in(const FakeServer& server, std::chrono::milliseconds timeout = 5s) {
    auto session = open_session(server, timeout);
    session->read_greeting();
    session->login("user", "secret");
    session->enable({"QRESYNC"});
    return session;
}

SelectedMailbox select_inbox(Session& session) {
    cmd::Select select;
    select.mailbox = "INBOX";
    auto selected = session.select(select);
    REQUIRE(selected);
    return *selected;
}

cmd::UidFetch fetch_all(std::vector<std::string> items) {
    cmd::UidFetch fetch;
    fetch.uids.add(1);
    fetch.to_star = true;
    fetch.items = std::move(items);
    return fetch;
}

// Counts body bytes, keeps none.
struct CountingSink : BodySink {
    std::uint64_t received = 0;
    int begun = 0, finished = 0;
    void begin(const BodyContext&) override { ++begun; }
    void write(std::string_view chunk) override { received += chunk.size(); }
    void finish() override { ++finished; }
};

struct Collector : UntaggedHandler {
    std::vector<Response> responses;
    void on_untagged(const Response& response) override { responses.push_back(response); }
    template <class T> std::vector<T> all() const {
        std::vector<T> result;
        for (const auto& r : responses)
            if (const auto* t = std::get_if<T>(&r)) result.push_back(*t);
        return result;
    }
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

TEST_CASE("hostile: literals announcing absurd sizes are protocol errors and nothing is reserved", "[hostile]") {
    const long before = peak_rss_kb();
    const char* cases[] = {
        "* 1 FETCH (UID 1 BODY[] {99999999999999999999}\r\n",      // overflows 64 bits
        "* 1 FETCH (UID 1 BODY[] {18446744073709551615}\r\n",      // 2^64-1
        "* 1 FETCH (UID 1 BODY[] {5000000000}\r\n",                // over max_body_literal (4 GiB)
        "* LIST () \"/\" {2000000000}\r\n",                         // a mailbox name of 2 GB
        "* 1 FETCH (UID 1 FLAGS ({999999999}\r\n",                  // a flag as a 1 GB literal
    };
    for (const char* hostile : cases) {
        CAPTURE(hostile);
        FakeServer server;
        server.standard();
        server.on("^UID FETCH", Reply{hostile, Reply::Then::hang});
        server.on("^LIST", Reply{hostile, Reply::Then::hang});
        auto session = logged_in(server);
        select_inbox(*session);
        CountingSink sink;
        session->set_body_sink(&sink);
        const bool list = std::string_view(hostile).find("LIST") != std::string_view::npos;
        const std::string message = error_of(ErrorCategory::protocol, [&] {
            if (list) session->run(cmd::List{});
            else session->run(fetch_all({"UID", "BODY.PEEK[]"}));
        });
        CHECK(sink.received == 0);
    }
    if (kMeasureMemory) CHECK(peak_rss_kb() - before < 64 * 1024);
}

TEST_CASE("hostile: a literal shorter than announced then EOF says the response was cut short", "[hostile]") {
    FakeServer server;
    server.standard();
    server.on("^UID FETCH", Reply{"* 1 FETCH (UID 1 BODY[] {1000}\r\nonly a few bytes", Reply::Then::close});
    auto session = logged_in(server);
    select_inbox(*session);
    CountingSink sink;
    session->set_body_sink(&sink);
    const std::string message = error_of(ErrorCategory::unavailable, [&] { session->run(fetch_all({"UID", "BODY.PEEK[]"})); });
    CHECK_THAT(message, Catch::Contains("closed the connection") && Catch::Contains("cut short"));
    CHECK(sink.finished == 0);  // the sink never hears a short body is complete
    CHECK(sink.received == 16);
    CHECK(session->state() == SessionState::logged_out);
}

TEST_CASE("hostile: a huge literal streamed then cut keeps memory bounded", "[hostile]") {
    const long before = peak_rss_kb();
    FakeServer server;
    server.standard();
    // 3 GB announced (within the limit), 48 MB sent, then EOF.
    Reply reply{"* 1 FETCH (UID 1 BODY[] {3000000000}\r\n", Reply::Then::close};
    reply.filler_bytes = 48u << 20;
    server.on("^UID FETCH", reply);
    auto session = logged_in(server, 10s);
    select_inbox(*session);
    CountingSink sink;
    session->set_body_sink(&sink);
    const std::string message = error_of(ErrorCategory::unavailable, [&] { session->run(fetch_all({"UID", "BODY.PEEK[]"})); });
    CHECK_THAT(message, Catch::Contains("cut short"));
    CHECK(sink.received == (48u << 20));
    CHECK(sink.finished == 0);
    if (kMeasureMemory) CHECK(peak_rss_kb() - before < 32 * 1024);  // the 48 MB went through, none of it stayed
}

TEST_CASE("hostile: unknown response codes are tolerated", "[hostile]") {
    FakeServer server;
    server.standard();
    server.greeting({std::string("* OK [XWEIRD-CODE 1 (a b) \"c\"] [CAPABILITY ") + FakeServer::kCapabilities + "] hello\r\n"});
    server.on("^NOOP$", Reply{"* OK [XYZZY] nothing happens\r\n* NO [BLAH 42] a warning\r\n* OK [ALERT] read this\r\n"
                              "$TAG OK [SOMETHING-NEW 1 2 3] done\r\n"});
    auto session = logged_in(server);
    Collector collector;
    session->set_handler(&collector);
    const StatusResponse response = session->run(cmd::Noop{});
    CHECK(response.status == Status::ok);
    REQUIRE(response.code);
    CHECK(std::holds_alternative<code::Other>(*response.code));
    CHECK(collector.all<StatusResponse>().size() == 3);
}

TEST_CASE("hostile: garbage lines are a clear protocol error", "[hostile]") {
    const char* garbage[] = {
        "\x01\x02\x03 binary junk\r\n",
        "HTTP/1.1 400 Bad Request\r\n",
        "* 1 FETCH (UID\r\n",
        "* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n",  // unbalanced parenthesis
        "+\r\n",                                // a continuation nobody asked for
        "m99 OK answer to a command never sent\r\n",
    };
    for (const char* line : garbage) {
        CAPTURE(line);
        FakeServer server;
        server.standard();
        server.on("^NOOP$", Reply{std::string(line) + "$TAG OK done\r\n"});
        auto session = logged_in(server);
        error_of(ErrorCategory::protocol, [&] { session->run(cmd::Noop{}); });
    }
}

TEST_CASE("hostile: unknown untagged data is tolerated", "[hostile]") {
    FakeServer server;
    server.standard();
    server.on("^NOOP$", Reply{"* XNEWTHING 1 2 (3)\r\n* 5 XFOO bar\r\n$TAG OK done\r\n"});
    auto session = logged_in(server);
    CHECK(session->run(cmd::Noop{}).status == Status::ok);
}

TEST_CASE("hostile: BYE in the middle of a FETCH is unavailable with the server words", "[hostile]") {
    FakeServer server;
    server.standard();
    server.on("^UID FETCH", Reply{"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* BYE server shutting down for maintenance\r\n",
                                  Reply::Then::close});
    auto session = logged_in(server);
    select_inbox(*session);
    const std::string message = error_of(ErrorCategory::unavailable, [&] { session->run(fetch_all({"UID", "FLAGS"})); });
    CHECK_THAT(message, Catch::Contains("shutting down for maintenance"));
    // Also in the middle of a body literal's FETCH response, before its literal.
    FakeServer second;
    second.standard();
    second.on("^UID FETCH", Reply{"* 1 FETCH (UID 1 BODY[] {5}\r\nHello)\r\n* BYE going away\r\n"
                                  "* 2 FETCH (UID 2 BODY[] {5}\r\nHe", Reply::Then::close});
    auto session2 = logged_in(second);
    select_inbox(*session2);
    CountingSink sink;
    session2->set_body_sink(&sink);
    const std::string message2 = error_of(ErrorCategory::unavailable, [&] { session2->run(fetch_all({"UID", "BODY.PEEK[]"})); });
    CHECK_THAT(message2, Catch::Contains("going away"));
    CHECK(sink.finished == 1);
}

TEST_CASE("hostile: VANISHED for UIDs never seen is tolerated and does not empty the mailbox", "[hostile]") {
    FakeServer server;
    server.standard();
    server.on("^UID FETCH", Reply{"* 1 FETCH (UID 1 FLAGS ())\r\n* 2 FETCH (UID 2 FLAGS ())\r\n"
                                  "* 3 FETCH (UID 3 FLAGS ())\r\n$TAG OK done\r\n"});
    server.on("^NOOP$", Reply{"* VANISHED 900:950\r\n* VANISHED (EARLIER) 5000:6000\r\n$TAG OK done\r\n"});
    auto session = logged_in(server);
    select_inbox(*session);
    session->run_ok(fetch_all({"UID", "FLAGS"}));
    CHECK(session->run(cmd::Noop{}).status == Status::ok);
    CHECK(session->sequence_map().exists() == 3);
    CHECK(session->selected()->exists == 3);
    CHECK(session->sequence_map().uid_of(3) == 3u);
    // A real one still counts.
    server.on("^NOOP$", Reply{"* VANISHED 2\r\n$TAG OK done\r\n"});
    session->run(cmd::Noop{});
    CHECK(session->sequence_map().exists() == 2);
    CHECK(session->sequence_map().uid_of(2) == 3u);
}

TEST_CASE("hostile: HIGHESTMODSEQ going backwards is reported as is (the engine decides)", "[hostile]") {
    // Note for the engine: the session does not judge modseqs; a SELECT reporting a lower
    // HIGHESTMODSEQ than the stored one must trigger a full resync of that mailbox, not a skip.
    FakeServer server;
    server.standard();
    auto session = logged_in(server);
    CHECK(select_inbox(*session).highestmodseq == 100u);
    server.on("^(SELECT|EXAMINE) ", Reply{"* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [HIGHESTMODSEQ 40] ok\r\n"
                                          "$TAG OK [READ-WRITE] selected\r\n"});
    CHECK(select_inbox(*session).highestmodseq == 40u);
    // And in a tagged NOOP answer or an untagged OK while selected: tolerated.
    server.on("^NOOP$", Reply{"* OK [HIGHESTMODSEQ 10] lower still\r\n$TAG OK [HIGHESTMODSEQ 5] done\r\n"});
    CHECK(session->run(cmd::Noop{}).status == Status::ok);
}

TEST_CASE("hostile: EXPUNGE while QRESYNC is enabled is tolerated and keeps the map honest", "[hostile]") {
    FakeServer server;
    server.standard();
    server.on("^UID FETCH", Reply{"* 1 FETCH (UID 10 FLAGS ())\r\n* 2 FETCH (UID 20 FLAGS ())\r\n"
                                  "* 3 FETCH (UID 30 FLAGS ())\r\n$TAG OK done\r\n"});
    server.on("^NOOP$", Reply{"* 2 EXPUNGE\r\n$TAG OK done\r\n"});
    auto session = logged_in(server);
    REQUIRE(session->is_enabled("QRESYNC"));
    select_inbox(*session);
    session->run_ok(fetch_all({"UID", "FLAGS"}));
    CHECK(session->run(cmd::Noop{}).status == Status::ok);
    CHECK(session->sequence_map().exists() == 2);
    CHECK(session->sequence_map().uid_of(2) == 30u);
    // An EXPUNGE of a number beyond EXISTS is ignored, not a crash.
    server.on("^NOOP$", Reply{"* 99 EXPUNGE\r\n* 0 EXPUNGE\r\n$TAG OK done\r\n"});
    CHECK_NOTHROW(session->run(cmd::Noop{}));
    CHECK(session->sequence_map().exists() == 2);
}

TEST_CASE("hostile: a FETCH numbered far above EXISTS is ignored by the sequence map, nothing allocated", "[hostile]") {
    // Was: the map resized to the server's number (16 GB for this one).
    const long before = peak_rss_kb();
    FakeServer server;
    server.standard();
    server.on("^NOOP$", Reply{"* 4000000000 FETCH (UID 7 FLAGS ())\r\n* 4294967295 FETCH (UID 8)\r\n"
                              "* 4000000000 EXPUNGE\r\n$TAG OK done\r\n"});
    auto session = logged_in(server);
    select_inbox(*session);
    Collector collector;
    session->set_handler(&collector);
    CHECK(session->run(cmd::Noop{}).status == Status::ok);
    CHECK(session->sequence_map().exists() == 3);
    CHECK(session->selected()->exists == 3);
    CHECK_FALSE(session->sequence_map().uid_of(4000000000u));
    CHECK(session->sequence_map().pieces() <= 1);
    CHECK(collector.all<FetchData>().size() == 2);  // passed on: the engine keys by UID, not by number
    if (kMeasureMemory) CHECK(peak_rss_kb() - before < 32 * 1024);
}

TEST_CASE("hostile: duplicate UIDs in one FETCH are delivered as sent, and the session goes on", "[hostile]") {
    // Two messages claiming UID 5, and one response naming UID twice. Documented behaviour
    // (tests/hostile/README.md): the session is no judge of UIDs; it passes every response on as
    // sent (the pull engine de-duplicates by UID, test_hostile_pull.cpp), the last UID item of a
    // response is its UID, the sequence map takes what each response said, and the connection
    // stays usable. No error.
    FakeServer server;
    server.standard();
    server.on("^UID FETCH", Reply{"* 1 FETCH (UID 5 FLAGS ())\r\n* 2 FETCH (UID 5 FLAGS (\\Seen))\r\n"
                                  "* 3 FETCH (UID 7 UID 8 FLAGS ())\r\n$TAG OK done\r\n"});
    server.on("^NOOP$", Reply{"$TAG OK done\r\n"});
    auto session = logged_in(server);
    select_inbox(*session);
    Collector collector;
    session->set_handler(&collector);
    session->run_ok(fetch_all({"UID", "FLAGS"}));
    const auto fetches = collector.all<FetchData>();
    REQUIRE(fetches.size() == 3);
    CHECK(fetches[0].seq == 1);
    CHECK(fetches[0].uid == 5u);
    CHECK(fetches[1].seq == 2);
    CHECK(fetches[1].uid == 5u);
    REQUIRE(fetches[1].flags);
    CHECK(*fetches[1].flags == std::vector<std::string>{"\\Seen"});
    CHECK(fetches[2].seq == 3);
    CHECK(fetches[2].uid == 8u);
    CHECK(session->sequence_map().uid_of(1) == 5u);
    CHECK(session->sequence_map().uid_of(2) == 5u);
    CHECK(session->sequence_map().uid_of(3) == 8u);
    CHECK(session->run(cmd::Noop{}).status == Status::ok);
}

TEST_CASE("hostile: a mailbox name with invalid modified UTF-7 still displays", "[hostile]") {
    FakeServer server;
    server.standard();
    server.on("^LIST", Reply{"* LIST () \"/\" \"Caf&AOk\"\r\n"            // unterminated
                             "* LIST () \"/\" \"&AGE-bc\"\r\n"              // encodes printable ASCII
                             "* LIST () \"/\" \"&2D3eAA-\"\r\n"            // an unpaired surrogate
                             "* LIST () \"/\" {9}\r\nEvil\x1b[2Jx\r\n"      // a terminal escape
                             "* LIST () \"/\" \"&ZeVnLIqe-\"\r\n"           // valid: 日本語
                             "$TAG OK done\r\n"});
    auto session = logged_in(server);
    Collector collector;
    session->set_handler(&collector);
    session->run_ok(cmd::List{});
    const auto lists = collector.all<ListData>();
    REQUIRE(lists.size() == 5);
    CHECK(lists[0].mailbox == "Caf&AOk");  // the exact wire bytes are kept for commands
    for (const auto& list : lists) {
        CAPTURE(list.mailbox);
        const std::string shown = mailbox_display_name(list.mailbox);
        CHECK_FALSE(shown.empty());
        CHECK(utf8::is_valid(shown));
        for (const char c : shown) CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7f));
    }
    CHECK_FALSE(mutf7_decode(lists[0].mailbox));
    CHECK(mailbox_display_name(lists[4].mailbox) == "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
}

TEST_CASE("hostile: a server that never sends the tagged completion times out", "[hostile]") {
    FakeServer server;
    server.standard();
    server.on("^UID FETCH", Reply{"* 1 FETCH (UID 1 FLAGS ())\r\n", Reply::Then::hang});
    auto session = logged_in(server, 700ms);
    select_inbox(*session);
    const auto start = Clock::now();
    error_of(ErrorCategory::unavailable, [&] { session->run(fetch_all({"UID", "FLAGS"})); });
    CHECK(seconds_since(start) >= 0.6);
    CHECK(seconds_since(start) < 30);  // did not hang
}

TEST_CASE("hostile: a greeting that never comes times out", "[hostile]") {
    FakeServer server;
    server.standard();
    server.greeting({});
    auto session = open_session(server, 700ms);
    const auto start = Clock::now();
    error_of(ErrorCategory::unavailable, [&] { session->read_greeting(); });
    CHECK(seconds_since(start) < 30);
    // Half a greeting, then silence: the same.
    FakeServer half;
    half.standard();
    half.greeting({"* OK [CAPABILITY IMAP4rev1", Reply::Then::hang});
    auto session2 = open_session(half, 700ms);
    error_of(ErrorCategory::unavailable, [&] { session2->read_greeting(); });
}

TEST_CASE("hostile: a greeting of BYE or endless garbage is refused", "[hostile]") {
    FakeServer bye;
    bye.greeting({"* BYE too many connections\r\n", Reply::Then::close});
    auto session = open_session(bye);
    const std::string message = error_of(ErrorCategory::unavailable, [&] { session->read_greeting(); });
    CHECK_THAT(message, Catch::Contains("too many connections"));
    // A line without end, longer than any response may be: a protocol error, memory bounded.
    const long before = peak_rss_kb();
    FakeServer endless;
    Reply reply{"* OK ", Reply::Then::hang};
    reply.filler_bytes = 40u << 20;
    endless.greeting(reply);
    auto session2 = open_session(endless);
    error_of(ErrorCategory::protocol, [&] { session2->read_greeting(); });
    if (kMeasureMemory) CHECK(peak_rss_kb() - before < 64 * 1024);
}

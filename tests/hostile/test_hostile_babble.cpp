// Servers that keep talking without answering, or answer a byte at a time: every wait ends in
// Error(unavailable) (exit 75) within the session's timeout, while a slow but steady transfer that
// makes progress completes even when it takes longer than one timeout. The rule is in
// sync/imap/session.hpp ("Time limits"); the timeouts here are small so that the suite stays fast.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "sync/imap/session.hpp"
#include "sync/imap/tcp_transport.hpp"
#include "tests/hostile/fake_server.hpp"
#include "tests/support/expect_error.hpp"

using namespace std::chrono_literals;
using namespace mailsync;
using namespace mailsync::imap;
using mailsync::test::error_of;
using mailsync::test::FakeServer;
using mailsync::test::Reply;

namespace {

constexpr auto kTimeout = 600ms;

std::unique_ptr<Session> open_session(const FakeServer& server, SessionOptions options = {}) {
    Endpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = server.port();
    endpoint.tls = TlsMode::none;
    if (options.timeout == SessionOptions{}.timeout) options.timeout = kTimeout;
    return std::make_unique<Session>(TcpTransport::connect(endpoint, Clock::now() + 5s), options);
}

// Sends `pieces` in turn, one every `every`, from its own thread (cycling when `repeat`), while the
// session waits in the test's thread.
class Babbler {
public:
    Babbler(FakeServer& server, std::vector<std::string> pieces, std::chrono::milliseconds every, bool repeat = true)
        : thread_([this, &server, pieces = std::move(pieces), every, repeat] {
              std::size_t next = 0;
              while (!stop_ && next < pieces.size()) {
                  if (server.send(pieces[next])) {
                      ++next;
                      if (repeat && next == pieces.size()) next = 0;
                  }
                  std::this_thread::sleep_for(every);
              }
          }) {}
    ~Babbler() {
        stop_ = true;
        thread_.join();
    }
    Babbler(const Babbler&) = delete;
    Babbler& operator=(const Babbler&) = delete;

private:
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

std::vector<std::string> bytes_of(const std::string& text) {
    std::vector<std::string> bytes;
    for (const char c : text) bytes.emplace_back(1, c);
    return bytes;
}

// Waits until the server has read a command starting with `prefix` (after its tag) and then a
// little more, so that its answer is on the wire before a Babbler starts sending.
void wait_for_command(const FakeServer& server, const std::string& prefix) {
    const auto until = Clock::now() + 5s;
    while (Clock::now() < until) {
        for (const auto& line : server.commands())
            if (line.find(" " + prefix) != std::string::npos) {
                std::this_thread::sleep_for(100ms);
                return;
            }
        std::this_thread::sleep_for(5ms);
    }
    FAIL("the server never received " << prefix);
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The wait ended by the progress rule: after about one timeout, certainly not never.
void check_ended_by_timeout(Clock::time_point start) {
    CHECK(seconds_since(start) >= 0.55);
    CHECK(seconds_since(start) < 10);
}

cmd::UidFetch fetch_bodies() {
    cmd::UidFetch fetch;
    fetch.uids.add(1);
    fetch.to_star = true;
    fetch.items = {"UID", "BODY.PEEK[]"};
    return fetch;
}

struct CountingSink : BodySink {
    std::uint64_t received = 0;
    int finished = 0;
    void begin(const BodyContext&) override {}
    void write(std::string_view chunk) override { received += chunk.size(); }
    void finish() override { ++finished; }
};

}  // namespace

TEST_CASE("babble: endless \"* OK still here\" after the greeting is not an answer to LOGIN", "[hostile][babble]") {
    FakeServer server;
    server.standard();
    server.on("^LOGIN ", Reply{"", Reply::Then::hang});
    auto session = open_session(server);
    session->read_greeting();
    Babbler babbler(server, {"* OK still here\r\n"}, 50ms);
    const auto start = Clock::now();
    const std::string message = error_of(ErrorCategory::unavailable, [&] { session->login("user", "secret"); });
    check_ended_by_timeout(start);
    CHECK_THAT(message, Catch::Contains("no progress for 0.6 s") && Catch::Contains("LOGIN") &&
                            Catch::Contains("answer nothing"));
    CHECK_THAT(message, !Catch::Contains("secret"));
}

TEST_CASE("babble: chatter or endless challenges during AUTHENTICATE time out", "[hostile][babble]") {
    for (const std::string chatter : {"* OK still here\r\n", "+ \r\n"}) {
        CAPTURE(chatter);
        FakeServer server;
        server.standard();
        server.on("^AUTHENTICATE ", Reply{"", Reply::Then::hang});
        auto session = open_session(server);
        session->read_greeting();
        Babbler babbler(server, {chatter}, 40ms);
        const auto start = Clock::now();
        const std::string message =
            error_of(ErrorCategory::unavailable, [&] { session->authenticate_plain("user", "secret"); });
        check_ended_by_timeout(start);
        CHECK_THAT(message, Catch::Contains("AUTHENTICATE"));
    }
}

TEST_CASE("babble: chatter inside a UID FETCH times out, and a flood of it is stopped at once", "[hostile][babble]") {
    FakeServer server;
    server.standard();
    server.on("^UID FETCH", Reply{"* 1 FETCH (UID 1 FLAGS ())\r\n", Reply::Then::hang});
    auto session = open_session(server);
    session->read_greeting();
    session->login("user", "secret");
    session->select(cmd::Select{"INBOX"});
    {
        Babbler babbler(server, {"* OK still here\r\n"}, 30ms);
        const auto start = Clock::now();
        const std::string message = error_of(ErrorCategory::unavailable, [&] { session->run(fetch_bodies()); });
        check_ended_by_timeout(start);
        CHECK_THAT(message, Catch::Contains("UID FETCH"));
    }
    // Fast: many times max_chatter within one timeout. Ended by the count, long before the 30 s.
    FakeServer flooding;
    flooding.standard();
    flooding.on("^UID FETCH", Reply{"", Reply::Then::hang});
    SessionOptions options;
    options.timeout = 30s;
    auto session2 = open_session(flooding, options);
    session2->read_greeting();
    session2->login("user", "secret");
    session2->select(cmd::Select{"INBOX"});
    std::string burst;
    for (int i = 0; i < 200; ++i) burst += "* OK still here\r\n";
    Babbler babbler(flooding, {burst}, 1ms);
    const auto start = Clock::now();
    const std::string message = error_of(ErrorCategory::unavailable, [&] { session2->run(fetch_bodies()); });
    CHECK(seconds_since(start) < 10);
    CHECK_THAT(message, Catch::Contains("1001 responses in a row that answer nothing"));
}

TEST_CASE("babble: a greeting one byte at a time times out", "[hostile][babble]") {
    FakeServer server;
    server.standard();
    server.greeting({});
    auto session = open_session(server);
    Babbler babbler(server, bytes_of("* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE ENABLE AUTH=PLAIN] ready\r\n"),
                    50ms, /*repeat=*/false);
    const auto start = Clock::now();
    const std::string message = error_of(ErrorCategory::unavailable, [&] { session->read_greeting(); });
    check_ended_by_timeout(start);
    CHECK_THAT(message, Catch::Contains("greeting") && Catch::Contains("bytes of an unfinished response"));
}

TEST_CASE("babble: a literal one byte at a time times out, a slow but steady one completes", "[hostile][babble]") {
    FakeServer server;
    server.standard();
    server.on("^UID FETCH", Reply{"* 1 FETCH (UID 1 BODY[] {100000}\r\n", Reply::Then::hang});
    auto session = open_session(server);
    session->read_greeting();
    session->login("user", "secret");
    session->select(cmd::Select{"INBOX"});
    CountingSink sink;
    session->set_body_sink(&sink);
    {
        const auto start = Clock::now();
        const std::string tag = session->send(fetch_bodies());
        wait_for_command(server, "UID FETCH");  // the literal's header first, then its bytes
        Babbler babbler(server, {"x"}, 20ms);
        const std::string message = error_of(ErrorCategory::unavailable, [&] { session->wait(tag); });
        check_ended_by_timeout(start);
        CHECK_THAT(message, Catch::Contains("bytes of an unfinished response"));
        CHECK(sink.received > 0);
        CHECK(sink.finished == 0);
    }
    // 64 KiB in 8 KiB pieces every 300 ms: 2.4 s in all, more than the 1.5 s timeout, but each
    // piece is progress. (Generous intervals: the machine running the suite may be loaded.)
    FakeServer steady;
    steady.standard();
    steady.on("^UID FETCH", Reply{"* 1 FETCH (UID 1 BODY[] {65536}\r\n", Reply::Then::hang});
    SessionOptions slower;
    slower.timeout = 1500ms;
    auto session2 = open_session(steady, slower);
    session2->read_greeting();
    session2->login("user", "secret");
    session2->select(cmd::Select{"INBOX"});
    CountingSink sink2;
    session2->set_body_sink(&sink2);
    const auto start = Clock::now();
    const std::string tag = session2->send(fetch_bodies());
    wait_for_command(steady, "UID FETCH");
    std::vector<std::string> pieces(8, std::string(8192, 'y'));
    pieces.push_back(")\r\n" + tag + " OK done\r\n");
    Babbler babbler(steady, pieces, 300ms, /*repeat=*/false);
    const StatusResponse response = session2->wait(tag);
    CHECK(response.status == Status::ok);
    CHECK(seconds_since(start) > 1.5);
    CHECK(sink2.received == 65536);
    CHECK(sink2.finished == 1);
}

// A long APPEND over a slow uplink (a scripted server that reads slowly; the fault proxy's stall):
// the timeout measures inactivity, so an upload that moves completes however long it takes, and
// one that stops fails one timeout later, saying so with the real figure. (The fault proxy's rate
// limit does not emulate an uplink here: its large receive buffer on loopback takes the whole
// upload at once and acknowledges it, which no slow link does.)
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "sync/imap/session.hpp"
#include "sync/imap/tcp_transport.hpp"
#include "tests/fault/proxy.hpp"
#include "tests/hostile/fake_server.hpp"
#include "tests/support/expect_error.hpp"

using namespace std::chrono_literals;
using namespace mailsync;
using namespace mailsync::imap;
using mailsync::test::error_of;
using mailsync::test::FakeServer;
using mailsync::test::FaultProxy;
using mailsync::test::Reply;

namespace {

// A message file of `size` bytes, removed with the object.
class MessageFile {
public:
    explicit MessageFile(std::size_t size)
        : path_(std::filesystem::temp_directory_path() / ("mailsync-uplink-" + std::to_string(::getpid()) + ".eml")) {
        std::ofstream out(path_, std::ios::binary);
        std::string text = "Subject: a large message\r\n\r\n";
        const std::string line(78, 'u');
        while (text.size() + line.size() + 2 <= size) text += line + "\r\n";
        text.append(size - text.size(), 'u');
        out << text;
    }
    ~MessageFile() { std::filesystem::remove(path_); }
    cmd::Append append() const { return cmd::Append{"INBOX", {}, std::nullopt, path_.string(), std::filesystem::file_size(path_)}; }

private:
    std::filesystem::path path_;
};

std::unique_ptr<Session> session_through(const FaultProxy& proxy, std::chrono::milliseconds timeout) {
    Endpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = proxy.port();
    endpoint.tls = TlsMode::none;
    SessionOptions options;
    options.timeout = timeout;
    auto session = std::make_unique<Session>(TcpTransport::connect(endpoint, Clock::now() + 5s), options);
    session->read_greeting();
    session->login("user", "secret");
    return session;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

TEST_CASE("slow uplink: a 4 MB APPEND at 1 MB/s completes with a 1.5 s timeout", "[hostile][uplink]") {
    // Was: one deadline for the whole APPEND, so it needed 4 MB/s; and "did not accept data
    // within" a fraction of a second. The server reads at 1 MB/s with a small receive buffer, as
    // behind a slow uplink: the session's writes block, then the rest waits in its send queue
    // while it waits for the answer; both are progress.
    FakeServer server;
    server.standard();
    server.throttle_reading(1'000'000);
    server.on("^APPEND ", Reply{"$TAG OK [APPENDUID 7 4] appended\r\n"});
    Endpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = server.port();
    endpoint.tls = TlsMode::none;
    SessionOptions options;
    options.timeout = 1500ms;  // not less: the machine running the suite may be loaded
    Session session(TcpTransport::connect(endpoint, Clock::now() + 5s), options);
    session.read_greeting();
    session.login("user", "secret");
    const MessageFile message(4'000'000);
    const auto start = Clock::now();
    const StatusResponse response = session.run(message.append());
    CHECK(response.status == Status::ok);
    CHECK(seconds_since(start) > 3.0);  // two timeouts long at least: progress kept it going
}

TEST_CASE("slow uplink: an upload that stops fails one timeout later with the real figure", "[hostile][uplink]") {
    FakeServer server;
    server.standard();
    server.on("^APPEND ", Reply{"$TAG OK appended\r\n"});
    FaultProxy proxy("127.0.0.1", server.port());
    mailsync::test::ConnectionFaults faults;
    faults.client_to_server.stall_after = 1'000'000;
    proxy.push_faults(faults);
    auto session = session_through(proxy, 1s);
    const MessageFile message(16'000'000);
    const auto start = Clock::now();
    const std::string text = error_of(ErrorCategory::unavailable, [&] { session->run(message.append()); });
    CHECK(seconds_since(start) >= 0.9);
    CHECK(seconds_since(start) < 15);
    // Stopped while writing (the socket buffers full; the window it stopped in may have taken a few
    // bytes first, when the stall came in its middle) or after (the rest queued in them).
    CHECK_THAT(text, Catch::Contains("accepted no data for 1 s") || Catch::Matches(".*accepted only [0-9]+ bytes in 1 s.*") ||
                         Catch::Contains("bytes still queued for it in 1 s"));
}

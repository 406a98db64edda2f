// The fault proxy itself: bytes pass unchanged and are counted, a cut happens at exactly the byte
// asked for, a stall makes the client's read deadline fire, and delay and rate measurably apply
// (loose lower bounds only: a slow machine may take longer, never shorter).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <random>
#include <stdexcept>
#include <thread>

#include "common/error.hpp"
#include "sync/imap/tcp_transport.hpp"
#include "tests/fault/proxy.hpp"

using namespace std::chrono_literals;
using mailsync::test::ConnectionFaults;
using mailsync::test::FaultProxy;
using mailsync::imap::Clock;

namespace {

// A loopback server that accepts one connection at a time and hands its socket to `serve`.
class Target {
public:
    explicit Target(std::function<void(int)> serve) : serve_(std::move(serve)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd_, 8) != 0)
            throw std::runtime_error("target: cannot listen");
        socklen_t length = sizeof address;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] {
            while (true) {
                const int client = ::accept(fd_, nullptr, nullptr);
                if (client < 0 || stopping_) {
                    if (client >= 0) ::close(client);
                    return;
                }
                serve_(client);
                ::close(client);
            }
        });
    }
    ~Target() {
        stopping_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }

private:
    std::function<void(int)> serve_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

void send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return;  // the proxy cut us: fine for these tests
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string receive_to_end(int fd) {
    std::string result;
    char buffer[16384];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) result.append(buffer, static_cast<std::size_t>(n));
    return result;
}

std::string random_bytes(std::size_t size, unsigned seed) {
    std::mt19937 random(seed);
    std::string bytes(size, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    return bytes;
}

std::unique_ptr<mailsync::imap::TcpTransport> connect_to(const FaultProxy& proxy) {
    mailsync::imap::Endpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = proxy.port();
    endpoint.tls = mailsync::imap::TlsMode::none;
    return mailsync::imap::TcpTransport::connect(endpoint, Clock::now() + 5s);
}

// Reads until EOF or an error; returns the bytes and whether it ended on an error.
std::pair<std::string, bool> read_until_end(mailsync::imap::Transport& transport, std::chrono::milliseconds quiet) {
    std::string result;
    char buffer[16384];
    try {
        while (true) {
            const std::size_t n = transport.read_some(buffer, Clock::now() + quiet);
            if (n == 0) return {result, false};
            result.append(buffer, n);
        }
    } catch (const mailsync::Error& error) {
        CHECK(error.category() == mailsync::ErrorCategory::unavailable);
        return {result, true};
    }
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

TEST_CASE("proxy: bytes pass unchanged both ways and are counted", "[proxy]") {
    Target echo([](int fd) {
        char buffer[8192];
        ssize_t n;
        while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) send_all(fd, std::string_view(buffer, static_cast<std::size_t>(n)));
    });
    FaultProxy proxy("127.0.0.1", echo.port());
    REQUIRE(proxy.port() != 0);
    auto transport = connect_to(proxy);
    const std::string sent = random_bytes(300 * 1024, 1);
    std::thread writer([&] { transport->write_all(sent, Clock::now() + 10s); });
    std::string echoed;
    char buffer[16384];
    while (echoed.size() < sent.size()) echoed.append(buffer, transport->read_some(buffer, Clock::now() + 10s));
    writer.join();
    CHECK(echoed == sent);
    transport->close();
    const auto deadline = Clock::now() + 5s;
    while (!proxy.connections().at(0).closed && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
    const auto stats = proxy.connections();
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].client_to_server == sent.size());
    CHECK(stats[0].server_to_client == sent.size());
    CHECK(stats[0].closed);
    CHECK_FALSE(stats[0].cut);
}

TEST_CASE("proxy: a cut from the server side happens after exactly N bytes", "[proxy]") {
    const std::string payload = random_bytes(200 * 1024, 2);
    Target server([&](int fd) { send_all(fd, payload); receive_to_end(fd); });
    FaultProxy proxy("127.0.0.1", server.port());
    for (std::uint64_t n : {1ull, 1000ull, 12345ull, 150000ull}) {
        CAPTURE(n);
        ConnectionFaults faults;
        faults.server_to_client.cut_after = n;
        proxy.push_faults(faults);
        auto transport = connect_to(proxy);
        const auto [received, error] = read_until_end(*transport, 10s);
        CHECK(received.size() == n);
        CHECK(received == payload.substr(0, n));
        transport->close();
    }
    for (const auto& stats : proxy.connections()) {
        CHECK(stats.cut);
    }
}

TEST_CASE("proxy: a cut from the client side happens after exactly N bytes", "[proxy]") {
    std::atomic<std::size_t> received{0};
    std::atomic<bool> done{false};
    Target server([&](int fd) {
        received = receive_to_end(fd).size();
        done = true;
    });
    FaultProxy proxy("127.0.0.1", server.port());
    ConnectionFaults faults;
    faults.client_to_server.cut_after = 7777;
    proxy.set_faults(faults);
    auto transport = connect_to(proxy);
    try {
        transport->write_all(random_bytes(100 * 1024, 3), Clock::now() + 5s);
    } catch (const mailsync::Error& error) {
        CHECK(error.category() == mailsync::ErrorCategory::unavailable);  // the cut may reach us mid-write
    }
    const auto deadline = Clock::now() + 10s;
    while (!done && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
    REQUIRE(done);
    CHECK(received == 7777);
    // The client side was closed too: a read sees the end, not a hang.
    const auto [rest, error] = read_until_end(*transport, 10s);
    CHECK(rest.empty());
    CHECK(proxy.connections().at(0).client_to_server == 7777);
}

TEST_CASE("proxy: a cut after 0 bytes drops the connection at once", "[proxy]") {
    Target server([](int fd) { send_all(fd, "* OK hello\r\n"); receive_to_end(fd); });
    FaultProxy proxy("127.0.0.1", server.port());
    ConnectionFaults faults;
    faults.server_to_client.cut_after = 0;
    proxy.push_faults(faults);
    auto transport = connect_to(proxy);
    const auto [received, error] = read_until_end(*transport, 10s);
    CHECK(received.empty());
    // Only the next connection was cut: the one after gets the greeting.
    auto second = connect_to(proxy);
    const auto [greeting, error2] = read_until_end(*second, 300ms);
    CHECK(greeting == "* OK hello\r\n");
    CHECK(error2);  // the deadline, as the server stays silent
}

TEST_CASE("proxy: a stall keeps the socket open and the client's read deadline fires", "[proxy]") {
    Target server([](int fd) { send_all(fd, std::string(5000, 'x')); receive_to_end(fd); });
    FaultProxy proxy("127.0.0.1", server.port());
    ConnectionFaults faults;
    faults.server_to_client.stall_after = 1000;
    proxy.set_faults(faults);
    auto transport = connect_to(proxy);
    const auto start = Clock::now();
    const auto [received, timed_out] = read_until_end(*transport, 400ms);
    CHECK(received.size() == 1000);
    CHECK(timed_out);                        // not an end of stream: the socket is open
    CHECK(seconds_since(start) >= 0.35);
    CHECK(seconds_since(start) < 30);        // did not hang
    const auto stats = proxy.connections().at(0);
    CHECK(stats.stalled);
    CHECK_FALSE(stats.closed);
}

TEST_CASE("proxy: delay adds latency each way", "[proxy]") {
    Target echo([](int fd) {
        char buffer[8192];
        ssize_t n;
        while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) send_all(fd, std::string_view(buffer, static_cast<std::size_t>(n)));
    });
    FaultProxy proxy("127.0.0.1", echo.port());
    ConnectionFaults faults;
    faults.client_to_server.delay = 100ms;
    faults.server_to_client.delay = 100ms;
    proxy.set_faults(faults);
    auto transport = connect_to(proxy);
    char buffer[64];
    for (int round = 0; round < 3; ++round) {
        const auto start = Clock::now();
        transport->write_all("ping\r\n", Clock::now() + 5s);
        std::string answer;
        while (answer.size() < 6) answer.append(buffer, transport->read_some(buffer, Clock::now() + 10s));
        CHECK(answer == "ping\r\n");
        CHECK(seconds_since(start) >= 0.19);  // two delays of 100 ms
    }
    // Latency, not a per-chunk cost: 20 pipelined lines take about one round trip, not twenty.
    const auto start = Clock::now();
    for (int i = 0; i < 20; ++i) {
        transport->write_all("line\r\n", Clock::now() + 5s);
        std::this_thread::sleep_for(2ms);
    }
    std::string answer;
    char big[4096];
    while (answer.size() < 120) answer.append(big, transport->read_some(big, Clock::now() + 10s));
    CHECK(seconds_since(start) >= 0.19);
    INFO("20 pipelined lines took " << seconds_since(start) << " s");
}

TEST_CASE("proxy: the rate limit applies", "[proxy]") {
    const std::string payload = random_bytes(1 << 20, 4);
    Target server([&](int fd) { send_all(fd, payload); ::shutdown(fd, SHUT_WR); receive_to_end(fd); });
    FaultProxy proxy("127.0.0.1", server.port());
    ConnectionFaults faults;
    faults.server_to_client.rate = 1 << 20;  // 1 MB/s
    proxy.set_faults(faults);
    auto transport = connect_to(proxy);
    const auto start = Clock::now();
    const auto [received, error] = read_until_end(*transport, 10s);
    const double elapsed = seconds_since(start);
    CHECK_FALSE(error);
    CHECK(received == payload);
    CHECK(elapsed >= 0.8);
    CHECK(elapsed < 30);
}

TEST_CASE("proxy: a rate-limited direction reads ahead a tenth of a second's worth only", "[proxy]") {
    // The rest stays in the sender's socket, where the sender sees it unsent, as on a real slow
    // uplink; a megabyte held here would drain long after the sender's last write, in silence.
    const std::string payload = random_bytes(600 * 1024, 5);
    Target server([](int fd) { receive_to_end(fd); });
    FaultProxy proxy("127.0.0.1", server.port());
    ConnectionFaults faults;
    faults.client_to_server.rate = 400 * 1024;
    proxy.set_faults(faults);
    auto transport = connect_to(proxy);
    const auto start = Clock::now();
    transport->write_all(payload, Clock::now() + 10s);
    transport->close();
    while ((proxy.connections().empty() || !proxy.connections()[0].closed) && seconds_since(start) < 30)
        std::this_thread::sleep_for(10ms);
    CHECK(seconds_since(start) >= 1.0);
    CHECK(proxy.connections()[0].client_to_server == payload.size());
    CHECK(proxy.connections()[0].most_held > 0);
    CHECK(proxy.connections()[0].most_held <= 40 * 1024);
    proxy.stop();
}

TEST_CASE("proxy: only listens on loopback", "[proxy]") {
    CHECK_THROWS_AS(FaultProxy("127.0.0.1", 1, "0.0.0.0"), std::runtime_error);
}

TEST_CASE("proxy: client flights count the round trips the client waited for", "[proxy]") {
    // A line server: one answer line per line received.
    Target lines([](int fd) {
        std::string pending;
        char buffer[4096];
        ssize_t n;
        while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) {
            pending.append(buffer, static_cast<std::size_t>(n));
            for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n')) {
                send_all(fd, "ok\n");
                pending.erase(0, end + 1);
            }
        }
    });
    FaultProxy proxy("127.0.0.1", lines.port());
    ConnectionFaults faults;
    faults.server_to_client.delay = 30ms;   // answers arrive only after a whole burst was read
    proxy.set_faults(faults);
    auto transport = connect_to(proxy);
    const auto await_answers = [&](std::size_t count) {
        std::string got;
        char buffer[256];
        while (got.size() < 3 * count) got.append(buffer, transport->read_some(buffer, Clock::now() + 5s));
    };
    // Flight 1: three lines written separately, without waiting; flight 2: one more line.
    transport->write_all("a\n", Clock::now() + 5s);
    transport->write_all("b\n", Clock::now() + 5s);
    transport->write_all("c\n", Clock::now() + 5s);
    await_answers(3);
    transport->write_all("d\n", Clock::now() + 5s);
    await_answers(1);
    transport->close();
    const auto deadline = Clock::now() + 5s;
    while (!proxy.connections().at(0).closed && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
    CHECK(proxy.connections().at(0).client_flights == 2);
}

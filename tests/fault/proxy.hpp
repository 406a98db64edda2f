// A TCP fault proxy for tests and the benchmark: it listens on a loopback port (a free one unless
// told otherwise) and forwards every connection to a target host:port, applying scripted faults
// to each direction of each connection:
//
//   delay       every chunk is held back this long after it was read (latency; order and
//               throughput are kept: later chunks wait in line, they do not add up)
//   rate        a token bucket limits forwarding to this many bytes per second; the proxy then reads
//               ahead only a tenth of a second's worth, so the sender's own socket holds the rest
//   stall_after once this many bytes passed, nothing more is forwarded; both sockets stay open
//   cut_after   once exactly this many bytes passed, both sides of the connection are closed
//
// Byte counts (forwarded, each way) are kept per connection. Faults are chosen when a connection
// is accepted: the next ones queued with push_faults() first, then the default of set_faults().
//
//   mailsync::test::FaultProxy proxy("127.0.0.1", dovecot_port);
//   proxy.push_faults({.server_to_client = {.cut_after = 1234}});  // only the next connection
//   connect to 127.0.0.1:proxy.port() ...
//   proxy.connections()[0].server_to_client == 1234
//
// One thread runs a poll() loop for every socket; the object stops it in its destructor.
// tests/fault/fault_proxy_main.cpp is the same proxy as a program (`fault-proxy --help`).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mailsync::test {

struct DirectionFaults {
    std::chrono::milliseconds delay{0};
    std::uint64_t rate = 0;                  // bytes per second; 0: unlimited
    std::optional<std::uint64_t> stall_after;  // bytes forwarded before the stall (0: at once)
    std::optional<std::uint64_t> cut_after;    // bytes forwarded before both sides are closed
};

struct ConnectionFaults {
    DirectionFaults client_to_server;
    DirectionFaults server_to_client;
};

struct ConnectionStats {
    std::uint64_t client_to_server = 0;  // bytes forwarded to the target
    std::uint64_t server_to_client = 0;  // bytes forwarded to the client
    bool cut = false;                    // closed by a cut_after fault
    bool stalled = false;                // a stall_after fault is holding a direction
    bool closed = false;                 // the proxy closed this connection (any reason)
    bool target_unreachable = false;     // the target refused the connection
    std::uint64_t most_held = 0;         // the most bytes read from one side and not yet forwarded
    // Bursts of client bytes, each begun after the proxy had passed server bytes on to the client:
    // the round trips the client waited for (with a delay on the server's direction a burst the
    // client writes in several pieces still counts once, as the answers reach it only later).
    std::uint64_t client_flights = 0;
};

class FaultProxy {
public:
    // Starts listening at once (port 0: a free port) and forwarding in a thread. Throws
    // std::runtime_error when the listening socket cannot be set up. Listens on loopback only.
    FaultProxy(std::string target_host, std::uint16_t target_port, std::string listen_host = "127.0.0.1",
               std::uint16_t listen_port = 0);
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    std::uint16_t port() const { return port_; }
    const std::string& host() const { return listen_host_; }

    // Faults for every connection accepted from now on (unless one is queued by push_faults).
    void set_faults(const ConnectionFaults& faults);
    // Faults for the next connection accepted only; several calls queue for successive ones.
    void push_faults(const ConnectionFaults& faults);
    // Closes every open connection now (both sides), as a cut.
    void cut_all();

    // A snapshot, in order of acceptance.
    std::vector<ConnectionStats> connections() const;
    std::size_t connection_count() const;
    // Forgets the connections closed so far (stats of open ones are kept).
    void clear_stats();
    // Waits until every connection accepted so far is closed; false if one is still open at the
    // timeout. A client that sends LOGOUT without waiting for the reply is gone before the proxy
    // has seen both sides close: call this before clear_stats() to start counting from nothing.
    bool wait_until_all_closed(std::chrono::milliseconds timeout);

    // Stops accepting, closes every connection and joins the thread. Idempotent.
    void stop();

private:
    struct Link;
    struct State;

    void run();
    void wake() const;

    std::string target_host_;
    std::uint16_t target_port_;
    std::string listen_host_;
    std::uint16_t port_ = 0;
    int listen_fd_ = -1;
    int wake_read_ = -1;
    int wake_write_ = -1;

    mutable std::mutex mutex_;  // guards everything below, and the stats in the links
    ConnectionFaults default_faults_;
    std::deque<ConnectionFaults> queued_faults_;
    bool stopping_ = false;
    bool cut_all_ = false;
    std::vector<std::shared_ptr<ConnectionStats>> stats_;

    std::thread thread_;
};

}  // namespace mailsync::test

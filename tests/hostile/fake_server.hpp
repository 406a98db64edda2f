// A scripted IMAP server on loopback for tests of how mailsync meets hostile and broken servers.
// A thread accepts connections (one at a time), sends the greeting, reads command lines and answers
// each with the reply of the first rule whose pattern matches the command (after its tag); the test
// can also push any bytes at any time with send().
//
//   mailsync::test::FakeServer server;            // listens on 127.0.0.1, a free port
//   server.standard();                            // greeting, CAPABILITY, LOGIN, ENABLE, SELECT, LOGOUT
//   server.on("^UID FETCH", {"* 1 FETCH (UID 1 BODY[] {99999999999999999999}\r\n"});
//   connect a Session to 127.0.0.1:server.port() (TlsMode::none) ...
//
// Rules added later take precedence, so a test overrides the standard script. In a reply, "$TAG"
// is replaced by the command's tag. A reply can end by closing the connection or by going silent,
// and can carry a large filler (generated as it is sent, never held in memory) for tests of
// memory bounds.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace mailsync::test {

struct Reply {
    enum class Then { stay, close, hang };

    std::string bytes;                 // sent first ("$TAG" replaced)
    Then then = Then::stay;            // afterwards: keep answering, close, or answer nothing more
    std::uint64_t filler_bytes = 0;    // then this many copies of filler_char, in chunks
    char filler_char = 'x';
    std::string suffix;                // then these bytes ("$TAG" replaced)
};

class FakeServer {
public:
    static constexpr const char* kCapabilities =
        "IMAP4rev1 LITERAL+ SASL-IR IDLE ENABLE QRESYNC CONDSTORE UIDPLUS AUTH=PLAIN";

    FakeServer();
    ~FakeServer();
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;

    std::uint16_t port() const { return port_; }

    // The script. Set it before the client connects (rules may also be added between commands).
    void greeting(Reply reply);           // empty bytes: no greeting at all
    void on(const std::string& pattern, Reply reply);  // ECMAScript regex, case-insensitive
    void on(const std::string& pattern, std::function<Reply(const std::string& tag, const std::string& command)> reply);
    void fallback(Reply reply);           // for commands no rule matches (default: "$TAG BAD ...")
    // A well-behaved server: greeting with kCapabilities, CAPABILITY, LOGIN, AUTHENTICATE, ENABLE,
    // SELECT/EXAMINE (3 messages, UIDVALIDITY 7, HIGHESTMODSEQ 100), NOOP, IDLE, LOGOUT.
    void standard();

    // Reads what clients send at most this fast (bytes per second; 0: unlimited), with a small
    // receive buffer, so that a client's long upload takes as long as over a slow uplink and
    // waits in the client's own send queue. Set before the client connects.
    void throttle_reading(std::uint64_t bytes_per_second) { read_rate_ = bytes_per_second; }
    // Sends bytes to the connected client now; false when no client is connected.
    bool send(const std::string& bytes);
    // The command lines received so far (without CRLF), over all connections.
    std::vector<std::string> commands() const;
    std::size_t connections() const { return connections_; }

    void stop();

private:
    struct Rule {
        std::regex pattern;
        std::function<Reply(const std::string&, const std::string&)> reply;
    };

    void run();
    void serve(int client);
    bool write(int client, const Reply& reply, const std::string& tag);

    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> connections_{0};
    std::atomic<std::uint64_t> read_rate_{0};

    mutable std::mutex mutex_;
    Reply greeting_;
    std::vector<Rule> rules_;  // newest first
    Reply fallback_;
    std::vector<std::string> commands_;
    int client_ = -1;

    std::mutex write_mutex_;  // one writer at a time on the client socket
    std::thread thread_;
};

}  // namespace mailsync::test

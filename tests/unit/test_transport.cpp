// Transports: the in-memory scripted peer, and TCP + TLS against peers started by the test on
// loopback (certificates are made at test time, see tests/support/tls_test_peer.hpp).
#include <catch2/catch.hpp>

#include <array>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "common/ascii.hpp"
#include "common/error.hpp"
#include "sync/imap/memory_transport.hpp"
#include "sync/imap/tcp_transport.hpp"
#include "tests/support/tls_test_peer.hpp"

using mailsync::Error;
using mailsync::ErrorCategory;
using namespace mailsync::imap;
using namespace std::chrono_literals;
using mailsync::test::LoopbackServer;
using mailsync::test::PeerConnection;

namespace {

std::string read_once(Transport& transport, std::size_t max = 4096) {
    std::string buffer(max, '\0');
    std::size_t count = transport.read_some(buffer, deadline_in(1s));
    buffer.resize(count);
    return buffer;
}

// Reads one line, a byte at a time so that nothing of the next line is consumed.
std::string read_line(Transport& transport, Deadline deadline) {
    std::string line;
    std::array<char, 1> buffer{};
    while (!line.ends_with("\r\n")) {
        if (transport.read_some(buffer, deadline) == 0) break;
        line += buffer[0];
    }
    return line;
}

ErrorCategory category_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& error) {
        return error.category();
    }
    FAIL("expected an Error");
    return ErrorCategory::internal;
}

// The Error an action throws (its message is what the user will read).
Error error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& error) {
        return error;
    }
    FAIL("expected an Error");
    return Error(ErrorCategory::internal, "none");
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// The timing tests below assert that an operation fails at ITS deadline: not before it, and well
// before any other deadline in play (each such other one is set at kFarDeadline). The slack above
// the deadline is generous, for a loaded machine under the sanitizers (threads scheduled late, a
// 64 MB buffer written under ASan); it stays far below kFarDeadline, so a wrong deadline still fails.
constexpr auto kFarDeadline = 30s;
constexpr double kSlackSeconds = 8.0;

// Certificates shared by the TLS tests, made once per run.
struct TestPki {
    mailsync::test::TempDir directory;
    mailsync::test::TestCertificate authority = mailsync::test::make_certificate("mailsync test CA", "", nullptr, true);
    // Valid for both the name and the address.
    mailsync::test::TestCertificate server =
        mailsync::test::make_certificate("localhost", "DNS:localhost,IP:127.0.0.1", &authority, false);
    // Valid for the name only.
    mailsync::test::TestCertificate name_only = mailsync::test::make_certificate("localhost", "DNS:localhost", &authority, false);
    mailsync::test::TestCertificate self_signed = mailsync::test::make_certificate("localhost", "DNS:localhost", nullptr, false);
    // Signed by the trusted CA, for the right names, but out of date since yesterday.
    mailsync::test::TestCertificate expired = mailsync::test::make_certificate(
        "localhost", "DNS:localhost,IP:127.0.0.1", &authority, false, {-2 * 24 * 3600, -24 * 3600});
    std::string ca_file = (directory.path() / "ca.pem").string();

    TestPki() { mailsync::test::write_pem(authority.certificate.get(), ca_file); }
};

const TestPki& pki() {
    static const TestPki instance;
    return instance;
}

Endpoint endpoint_for(const std::string& host, std::uint16_t port, TlsMode tls) {
    Endpoint endpoint;
    endpoint.host = host;
    endpoint.port = port;
    endpoint.tls = tls;
    endpoint.tls_options.ca_file = pki().ca_file;
    return endpoint;
}

// A TLS server that echoes one line, then waits for the client to leave.
LoopbackServer::Script tls_echo_script(SSL_CTX* context, std::string* server_name = nullptr) {
    return [context, server_name](PeerConnection& peer) {
        if (!peer.accept_tls(context)) return;
        if (server_name != nullptr) *server_name = peer.server_name();
        peer.write(peer.read_line());
        peer.wait_for_client_close();
    };
}

}  // namespace

TEST_CASE("memory transport: each pushed chunk is delivered by its own reads", "[memory]") {
    MemoryTransport transport;
    transport.push_incoming("* OK hello\r\n");
    transport.push_incoming("* CAPABILITY IMAP4rev1\r\n");
    CHECK(transport.unread_incoming() == 36);
    CHECK(read_once(transport) == "* OK hello\r\n");
    CHECK(read_once(transport, 5) == "* CAP");
    CHECK(read_once(transport) == "ABILITY IMAP4rev1\r\n");
    CHECK(transport.unread_incoming() == 0);
}

TEST_CASE("memory transport: byte by byte delivery", "[memory]") {
    MemoryTransport transport;
    transport.deliver_byte_by_byte();
    transport.push_incoming("ab");
    transport.push_incoming("c");
    std::string received;
    for (int i = 0; i < 3; ++i) received += read_once(transport);
    CHECK(received == "abc");
}

TEST_CASE("memory transport: nothing queued is a timeout at once, close_incoming is EOF", "[memory]") {
    MemoryTransport transport;
    CHECK(category_of([&] { read_once(transport); }) == ErrorCategory::unavailable);
    transport.push_incoming("x");
    transport.close_incoming();
    CHECK(read_once(transport) == "x");
    CHECK(read_once(transport).empty());
    CHECK(read_once(transport).empty());
}

TEST_CASE("memory transport: writes are collected and taken", "[memory]") {
    MemoryTransport transport;
    transport.write_all("a1 NOOP\r\n", deadline_in(1s));
    transport.write_all("a2 ", deadline_in(1s));
    transport.write_all("LOGOUT\r\n", deadline_in(1s));
    CHECK(transport.written() == "a1 NOOP\r\na2 LOGOUT\r\n");
    CHECK(transport.take_written() == "a1 NOOP\r\na2 LOGOUT\r\n");
    CHECK(transport.take_written().empty());
}

TEST_CASE("memory transport: a responder scripts replies to commands", "[memory]") {
    MemoryTransport transport;
    std::string seen;
    transport.set_responder([&](std::string_view written, MemoryTransport& peer) {
        seen.append(written);
        if (written.starts_with("a1 ")) peer.push_incoming("a1 OK done\r\n");
    });
    transport.write_all("a1 NOOP\r\n", deadline_in(1s));
    CHECK(read_once(transport) == "a1 OK done\r\n");
    transport.write_all("a2 NOOP\r\n", deadline_in(1s));
    CHECK(transport.unread_incoming() == 0);
    CHECK(seen == "a1 NOOP\r\na2 NOOP\r\n");
}

TEST_CASE("memory transport: start_tls discards bytes received in clear text", "[memory]") {
    MemoryTransport transport;
    CHECK_FALSE(transport.is_tls());
    transport.push_incoming("a1 OK begin TLS\r\n");
    transport.push_incoming("* injected before the handshake\r\n");
    CHECK(read_once(transport) == "a1 OK begin TLS\r\n");
    transport.start_tls(deadline_in(1s));
    CHECK(transport.is_tls());
    CHECK(transport.start_tls_calls() == 1);
    CHECK(transport.unread_incoming() == 0);
    transport.push_incoming("* OK after\r\n");
    CHECK(read_once(transport) == "* OK after\r\n");
    CHECK(category_of([&] { transport.start_tls(deadline_in(1s)); }) == ErrorCategory::internal);
    CHECK(MemoryTransport(true).is_tls());
}

TEST_CASE("memory transport: fail_after_reads and cut lose the connection", "[memory]") {
    MemoryTransport transport;
    transport.push_incoming("1");
    transport.push_incoming("2");
    transport.push_incoming("3");
    transport.fail_after_reads(2);
    CHECK(read_once(transport) == "1");
    CHECK(read_once(transport) == "2");
    CHECK(category_of([&] { read_once(transport); }) == ErrorCategory::unavailable);
    CHECK(category_of([&] { transport.write_all("x", deadline_in(1s)); }) == ErrorCategory::unavailable);

    MemoryTransport other;
    other.write_all("before\r\n", deadline_in(1s));
    other.cut();
    CHECK(category_of([&] { other.write_all("after\r\n", deadline_in(1s)); }) == ErrorCategory::unavailable);
    CHECK(other.written() == "before\r\n");
}

TEST_CASE("memory transport: close", "[memory]") {
    MemoryTransport transport;
    CHECK_FALSE(transport.closed());
    transport.close();
    transport.close();
    CHECK(transport.closed());
    CHECK(category_of([&] { transport.write_all("x", deadline_in(1s)); }) == ErrorCategory::internal);
}

// ---- TCP ---------------------------------------------------------------------------------------

TEST_CASE("tcp: plain round trip, exact byte counts, EOF", "[tcp]") {
    LoopbackServer server([](PeerConnection& peer) {
        std::string line = peer.read_line();
        peer.write("echo " + line);
        peer.write("* BYE\r\n");
    });
    auto transport = TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::none), deadline_in(2s));
    CHECK_FALSE(transport->is_tls());
    CHECK(transport->peer_certificate_sha256().empty());
    transport->write_all("a1 NOOP\r\n", deadline_in(2s));
    CHECK(read_line(*transport, deadline_in(2s)) == "echo a1 NOOP\r\n");
    CHECK(read_line(*transport, deadline_in(2s)) == "* BYE\r\n");
    std::array<char, 16> buffer{};
    CHECK(transport->read_some(buffer, deadline_in(2s)) == 0);
    CHECK(transport->bytes_sent() == 9);
    CHECK(transport->bytes_received() == 21);
    transport->close();
    transport->close();
    CHECK(category_of([&] { transport->write_all("x", deadline_in(1s)); }) == ErrorCategory::internal);
}

TEST_CASE("tcp: connects to a host name", "[tcp]") {
    // Where "localhost" also resolves to ::1, where nobody listens, the connection must go on to
    // 127.0.0.1.
    LoopbackServer server([](PeerConnection& peer) { peer.write("* OK\r\n"); });
    auto transport = TcpTransport::connect(endpoint_for("localhost", server.port(), TlsMode::none), deadline_in(2s));
    CHECK(read_line(*transport, deadline_in(2s)) == "* OK\r\n");
}

TEST_CASE("tcp: connecting to a closed port fails at once as unavailable", "[tcp]") {
    LoopbackServer closed_port(nullptr, /*listen_for_connections=*/false);
    const auto start = Clock::now();
    const Error error = error_of([&] {
        TcpTransport::connect(endpoint_for("127.0.0.1", closed_port.port(), TlsMode::none), deadline_in(5s));
    });
    CHECK(seconds_since(start) < 1.0);
    CHECK(error.category() == ErrorCategory::unavailable);
    CHECK_THAT(error.what(), Catch::Contains("127.0.0.1:" + std::to_string(closed_port.port())));
}

TEST_CASE("tcp: a silent peer makes a read fail at its deadline", "[tcp]") {
    LoopbackServer server([](PeerConnection& peer) {
        peer.set_timeouts(kFarDeadline);
        peer.wait_for_client_close();
    });
    auto transport =
        TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::none), deadline_in(kFarDeadline));
    std::array<char, 16> buffer{};
    const auto start = Clock::now();
    const Error error = error_of([&] { transport->read_some(buffer, deadline_in(300ms)); });
    const double elapsed = seconds_since(start);
    CHECK(elapsed >= 0.29);
    CHECK(elapsed < 0.3 + kSlackSeconds);
    CHECK(error.category() == ErrorCategory::unavailable);
    CHECK_THAT(error.what(), Catch::Contains("did not answer within 0.3 s"));
}

TEST_CASE("tcp: a peer that stops reading makes a write fail at its deadline", "[tcp]") {
    std::promise<void> release_server;
    std::future<void> released = release_server.get_future();
    LoopbackServer server([&](PeerConnection&) { PeerConnection::wait_for(released, kFarDeadline); });
    auto transport =
        TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::none), deadline_in(kFarDeadline));
    // Far more than the socket buffers of both ends hold.
    const std::string huge(64u << 20, 'x');
    const auto start = Clock::now();
    const Error error = error_of([&] { transport->write_all(huge, deadline_in(200ms)); });
    const double elapsed = seconds_since(start);
    release_server.set_value();
    CHECK(elapsed >= 0.19);
    CHECK(elapsed < 0.2 + kSlackSeconds);
    CHECK(error.category() == ErrorCategory::unavailable);
    CHECK_THAT(error.what(), Catch::Contains("accepted no data for 0.2 s"));
    CHECK(transport->bytes_sent() > 0);
    CHECK(transport->bytes_sent() < huge.size());
}

TEST_CASE("tcp: a write's deadline measures inactivity: a slow but steady peer gets everything", "[tcp]") {
    // 24 MB to a peer that reads 64 KB every 10 ms: about 4 s in all (less what the socket buffers
    // hold), far more than the 1 s deadline, which each 4 KiB accepted renews.
    const std::size_t size = 24u << 20;
    const std::string bytes(size, 's');
    std::size_t received = 0;
    LoopbackServer server([&](PeerConnection& peer) {
        while (received < size) {
            const std::string piece = peer.read_some(64 * 1024);
            if (piece.empty()) return;
            received += piece.size();
            std::this_thread::sleep_for(10ms);
        }
        peer.write("done\r\n");
        peer.wait_for_client_close();
    });
    auto transport = TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::none), deadline_in(2s));
    const auto start = Clock::now();
    transport->write_all(bytes, deadline_in(1s));
    CHECK(seconds_since(start) > 1.0);
    CHECK(read_line(*transport, deadline_in(5s)) == "done\r\n");
    transport->close();
    server.join();
    CHECK(received == size);
}

TEST_CASE("tcp: a peer that takes a trickle of bytes is as dead as a silent one", "[tcp]") {
    // 100 bytes every 20 ms: less than 4 KiB in each 300 ms span, so the write fails one span after
    // the socket buffers filled up. (TCP's window may hold the trickle back entirely; then the
    // message says "no data", else how little was taken: either way the write ends.)
    std::promise<void> release_server;
    std::future<void> released = release_server.get_future();
    LoopbackServer server([&](PeerConnection& peer) {
        while (released.wait_for(20ms) != std::future_status::ready)
            if (peer.read_some(100).empty()) return;
    });
    auto transport = TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::none), deadline_in(2s));
    const std::string huge(64u << 20, 'x');
    const auto start = Clock::now();
    const Error error = error_of([&] { transport->write_all(huge, deadline_in(300ms)); });
    release_server.set_value();
    CHECK(seconds_since(start) < 10);
    CHECK(error.category() == ErrorCategory::unavailable);
    CHECK_THAT(error.what(), (Catch::Contains("accepted only") && Catch::Contains("bytes in 0.3 s")) ||
                                 Catch::Contains("accepted no data for 0.3 s"));
}

TEST_CASE("tcp: a reset connection is unavailable and names the server", "[tcp]") {
    LoopbackServer server([](PeerConnection& peer) { peer.reset(); });
    // The reset may reach the client while its non-blocking connect completes, or at its first
    // read: either way it is a lost connection that names the server.
    const Error error = error_of([&] {
        auto transport = TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::none), deadline_in(2s));
        server.join();
        std::array<char, 16> buffer{};
        transport->read_some(buffer, deadline_in(2s));
    });
    server.join();
    CHECK(error.category() == ErrorCategory::unavailable);
    CHECK_THAT(error.what(), Catch::Contains("127.0.0.1:" + std::to_string(server.port())));
}

// ---- TLS ---------------------------------------------------------------------------------------

TEST_CASE("tls: implicit TLS to an IP address with the test CA", "[tls]") {
    auto context = mailsync::test::make_server_context(pki().server);
    std::string server_name = "unset";
    LoopbackServer server(tls_echo_script(context.get(), &server_name));
    auto transport = TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::implicit), deadline_in(2s));
    CHECK(transport->is_tls());
    CHECK(transport->peer_certificate_sha256() == mailsync::test::fingerprint_of(pki().server.certificate.get()));
    const std::string line = "a1 LOGIN secret\r\n";
    transport->write_all(line, deadline_in(2s));
    CHECK(read_line(*transport, deadline_in(2s)) == line);
    // Records carry headers and authentication tags: more on the wire than the payload.
    CHECK(transport->bytes_sent() > line.size());
    CHECK(transport->bytes_received() > line.size());
    transport->close();
    server.join();
    CHECK(server_name.empty());  // no SNI for an IP literal
}

TEST_CASE("tls: implicit TLS to a host name sends SNI", "[tls]") {
    auto context = mailsync::test::make_server_context(pki().name_only);
    std::string server_name;
    LoopbackServer server(tls_echo_script(context.get(), &server_name));
    auto transport = TcpTransport::connect(endpoint_for("localhost", server.port(), TlsMode::implicit), deadline_in(2s));
    transport->write_all("x\r\n", deadline_in(2s));
    CHECK(read_line(*transport, deadline_in(2s)) == "x\r\n");
    transport->close();
    server.join();
    CHECK(server_name == "localhost");
}

TEST_CASE("tls: a large write goes through in pieces", "[tls]") {
    auto context = mailsync::test::make_server_context(pki().server);
    const std::size_t size = 3u << 20;
    LoopbackServer server([&](PeerConnection& peer) {
        if (!peer.accept_tls(context.get())) return;
        peer.write("received " + std::to_string(peer.read_exactly(size)) + "\r\n");
        peer.wait_for_client_close();
    });
    auto transport = TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::implicit), deadline_in(2s));
    transport->write_all(std::string(size, 'm'), deadline_in(5s));
    CHECK(read_line(*transport, deadline_in(2s)) == "received " + std::to_string(size) + "\r\n");
    CHECK(transport->bytes_sent() > size);
}

TEST_CASE("tls: a certificate for another name is refused, naming the host", "[tls]") {
    auto context = mailsync::test::make_server_context(pki().name_only);
    LoopbackServer server(tls_echo_script(context.get()));
    const Error error = error_of([&] {
        TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::implicit), deadline_in(2s));
    });
    CHECK(error.category() == ErrorCategory::protocol);
    CHECK_THAT(error.what(), Catch::Contains("certificate for 127.0.0.1 not trusted"));
    CHECK_THAT(error.what(), Catch::Contains("the certificate is for localhost"));
}

TEST_CASE("tls: a certificate from an unknown CA is refused with its fingerprint", "[tls]") {
    auto context = mailsync::test::make_server_context(pki().server);
    LoopbackServer server(tls_echo_script(context.get()));
    Endpoint endpoint = endpoint_for("localhost", server.port(), TlsMode::implicit);
    endpoint.tls_options.ca_file.clear();  // the system trust store, which does not know the test CA
    const Error error = error_of([&] { TcpTransport::connect(endpoint, deadline_in(2s)); });
    CHECK(error.category() == ErrorCategory::protocol);
    CHECK_THAT(error.what(), Catch::Contains("certificate for localhost not trusted"));
    CHECK_THAT(error.what(), Catch::Contains("SHA256:" + mailsync::test::fingerprint_of(pki().server.certificate.get())));
}

TEST_CASE("tls: an expired certificate is refused, telling to renew it rather than pin it", "[tls]") {
    auto context = mailsync::test::make_server_context(pki().expired);
    LoopbackServer server(tls_echo_script(context.get()));
    const Error error = error_of([&] {
        TcpTransport::connect(endpoint_for("localhost", server.port(), TlsMode::implicit), deadline_in(2s));
    });
    CHECK(error.category() == ErrorCategory::protocol);
    CHECK_THAT(error.what(), Catch::Contains("certificate has expired") && Catch::Contains("must be renewed") &&
                                 Catch::Contains("would accept it, expired or not"));
    CHECK_THAT(error.what(), !Catch::Contains("set tls_ca_file"));
}

TEST_CASE("tls: verify = false accepts any certificate", "[tls]") {
    auto context = mailsync::test::make_server_context(pki().self_signed);
    LoopbackServer server(tls_echo_script(context.get()));
    Endpoint endpoint = endpoint_for("127.0.0.1", server.port(), TlsMode::implicit);
    endpoint.tls_options.ca_file.clear();
    endpoint.tls_options.verify = false;
    auto transport = TcpTransport::connect(endpoint, deadline_in(2s));
    transport->write_all("x\r\n", deadline_in(2s));
    CHECK(read_line(*transport, deadline_in(2s)) == "x\r\n");
}

TEST_CASE("tls: a pinned self-signed certificate is accepted, whatever the host name", "[tls]") {
    const std::string fingerprint = mailsync::test::fingerprint_of(pki().self_signed.certificate.get());
    std::string lower_case_bare = mailsync::ascii::to_lower(fingerprint);
    std::erase(lower_case_bare, ':');
    // Written as `openssl x509 -fingerprint` prints it, as the refusal message prints it, or bare.
    for (const std::string& pin : {fingerprint, "SHA256:" + fingerprint, lower_case_bare}) {
        auto context = mailsync::test::make_server_context(pki().self_signed);
        LoopbackServer server(tls_echo_script(context.get()));
        Endpoint endpoint = endpoint_for("127.0.0.1", server.port(), TlsMode::implicit);
        endpoint.tls_options.ca_file.clear();
        endpoint.tls_options.pinned_sha256 = pin;
        auto transport = TcpTransport::connect(endpoint, deadline_in(2s));
        transport->write_all("pinned\r\n", deadline_in(2s));
        CHECK(read_line(*transport, deadline_in(2s)) == "pinned\r\n");
    }
}

TEST_CASE("tls: a pin replaces the CA: a valid certificate with another fingerprint is refused", "[tls]") {
    auto context = mailsync::test::make_server_context(pki().server);
    LoopbackServer server(tls_echo_script(context.get()));
    Endpoint endpoint = endpoint_for("127.0.0.1", server.port(), TlsMode::implicit);
    endpoint.tls_options.pinned_sha256 = mailsync::test::fingerprint_of(pki().self_signed.certificate.get());
    const Error error = error_of([&] { TcpTransport::connect(endpoint, deadline_in(2s)); });
    CHECK(error.category() == ErrorCategory::protocol);
    CHECK_THAT(error.what(), Catch::Contains("does not match the pinned fingerprint"));
    CHECK_THAT(error.what(), Catch::Contains(mailsync::test::fingerprint_of(pki().server.certificate.get())));
}

TEST_CASE("tls: configuration mistakes are config errors, found before connecting", "[tls]") {
    Endpoint endpoint = endpoint_for("127.0.0.1", 9, TlsMode::implicit);
    endpoint.tls_options.pinned_sha256 = "SHA256:12:34";
    CHECK(category_of([&] { TcpTransport::connect(endpoint, deadline_in(1s)); }) == ErrorCategory::config);

    auto context = mailsync::test::make_server_context(pki().server);
    LoopbackServer server(tls_echo_script(context.get()));
    Endpoint missing_ca = endpoint_for("127.0.0.1", server.port(), TlsMode::implicit);
    missing_ca.tls_options.ca_file = (pki().directory.path() / "no-such-ca.pem").string();
    const Error error = error_of([&] { TcpTransport::connect(missing_ca, deadline_in(2s)); });
    CHECK(error.category() == ErrorCategory::config);
    CHECK_THAT(error.what(), Catch::Contains("no-such-ca.pem"));
}

TEST_CASE("tls: STARTTLS upgrades a plain exchange", "[tls]") {
    auto context = mailsync::test::make_server_context(pki().server);
    std::string after_upgrade;
    LoopbackServer server([&](PeerConnection& peer) {
        peer.write("* OK ready\r\n");
        if (peer.read_line() != "a1 STARTTLS\r\n") return;
        peer.write("a1 OK begin TLS\r\n");
        if (!peer.accept_tls(context.get())) return;
        after_upgrade = peer.read_line();
        peer.write("* OK secure\r\n");
        peer.wait_for_client_close();
    });
    auto transport = TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::starttls), deadline_in(2s));
    CHECK(read_line(*transport, deadline_in(2s)) == "* OK ready\r\n");
    transport->write_all("a1 STARTTLS\r\n", deadline_in(2s));
    CHECK(read_line(*transport, deadline_in(2s)) == "a1 OK begin TLS\r\n");
    CHECK_FALSE(transport->is_tls());
    transport->start_tls(deadline_in(2s));
    CHECK(transport->is_tls());
    CHECK_FALSE(transport->peer_certificate_sha256().empty());
    transport->write_all("a2 CAPABILITY\r\n", deadline_in(2s));
    CHECK(read_line(*transport, deadline_in(2s)) == "* OK secure\r\n");
    CHECK(category_of([&] { transport->start_tls(deadline_in(1s)); }) == ErrorCategory::internal);
    transport->close();
    server.join();
    CHECK(after_upgrade == "a2 CAPABILITY\r\n");
}

TEST_CASE("tls: a server that keeps talking plain text after STARTTLS is an error, not a fallback", "[tls]") {
    LoopbackServer server([](PeerConnection& peer) {
        peer.read_line();
        peer.write("a1 OK begin TLS\r\n");
        peer.read_some();
        peer.write("* BAD this is not TLS at all, sorry, not at all\r\n");
        peer.wait_for_client_close();
    });
    auto transport = TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::starttls), deadline_in(2s));
    transport->write_all("a1 STARTTLS\r\n", deadline_in(2s));
    CHECK(read_line(*transport, deadline_in(2s)) == "a1 OK begin TLS\r\n");
    const Error error = error_of([&] { transport->start_tls(deadline_in(2s)); });
    CHECK(error.category() == ErrorCategory::protocol);
    CHECK_THAT(error.what(), Catch::Contains("TLS handshake with 127.0.0.1"));
    CHECK_FALSE(transport->is_tls());
}

TEST_CASE("tls: a silent server during the handshake fails at the deadline", "[tls]") {
    LoopbackServer server([](PeerConnection& peer) {
        peer.set_timeouts(kFarDeadline);
        peer.wait_for_client_close();
    });
    const auto start = Clock::now();
    const Error error = error_of([&] {
        TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::implicit), deadline_in(300ms));
    });
    // The peer stays silent until the client leaves: only the deadline ends the handshake.
    CHECK(seconds_since(start) >= 0.29);
    CHECK(seconds_since(start) < 0.3 + kSlackSeconds);
    CHECK(error.category() == ErrorCategory::unavailable);
    CHECK_THAT(error.what(), Catch::Contains("did not answer"));
}

TEST_CASE("tls: the server's close ends the stream, with or without close_notify", "[tls]") {
    for (const bool close_notify : {true, false}) {
        auto context = mailsync::test::make_server_context(pki().server);
        LoopbackServer server([&](PeerConnection& peer) {
            if (!peer.accept_tls(context.get())) return;
            peer.write("* BYE\r\n");
            if (close_notify) peer.shutdown_tls();
        });
        auto transport = TcpTransport::connect(endpoint_for("127.0.0.1", server.port(), TlsMode::implicit), deadline_in(2s));
        CHECK(read_line(*transport, deadline_in(2s)) == "* BYE\r\n");
        std::array<char, 16> buffer{};
        CHECK(transport->read_some(buffer, deadline_in(2s)) == 0);
    }
}

// The real transport: a TCP connection, optionally TLS through OpenSSL 3 (implicit TLS at connect,
// or STARTTLS later through start_tls()). Non-blocking socket, every wait is a poll() bounded by the
// caller's deadline.
//
// Certificate policy, in order:
//   - tls_options.pinned_sha256 set: the leaf certificate's SHA-256 must equal it, and nothing else
//     is checked (no chain, no host name). That is the point of pinning: it lets a user trust one
//     self-signed certificate, and no other certificate, even a publicly valid one, is accepted.
//   - tls_options.verify (the default): the chain must verify against tls_options.ca_file, or the
//     system trust store when that is empty, and the certificate must name the host (DNS name, or
//     IP address when the host is an IP literal).
//   - verify == false: anything is accepted (tests only).
//
// Error categories: network failures and timeouts are Error(unavailable) (exit 75: retry later
// helps). A certificate that is not trusted or does not match the pin, and a handshake that fails
// for a TLS reason (no common protocol, the server does not speak TLS after STARTTLS), are
// Error(protocol): retrying cannot fix them, and a cron job must not retry silently forever
// against a man in the middle. A TLS failure after a good handshake is a damaged stream, so
// Error(unavailable), as for a reset.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sync/imap/transport.hpp"

namespace mailsync::imap {

class TcpTransport final : public Transport {
public:
    // Resolves endpoint.host (a name or an IP literal; "[::1]" is accepted), tries each address in
    // turn within the deadline, and completes the TLS handshake when endpoint.tls is implicit.
    // Name resolution itself (getaddrinfo) cannot be bounded by the deadline.
    static std::unique_ptr<TcpTransport> connect(const Endpoint& endpoint, Deadline deadline);

    ~TcpTransport() override;
    TcpTransport(const TcpTransport&) = delete;
    TcpTransport& operator=(const TcpTransport&) = delete;

    std::size_t read_some(std::span<char> buffer, Deadline deadline) override;
    void write_all(std::string_view bytes, Deadline deadline) override;
    void start_tls(Deadline deadline) override;
    bool is_tls() const override;
    bool tls_compressed() const override;
    std::uint64_t unsent_bytes() const override;  // SIOCOUTQ
    // Best-effort TLS close_notify, then closes the socket. Idempotent.
    void close() noexcept override;

    // SHA-256 of the server's leaf certificate as upper-case hex pairs joined by ':' (the format of
    // `openssl x509 -fingerprint -sha256`); empty before a TLS handshake.
    std::string peer_certificate_sha256() const;
    // Bytes on the wire (TLS records when TLS is on), for the benchmark.
    std::uint64_t bytes_sent() const { return bytes_sent_; }
    std::uint64_t bytes_received() const { return bytes_received_; }

private:
    struct Tls;     // OpenSSL objects, kept out of this header
    struct Budget;  // a deadline, the span it was set for (for messages), renewed by a write's progress
    enum class TlsStep { done, peer_closed, failed };

    TcpTransport(int socket, Endpoint endpoint);

    void handshake(Budget& budget);
    [[noreturn]] void throw_handshake_failure();
    TlsStep run_tls(const std::function<int()>& operation, Budget& budget);
    std::size_t read_plain(std::span<char> buffer, Budget& budget);
    std::size_t read_tls(std::span<char> buffer, Budget& budget);
    void send_raw(std::string_view bytes, Budget& budget);
    void flush_tls_output(Budget& budget);
    bool fill_tls_input(Budget& budget);
    void wait_for(short events, Budget& budget);
    void throw_if_closed() const;

    int socket_ = -1;
    Endpoint endpoint_;
    std::string peer_name_;  // "host:port", for messages
    std::unique_ptr<Tls> tls_;
    std::uint64_t bytes_sent_ = 0;
    std::uint64_t bytes_received_ = 0;
};

}  // namespace mailsync::imap

// The byte pipe under a session. The only code that touches a socket implements this; everything
// above it is tested with MemoryTransport. Every call has a deadline: a peer that goes silent is
// an Error(unavailable), never a hang.
//
// Deadlines measure inactivity, not the length of a transfer. read_some returns as soon as any byte
// arrives, so its deadline is simply the longest wait for the next bytes. write_all's deadline is
// turned into a span (deadline minus the moment of the call) and moves one span further each time
// the peer has accepted kProgressBytes more: a 50 MB APPEND over a slow uplink goes on as long as
// the uplink moves, and fails only when the peer takes less than kProgressBytes in one span (a
// peer that takes one byte a second is as dead as a silent one). What write_all handed to the
// kernel may still be on its way for a long time after it returned (a few MB of socket buffers on
// a slow uplink): unsent_bytes() lets the session count that as progress too.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mailsync::imap {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline Deadline deadline_in(std::chrono::milliseconds ms) { return Clock::now() + ms; }

// How many bytes make progress: a transfer that moves less than this in one timeout is dead.
inline constexpr std::uint64_t kProgressBytes = 4096;

class Transport {
public:
    virtual ~Transport() = default;
    // Reads what is available (at least one byte), waiting until the deadline. Returns 0 at a clean
    // end of stream. Throws Error(unavailable) on timeout, reset, or TLS failure.
    virtual std::size_t read_some(std::span<char> buffer, Deadline deadline) = 0;
    // Writes every byte. The deadline is one span of inactivity, renewed by progress (above).
    virtual void write_all(std::string_view bytes, Deadline deadline) = 0;
    // Upgrades the connection to TLS (STARTTLS) after the server's OK. Bytes the transport had
    // buffered but not yet delivered are discarded: they arrived in clear text.
    virtual void start_tls(Deadline deadline) = 0;
    virtual bool is_tls() const = 0;
    virtual void close() noexcept = 0;
    // Bytes written but not yet acknowledged by the peer (the kernel's send queue: write_all keeps
    // nothing back itself), or 0 when unknown. The session watches it drain while it waits for an
    // answer: the end of a long upload sits there on a slow uplink, and it draining is progress.
    virtual std::uint64_t unsent_bytes() const { return 0; }
    // TLS negotiated its own compression (then COMPRESS must not be used: RFC 4978 §4, CRIME).
    virtual bool tls_compressed() const { return false; }
    // COMPRESS=DEFLATE is active on this connection (DeflateTransport).
    virtual bool compressed() const { return false; }
};

enum class TlsMode { implicit, starttls, none };

struct TlsOptions {
    std::string ca_file;                      // empty: the system trust store
    std::string pinned_sha256;                // hex of the certificate's SHA-256; set: only that certificate is accepted
    bool verify = true;                       // false only for tests that say so
};

struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    TlsMode tls = TlsMode::implicit;
    TlsOptions tls_options;
    std::chrono::milliseconds connect_timeout{15000};
};

}  // namespace mailsync::imap

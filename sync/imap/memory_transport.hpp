// A scripted peer in memory, for protocol tests of everything above the transport. The test queues
// the server's bytes, reads what the client wrote, and can make the connection fail at a chosen
// point. It never blocks: when the script has nothing more to say, a read fails at once as a
// timeout would, so a test that waits for bytes the script never provides fails instead of hanging.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sync/imap/transport.hpp"

namespace mailsync::imap {

class MemoryTransport final : public Transport {
public:
    // Called after each write_all with the bytes of that call (a command may arrive in several
    // writes, e.g. around a literal). It may push_incoming() the server's answer, cut(), etc.
    using Responder = std::function<void(std::string_view written, MemoryTransport& transport)>;

    // starts_in_tls: behave as an implicit-TLS connection (is_tls() is true from the start).
    explicit MemoryTransport(bool starts_in_tls = false) : tls_(starts_in_tls) {}

    // --- the script (server side) ---

    // Queues bytes from the server. Each chunk is delivered by its own read_some calls: a read
    // never returns bytes of two chunks, so a test controls exactly where reads split the stream.
    void push_incoming(std::string bytes);
    // Every read_some returns at most one byte, to test parsers fed one byte at a time.
    void deliver_byte_by_byte(bool enabled = true) { byte_by_byte_ = enabled; }
    // The server closes its side: once the queued bytes are read, read_some returns 0 (EOF).
    void close_incoming() { incoming_closed_ = true; }
    // The next `reads` read_some calls behave normally; the one after throws a lost connection,
    // as do all later reads and writes.
    void fail_after_reads(std::size_t reads) { reads_before_failure_ = reads; }
    // The connection is lost now: every later read_some / write_all throws Error(unavailable).
    void cut() { cut_ = true; }
    void set_responder(Responder responder) { responder_ = std::move(responder); }

    // --- what the client did ---

    // Everything written since the last take_written(), and clears it.
    std::string take_written();
    const std::string& written() const { return written_; }
    // Bytes queued by push_incoming() and not read yet.
    std::size_t unread_incoming() const;
    std::size_t start_tls_calls() const { return start_tls_calls_; }
    bool closed() const { return closed_; }

    // --- Transport ---

    // Throws Error(unavailable) "timed out" at once when nothing is queued (and the peer has not
    // closed), rather than waiting for the deadline.
    std::size_t read_some(std::span<char> buffer, Deadline deadline) override;
    void write_all(std::string_view bytes, Deadline deadline) override;
    // Records the upgrade and, like the real transport, discards queued bytes nobody read yet:
    // they would have arrived in clear text before the handshake (a STARTTLS injection).
    void start_tls(Deadline deadline) override;
    bool is_tls() const override { return tls_; }
    void close() noexcept override { closed_ = true; }

private:
    void throw_if_unusable() const;

    std::deque<std::string> incoming_;
    std::size_t offset_in_front_ = 0;  // bytes of incoming_.front() already delivered
    bool incoming_closed_ = false;
    bool byte_by_byte_ = false;
    std::optional<std::size_t> reads_before_failure_;
    bool cut_ = false;
    bool closed_ = false;
    bool tls_ = false;
    std::size_t start_tls_calls_ = 0;
    std::string written_;
    Responder responder_;
};

}  // namespace mailsync::imap

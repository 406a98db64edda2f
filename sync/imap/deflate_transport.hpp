// COMPRESS=DEFLATE (RFC 4978) as a layer over another Transport: what the session writes is
// compressed with raw deflate (no zlib header, windowBits -15) and flushed with Z_SYNC_FLUSH at the
// end of every write_all, so the server can decompress each command as soon as it arrives; what
// the server sends is inflated before the session sees it. The session, its parser and its
// deadline rules are unchanged: read_some still returns as soon as some (decompressed) bytes are
// there, and its deadline still bounds the wait for them.
//
// Progress and limits:
//   - read_some returns decompressed bytes, at most the caller's buffer: one read never inflates
//     more than that, so a small compressed "bomb" costs time in slices, never memory (the rest
//     stays in zlib's input until the next read).
//   - Compressed bytes that inflate to nothing (empty flush blocks) do not return: read_some waits
//     for the next compressed bytes within the same deadline, so a server sending only empty
//     blocks times out like a silent one.
//   - A stream that does not inflate (corrupt data, a dictionary request, data after the final
//     block) is Error(protocol): exit 76, retrying does not help.
//   - The compressed byte counts are what the inner transport counts (TcpTransport::bytes_*).
#pragma once

#include <memory>
#include <string>

#include "sync/imap/transport.hpp"

namespace mailsync::imap {

class DeflateTransport final : public Transport {
public:
    // Takes over `inner` right after the server's OK to COMPRESS DEFLATE.
    explicit DeflateTransport(std::unique_ptr<Transport> inner);
    ~DeflateTransport() override;
    DeflateTransport(const DeflateTransport&) = delete;
    DeflateTransport& operator=(const DeflateTransport&) = delete;

    // Bytes the server sent after its OK but that were already read from `inner` (in the same
    // read as the OK): they are compressed, and are inflated before anything read later.
    void push_compressed(std::string_view bytes);

    std::size_t read_some(std::span<char> buffer, Deadline deadline) override;
    void write_all(std::string_view bytes, Deadline deadline) override;
    // TLS cannot start inside a compressed stream (RFC 4978 §4: compression is the last layer).
    void start_tls(Deadline deadline) override;
    bool is_tls() const override { return inner_->is_tls(); }
    bool tls_compressed() const override { return inner_->tls_compressed(); }
    bool compressed() const override { return true; }
    void close() noexcept override { inner_->close(); }
    std::uint64_t unsent_bytes() const override { return inner_->unsent_bytes(); }

private:
    struct Streams;  // zlib's z_stream pair, kept out of this header

    std::size_t inflate_into(std::span<char> buffer);

    std::unique_ptr<Transport> inner_;
    std::unique_ptr<Streams> streams_;
    std::string pending_input_;   // compressed bytes read but not yet fully inflated
    std::size_t pending_offset_ = 0;
    bool ended_ = false;          // the server ended its deflate stream (a final block)
};

}  // namespace mailsync::imap

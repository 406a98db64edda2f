#include "sync/imap/deflate_transport.hpp"

#include <zlib.h>

#include <array>
#include <fmt/format.h>

#include "common/error.hpp"

namespace mailsync::imap {

namespace {

constexpr int kRawDeflateWindow = -15;  // RFC 4978 §4: raw deflate, 32 KB window, no zlib header

std::string zlib_message(const z_stream& stream, int rc) {
    return stream.msg != nullptr ? std::string(stream.msg) : fmt::format("zlib error {}", rc);
}

}  // namespace

struct DeflateTransport::Streams {
    z_stream out{};  // our commands, compressed
    z_stream in{};   // the server's responses, inflated
    bool out_ready = false;
    bool in_ready = false;

    ~Streams() {
        if (out_ready) deflateEnd(&out);
        if (in_ready) inflateEnd(&in);
    }
};

DeflateTransport::DeflateTransport(std::unique_ptr<Transport> inner)
    : inner_(std::move(inner)), streams_(std::make_unique<Streams>()) {
    if (deflateInit2(&streams_->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kRawDeflateWindow, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw Error(ErrorCategory::internal, "zlib: cannot set up deflate");
    streams_->out_ready = true;
    if (inflateInit2(&streams_->in, kRawDeflateWindow) != Z_OK)
        throw Error(ErrorCategory::internal, "zlib: cannot set up inflate");
    streams_->in_ready = true;
}

DeflateTransport::~DeflateTransport() = default;

void DeflateTransport::push_compressed(std::string_view bytes) { pending_input_.append(bytes); }

std::size_t DeflateTransport::inflate_into(std::span<char> buffer) {
    z_stream& in = streams_->in;
    const std::size_t available = pending_input_.size() - pending_offset_;
    if (ended_) {
        if (available > 0) throw Error(ErrorCategory::protocol, "server sent data after the end of its compressed stream");
        return 0;
    }
    // zlib's pointers are not const-correct; it never writes through next_in.
    in.next_in = reinterpret_cast<Bytef*>(pending_input_.data() + pending_offset_);
    in.avail_in = static_cast<uInt>(available);
    in.next_out = reinterpret_cast<Bytef*>(buffer.data());
    in.avail_out = static_cast<uInt>(buffer.size());
    const int rc = inflate(&in, Z_SYNC_FLUSH);
    pending_offset_ += available - in.avail_in;
    const std::size_t produced = buffer.size() - in.avail_out;
    if (pending_offset_ == pending_input_.size()) {
        pending_input_.clear();
        pending_offset_ = 0;
    }
    switch (rc) {
    case Z_OK:
    case Z_BUF_ERROR:  // no progress possible without more input or more room: not an error
        return produced;
    case Z_STREAM_END:
        ended_ = true;
        return produced;
    default:  // Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR, Z_STREAM_ERROR
        throw Error(ErrorCategory::protocol, fmt::format("server's compressed stream is damaged ({})", zlib_message(in, rc)));
    }
}

std::size_t DeflateTransport::read_some(std::span<char> buffer, Deadline deadline) {
    if (buffer.empty()) return 0;
    for (;;) {
        // Output zlib still holds from the last read comes first, then pending input.
        if (const std::size_t produced = inflate_into(buffer); produced > 0) return produced;
        std::array<char, 16 * 1024> compressed;
        const std::size_t n = inner_->read_some(compressed, deadline);
        if (n == 0) return 0;  // the session reports a stream cut in the middle of a response
        pending_input_.append(compressed.data(), n);
    }
}

void DeflateTransport::write_all(std::string_view bytes, Deadline deadline) {
    z_stream& out = streams_->out;
    std::string compressed;
    std::array<char, 16 * 1024> chunk;
    out.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    out.avail_in = static_cast<uInt>(bytes.size());
    // Z_SYNC_FLUSH ends on a byte boundary with everything so far emitted: the server can inflate
    // the whole command at once instead of waiting for the next one. Deflate is done when it
    // leaves room in the output buffer.
    do {
        out.next_out = reinterpret_cast<Bytef*>(chunk.data());
        out.avail_out = static_cast<uInt>(chunk.size());
        const int rc = deflate(&out, Z_SYNC_FLUSH);
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            throw Error(ErrorCategory::internal, fmt::format("zlib: deflate failed ({})", zlib_message(out, rc)));
        compressed.append(chunk.data(), chunk.size() - out.avail_out);
    } while (out.avail_out == 0);
    inner_->write_all(compressed, deadline);
}

void DeflateTransport::start_tls(Deadline /*deadline*/) {
    throw Error(ErrorCategory::internal, "STARTTLS inside a compressed stream");
}

}  // namespace mailsync::imap

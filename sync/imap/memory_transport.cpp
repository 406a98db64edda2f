#include "sync/imap/memory_transport.hpp"

#include <algorithm>
#include <utility>

#include "common/error.hpp"

namespace mailsync::imap {

void MemoryTransport::push_incoming(std::string bytes) {
    // An empty chunk would make a read return 0, which means EOF: never queue one.
    if (!bytes.empty()) incoming_.push_back(std::move(bytes));
}

std::string MemoryTransport::take_written() { return std::exchange(written_, std::string{}); }

std::size_t MemoryTransport::unread_incoming() const {
    std::size_t total = 0;
    for (const auto& chunk : incoming_) total += chunk.size();
    return total - offset_in_front_;
}

void MemoryTransport::throw_if_unusable() const {
    if (closed_) throw Error(ErrorCategory::internal, "memory transport: used after close()");
    if (cut_) throw Error(ErrorCategory::unavailable, "connection to memory peer lost");
}

std::size_t MemoryTransport::read_some(std::span<char> buffer, Deadline /*deadline*/) {
    if (reads_before_failure_) {
        if (*reads_before_failure_ == 0) cut_ = true;
        else --*reads_before_failure_;
    }
    throw_if_unusable();
    if (buffer.empty()) throw Error(ErrorCategory::internal, "memory transport: read into an empty buffer");
    if (incoming_.empty()) {
        if (incoming_closed_) return 0;
        throw Error(ErrorCategory::unavailable, "memory peer: timed out (the script has nothing more to send)");
    }
    const std::string& chunk = incoming_.front();
    std::size_t count = std::min(buffer.size(), chunk.size() - offset_in_front_);
    if (byte_by_byte_) count = 1;
    std::copy_n(chunk.data() + offset_in_front_, count, buffer.data());
    offset_in_front_ += count;
    if (offset_in_front_ == chunk.size()) {
        incoming_.pop_front();
        offset_in_front_ = 0;
    }
    return count;
}

void MemoryTransport::write_all(std::string_view bytes, Deadline /*deadline*/) {
    throw_if_unusable();
    written_.append(bytes);
    // Copy: the responder may replace itself (set_responder) while it runs.
    if (responder_) {
        Responder responder = responder_;
        responder(bytes, *this);
    }
}

void MemoryTransport::start_tls(Deadline /*deadline*/) {
    throw_if_unusable();
    if (tls_) throw Error(ErrorCategory::internal, "memory transport: start_tls() on a TLS connection");
    incoming_.clear();
    offset_in_front_ = 0;
    tls_ = true;
    ++start_tls_calls_;
}

}  // namespace mailsync::imap

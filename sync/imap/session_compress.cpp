// Session::compress(): COMPRESS DEFLATE (RFC 4978). Apart from the rest of the session because it
// is the one place that swaps the transport under a live session.
#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/imap/deflate_transport.hpp"
#include "sync/imap/session.hpp"

namespace mailsync::imap {

bool Session::compress() {
    if (transport_->compressed() || !has_capability("COMPRESS=DEFLATE")) return false;
    // RFC 4978 §4 / CRIME: two layers of compression leak secrets and gain nothing.
    if (transport_->tls_compressed()) return false;
    // Nothing may be in flight: the server starts compressing right after its OK, and a command
    // written before that must be answered in clear text.
    wait_all();
    compress_tag_ = send(cmd::CompressDeflate{});
    const StatusResponse response = wait(*compress_tag_);
    compress_tag_.reset();
    // A refusal leaves the connection as it was: uncompressed, in step (the caller decides whether
    // that is acceptable; compress: yes makes it an error).
    if (response.status != Status::ok) {
        compress_refusal_ = response.text;
        return false;
    }
    auto deflate = std::make_unique<DeflateTransport>(std::move(transport_));
    // Bytes read together with the OK are already the compressed stream.
    deflate->push_compressed(parser_.take_unread());
    transport_ = std::move(deflate);
    return true;
}

}  // namespace mailsync::imap

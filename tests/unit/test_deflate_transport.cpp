// The COMPRESS=DEFLATE layer over a scripted peer: the server side is plain zlib here, so the
// layer is checked against the format itself, not against its own other half.
#include <zlib.h>

#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "sync/imap/deflate_transport.hpp"
#include "sync/imap/memory_transport.hpp"

using namespace mailsync;
using namespace mailsync::imap;

namespace {

// Raw deflate with a sync flush at the end, as a server sends a response.
std::string server_deflate(const std::string& text) {
    z_stream stream{};
    REQUIRE(deflateInit2(&stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&stream, text.size()) + 64, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    stream.avail_in = static_cast<uInt>(text.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&stream, Z_SYNC_FLUSH) == Z_OK);
    out.resize(out.size() - stream.avail_out);
    deflateEnd(&stream);
    return out;
}

std::string server_inflate(const std::string& compressed) {
    z_stream stream{};
    REQUIRE(inflateInit2(&stream, -15) == Z_OK);
    std::string out(1 << 20, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    stream.avail_in = static_cast<uInt>(compressed.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&stream, Z_SYNC_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_BUF_ERROR));
    REQUIRE(stream.avail_in == 0);  // the whole write inflates now: it ended with a flush
    out.resize(out.size() - stream.avail_out);
    inflateEnd(&stream);
    return out;
}

std::string read_all(DeflateTransport& transport, std::size_t expected, std::size_t buffer_size = 7) {
    std::string got;
    std::string buffer(buffer_size, '\0');
    while (got.size() < expected) {
        const std::size_t n = transport.read_some(buffer, deadline_in(std::chrono::milliseconds(100)));
        REQUIRE(n > 0);
        REQUIRE(n <= buffer_size);
        got.append(buffer.data(), n);
    }
    return got;
}

const std::string kResponse =
    "* 1 FETCH (UID 7 BODY[] {52}\r\nSubject: hello\r\n\r\nhello hello hello hello hello\r\n)\r\n"
    "A3 OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] done\r\n";

}  // namespace

TEST_CASE("deflate layer: a response split at every byte inflates to the same bytes", "[transport][compress]") {
    const std::string compressed = server_deflate(kResponse);
    for (std::size_t split = 0; split <= compressed.size(); ++split) {
        auto memory = std::make_unique<MemoryTransport>();
        memory->push_incoming(compressed.substr(0, split));
        memory->push_incoming(compressed.substr(split));
        DeflateTransport transport(std::move(memory));
        INFO("split at " << split);
        CHECK(read_all(transport, kResponse.size()) == kResponse);
    }
}

TEST_CASE("deflate layer: bytes read with the OK are inflated first", "[transport][compress]") {
    const std::string compressed = server_deflate(kResponse);
    auto memory = std::make_unique<MemoryTransport>();
    memory->push_incoming(compressed.substr(10));
    DeflateTransport transport(std::move(memory));
    transport.push_compressed(compressed.substr(0, 10));
    CHECK(read_all(transport, kResponse.size(), 64 * 1024) == kResponse);
}

TEST_CASE("deflate layer: every write is compressed and flushed", "[transport][compress]") {
    auto memory = std::make_unique<MemoryTransport>();
    MemoryTransport* peer = memory.get();
    DeflateTransport transport(std::move(memory));
    const std::string first = "A4 UID FETCH 1:* (FLAGS)\r\n";
    const std::string second = "A5 NOOP\r\n";
    transport.write_all(first, deadline_in(std::chrono::milliseconds(100)));
    const std::string first_wire = peer->take_written();
    CHECK(first_wire != first);
    // Each write is complete on its own (sync flush): the peer need not wait for the next one.
    z_stream stream{};
    REQUIRE(inflateInit2(&stream, -15) == Z_OK);
    std::string out(4096, '\0');
    const auto inflate_more = [&](const std::string& wire) {
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(wire.data()));
        stream.avail_in = static_cast<uInt>(wire.size());
        stream.next_out = reinterpret_cast<Bytef*>(out.data());
        stream.avail_out = static_cast<uInt>(out.size());
        REQUIRE(inflate(&stream, Z_SYNC_FLUSH) == Z_OK);
        CHECK(stream.avail_in == 0);
        return std::string(out.data(), out.size() - stream.avail_out);
    };
    CHECK(inflate_more(first_wire) == first);
    transport.write_all(second, deadline_in(std::chrono::milliseconds(100)));
    CHECK(inflate_more(peer->take_written()) == second);
    inflateEnd(&stream);
    CHECK(server_inflate(server_deflate("x")) == "x");
}

TEST_CASE("deflate layer: a corrupt stream is a protocol error", "[transport][compress]") {
    auto memory = std::make_unique<MemoryTransport>();
    // 0xff: BTYPE 11, a reserved block type, which no deflate stream contains.
    memory->push_incoming(std::string("\xff\xff\xff\xff garbage", 12));
    DeflateTransport transport(std::move(memory));
    std::string buffer(1024, '\0');
    try {
        (void)transport.read_some(buffer, deadline_in(std::chrono::milliseconds(100)));
        FAIL("a corrupt stream was accepted");
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::protocol);
    }
}

TEST_CASE("deflate layer: a bomb inflates one buffer at a time", "[transport][compress]") {
    const std::string zeros(64u << 20, '\0');  // 64 MB in about 64 kB
    const std::string compressed = server_deflate(zeros);
    CHECK(compressed.size() < 200u * 1024);
    auto memory = std::make_unique<MemoryTransport>();
    memory->push_incoming(compressed);
    DeflateTransport transport(std::move(memory));
    std::string buffer(4096, '\0');
    for (int i = 0; i < 100; ++i) {
        const std::size_t n = transport.read_some(buffer, deadline_in(std::chrono::milliseconds(100)));
        REQUIRE(n > 0);
        REQUIRE(n <= buffer.size());
    }
}

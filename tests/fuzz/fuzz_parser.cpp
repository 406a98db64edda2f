// libFuzzer target for the IMAP response codec.
//
// Input layout: byte 0 picks the chunk size the rest is fed in, byte 1 the options (bit 0: small
// limits, bit 1: a body sink). The rest is the server's byte stream. Besides "no crash, no UB",
// it checks the codec's promises: the same stream parses to the same responses whether fed whole
// or in chunks, the sink sees begin/write/finish in order with the announced sizes, and nothing
// beyond the limits stays buffered.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "sync/imap/parser.hpp"
#include "tests/unit/response_dump.hpp"

namespace {

using namespace mailsync::imap;

[[noreturn]] void broken_promise(const char* what) {
    std::fprintf(stderr, "fuzz_parser: %s\n", what);
    std::abort();
}

class CheckingSink : public BodySink {
public:
    void begin(const BodyContext& context) override {
        if (open_) broken_promise("begin() while a body is open");
        open_ = true;
        expected_ = context.size;
        received_ = 0;
        log += "begin " + std::to_string(context.seq) + " " + context.item + "[" +
               context.section + "] " + std::to_string(context.size) + ";";
    }
    void write(std::string_view chunk) override {
        if (!open_) broken_promise("write() without begin()");
        if (chunk.empty()) broken_promise("empty write()");
        received_ += chunk.size();
        if (received_ > expected_) broken_promise("more body bytes than announced");
        log.append(chunk);
    }
    void finish() override {
        if (!open_) broken_promise("finish() without begin()");
        if (received_ != expected_) broken_promise("fewer body bytes than announced");
        open_ = false;
        log += ";finish;";
    }

    std::string log;

private:
    bool open_ = false;
    std::uint64_t expected_ = 0;
    std::uint64_t received_ = 0;
};

struct Run {
    std::vector<std::string> responses;
    std::string sink_log;
    bool failed = false;
};

Run run(std::string_view stream, std::size_t chunk, bool small_limits, bool with_sink) {
    ParserLimits limits;
    if (small_limits) {
        limits.max_response_bytes = 4096;
        limits.max_inline_literal = 512;
        limits.max_body_literal = 1u << 16;
    }
    Parser parser(limits);
    CheckingSink sink;
    if (with_sink) parser.set_body_sink(&sink);
    Run result;
    try {
        for (std::size_t offset = 0; offset < stream.size(); offset += chunk) {
            parser.feed(stream.substr(offset, chunk));
            while (auto response = parser.next()) result.responses.push_back(test::dump(*response));
            if (parser.buffered() > limits.max_response_bytes) {
                broken_promise("more than max_response_bytes left buffered");
            }
        }
    } catch (const mailsync::Error& error) {
        if (error.category() != mailsync::ErrorCategory::protocol) {
            broken_promise("an error that is not a protocol error");
        }
        result.failed = true;
        try {
            parser.next();
            broken_promise("a dead parser answered");
        } catch (const mailsync::Error&) {
        }
    }
    result.sink_log = std::move(sink.log);
    return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t chunk = 1 + data[0] % 97;
    const bool small_limits = (data[1] & 1) != 0;
    const bool with_sink = (data[1] & 2) != 0;
    const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

    const Run chunked = run(stream, chunk, small_limits, with_sink);
    const Run whole = run(stream, stream.size() + 1, small_limits, with_sink);
    if (chunked.responses != whole.responses) broken_promise("chunking changed the responses");
    if (chunked.sink_log != whole.sink_log) broken_promise("chunking changed the streamed bodies");
    if (chunked.failed != whole.failed) broken_promise("chunking changed whether it failed");
    return 0;
}

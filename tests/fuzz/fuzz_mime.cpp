// libFuzzer target for sync/mime/: the two shapes of hostile bytes it reads. The first byte picks
// one: 'B' and the rest is a BODYSTRUCTURE as a server sent it (headers first); anything else and
// the rest is a raw message as mirrored (show, list, the search index). Limits are small so that
// the fuzzer reaches the cuts. Promises checked besides "no crash, no UB, no leak": no exception,
// at most max_parts parts, every listed part's bytes readable, every text handed to people or to the
// index valid UTF-8, and a BODYSTRUCTURE that is not one gives no parts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "common/utf8.hpp"
#include "sync/mime/body_structure.hpp"
#include "sync/mime/message.hpp"
#include "sync/mime/search_text.hpp"

namespace {

using namespace mailsync;

[[noreturn]] void broken_promise(const char* what) {
    std::fprintf(stderr, "fuzz_mime: %s\n", what);
    std::abort();
}

void check(bool promise, const char* what) {
    if (!promise) broken_promise(what);
}

mime::Limits small_limits() {
    mime::Limits limits;
    limits.max_parts = 16;
    limits.max_boundary_lines = 64;
    limits.max_depth = 8;
    limits.max_text_bytes = 4096;
    return limits;
}

void read_structure(std::string_view wire, const mime::Limits& limits) {
    const mime::Structure structure = mime::parse_body_structure(wire, limits);
    check(structure.parts.size() <= limits.max_parts, "more BODYSTRUCTURE parts than max_parts");
    if (!structure.valid) check(structure.parts.empty(), "parts from text that is not a BODYSTRUCTURE");
    for (const auto& part : structure.parts) check(utf8::is_valid(part.file_name), "a file name that is not UTF-8");
}

void read_message(std::string_view raw, const mime::Limits& limits) {
    const mime::Message message = mime::Message::parse(raw, limits);
    check(message.parts().size() <= limits.max_parts, "more parts than max_parts");
    check(utf8::is_valid(message.headers().subject), "a subject that is not UTF-8");
    for (const auto& part : message.parts()) {
        check(utf8::is_valid(part.file_name), "a file name that is not UTF-8");
        check(message.part_bytes(part.section).has_value(), "a listed part whose bytes cannot be read");
        check(utf8::is_valid(message.part_text(part.section).value_or("")), "a part's text that is not UTF-8");
    }
    check(utf8::is_valid(message.body_text().value_or("")), "a body text that is not UTF-8");
    check(utf8::is_valid(mime::text_for_search(raw, limits)), "search text that is not UTF-8");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        if (data[0] == 'B') read_structure(input, small_limits());
        else read_message(input, small_limits());
    } catch (const std::exception& error) {
        std::fprintf(stderr, "fuzz_mime: exception: %s\n", error.what());
        std::abort();
    }
    return 0;
}

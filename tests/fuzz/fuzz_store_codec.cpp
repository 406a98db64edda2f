// libFuzzer target for the store's record codec: what a damaged database hands back.
//
// Input layout: byte 0 picks what the rest is decoded as (one of the record types of
// store/records.hpp, the damaged-bodies list, or an index key of store/keys.hpp); the rest is the
// value as LMDB would return it. Promises checked besides "no crash, no UB": decoding either gives
// a record or throws mailsync::Error(io) saying the record is corrupt (never another category or
// exception: the commands turn that into exit 74); and a record that decodes is re-encoded to
// bytes that decode to the same record (encode(decode(encode(r))) == encode(r)).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "store/keys.hpp"
#include "store/records.hpp"

namespace {

using namespace mailsync;
using namespace mailsync::store;

[[noreturn]] void broken_promise(const char* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz_store_codec: %s %.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

template <class Decode>
void round_trip(std::string_view bytes, Decode decode) {
    const auto record = decode(bytes);
    const std::string once = encode(record);
    const std::string twice = encode(decode(once));
    if (once != twice) broken_promise("a decoded record does not survive encode/decode");
}

void decode_as(std::uint8_t kind, std::string_view bytes) {
    switch (kind % 15) {
        case 0: return round_trip(bytes, decode_mailbox);
        case 1: return round_trip(bytes, decode_mailbox_counts);
        case 2: return round_trip(bytes, decode_message);
        case 3: return round_trip(bytes, decode_queue);
        case 4: return round_trip(bytes, decode_conflict);
        case 5: return round_trip(bytes, decode_export_state);
        case 6: return round_trip(bytes, decode_oauth_token);
        case 7: return round_trip(bytes, decode_sync_run);
        case 8: return round_trip(bytes, decode_view_file);
        case 9: return round_trip(bytes, decode_view_folder);
        case 10: return round_trip(bytes, decode_view_state);
        case 11: {
            const auto hashes = decode_damaged_bodies(bytes);
            if (decode_damaged_bodies(encode_damaged_bodies(hashes)) != hashes) broken_promise("damaged bodies round trip");
            return;
        }
        case 12: {
            const auto value = keys::decode_u64(bytes, "fuzzed key");
            if (keys::u64(value) != bytes) broken_promise("u64 key round trip");
            (void)keys::decode_u32(bytes, "fuzzed key");
            return;
        }
        case 13: (void)keys::message_of_index_key(bytes); return;
        case 14: (void)keys::hash_of_body_place(bytes); return;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        decode_as(data[0], bytes);
    } catch (const Error& error) {
        if (error.category() != ErrorCategory::io) broken_promise("an Error of another category than io:", error.what());
    } catch (const std::exception& error) {
        broken_promise("an exception that is not a mailsync::Error:", error.what());
    }
    return 0;
}

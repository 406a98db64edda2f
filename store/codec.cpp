#include "store/codec.hpp"

#include <fmt/format.h>

#include "common/error.hpp"

namespace mailsync::store {
namespace {

// A count of strings can be no more than the bytes left (each takes at least its length prefix):
// this bounds a reservation made from a corrupt count.
constexpr std::size_t min_string_size = 4;

template <class Unsigned>
void put_big_endian(std::string& out, Unsigned value) {
    for (std::size_t shift = sizeof(Unsigned) * 8; shift > 0; shift -= 8) {
        out.push_back(static_cast<char>(static_cast<std::uint8_t>(value >> (shift - 8))));
    }
}

template <class Unsigned>
Unsigned get_big_endian(std::string_view bytes) {
    Unsigned value = 0;
    for (char byte : bytes) {
        value = static_cast<Unsigned>((value << 8) | static_cast<std::uint8_t>(byte));
    }
    return value;
}

}  // namespace

Encoder& Encoder::u8(std::uint8_t value) {
    out_.push_back(static_cast<char>(value));
    return *this;
}
Encoder& Encoder::u16(std::uint16_t value) {
    put_big_endian(out_, value);
    return *this;
}
Encoder& Encoder::u32(std::uint32_t value) {
    put_big_endian(out_, value);
    return *this;
}
Encoder& Encoder::u64(std::uint64_t value) {
    put_big_endian(out_, value);
    return *this;
}
Encoder& Encoder::i64(std::int64_t value) { return u64(static_cast<std::uint64_t>(value)); }
Encoder& Encoder::boolean(bool value) { return u8(value ? 1 : 0); }

Encoder& Encoder::bytes(std::string_view value) {
    if (value.size() > UINT32_MAX) {
        throw Error(ErrorCategory::internal, "a store record field is larger than 4 GiB");
    }
    u32(static_cast<std::uint32_t>(value.size()));
    out_.append(value);
    return *this;
}

Encoder& Encoder::raw(std::string_view value) {
    out_.append(value);
    return *this;
}

Encoder& Encoder::strings(const std::vector<std::string>& values) {
    u32(static_cast<std::uint32_t>(values.size()));
    for (const auto& value : values) bytes(value);
    return *this;
}

std::string_view Decoder::take(std::size_t size) {
    if (size > data_.size()) corrupt("it ends early");
    std::string_view out = data_.substr(0, size);
    data_.remove_prefix(size);
    return out;
}

std::uint8_t Decoder::u8() { return get_big_endian<std::uint8_t>(take(1)); }
std::uint16_t Decoder::u16() { return get_big_endian<std::uint16_t>(take(2)); }
std::uint32_t Decoder::u32() { return get_big_endian<std::uint32_t>(take(4)); }
std::uint64_t Decoder::u64() { return get_big_endian<std::uint64_t>(take(8)); }
std::int64_t Decoder::i64() { return static_cast<std::int64_t>(u64()); }

bool Decoder::boolean() {
    std::uint8_t value = u8();
    if (value > 1) corrupt("a boolean is neither 0 nor 1");
    return value == 1;
}

std::string Decoder::bytes() {
    std::uint32_t size = u32();
    return std::string(take(size));
}

std::string_view Decoder::raw(std::size_t size) { return take(size); }

std::vector<std::string> Decoder::strings() {
    std::uint32_t count = u32();
    if (count > data_.size() / min_string_size) corrupt("a list is longer than the record");
    std::vector<std::string> out;
    out.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) out.push_back(bytes());
    return out;
}

void Decoder::version(std::uint8_t known) {
    std::uint8_t found = u8();
    if (found != known) corrupt(fmt::format("record version {} (this mailsync knows {})", found, known));
}

void Decoder::finish() const {
    if (!data_.empty()) corrupt(fmt::format("{} unexpected bytes at its end", data_.size()));
}

void Decoder::corrupt(std::string_view why) const {
    throw Error(ErrorCategory::io, fmt::format("the store is corrupt: a {} cannot be read: {}", what_, why));
}

}  // namespace mailsync::store

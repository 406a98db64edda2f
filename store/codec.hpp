// The byte encoding of keys and records. Integers are big-endian, so that LMDB's byte-wise key
// order is numeric order; strings and byte arrays carry a u32 length prefix. A record starts with
// a version byte of its own type, so that a record layout can change without a guess.
//
// The Decoder checks every length against the bytes left and throws Error(io, "... corrupt ...")
// rather than reading past the end: a damaged database is reported, not trusted.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailsync::store {

class Encoder {
public:
    Encoder& u8(std::uint8_t value);
    Encoder& u16(std::uint16_t value);
    Encoder& u32(std::uint32_t value);
    Encoder& u64(std::uint64_t value);
    Encoder& i64(std::int64_t value);   // two's complement, as u64
    Encoder& boolean(bool value);
    Encoder& bytes(std::string_view value);   // u32 length + bytes
    Encoder& raw(std::string_view value);     // fixed-size field: bytes only
    Encoder& strings(const std::vector<std::string>& values);
    template <std::size_t N>
    Encoder& fixed(const std::array<std::uint8_t, N>& value) {
        for (std::uint8_t byte : value) u8(byte);
        return *this;
    }
    template <class T, class Put>
    Encoder& optional(const std::optional<T>& value, Put put) {
        boolean(value.has_value());
        if (value) put(*this, *value);
        return *this;
    }

    const std::string& data() const& { return out_; }
    std::string data() && { return std::move(out_); }

private:
    std::string out_;
};

class Decoder {
public:
    // `what` names the thing decoded, for the error message.
    Decoder(std::string_view data, std::string_view what) : data_(data), what_(what) {}

    std::uint8_t u8();
    std::uint16_t u16();
    std::uint32_t u32();
    std::uint64_t u64();
    std::int64_t i64();
    bool boolean();
    std::string bytes();
    std::string_view raw(std::size_t size);
    std::vector<std::string> strings();
    template <std::size_t N>
    std::array<std::uint8_t, N> fixed() {
        std::array<std::uint8_t, N> out{};
        for (auto& byte : out) byte = u8();
        return out;
    }
    template <class T, class Get>
    std::optional<T> optional(Get get) {
        if (!boolean()) return std::nullopt;
        return get(*this);
    }

    // Reads the version byte and checks it is `known`.
    void version(std::uint8_t known);
    // Throws unless every byte was consumed.
    void finish() const;

    [[noreturn]] void corrupt(std::string_view why) const;

private:
    std::string_view take(std::size_t size);
    std::string_view data_;
    std::string_view what_;
};

}  // namespace mailsync::store

#include "store/body_hash.hpp"

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, but still part of its 3.x
// API. EVP's first digest initializes OpenSSL's default provider, ~2 MB of libcrypto touched and
// kept resident by a process that needs nothing else of it (a plaintext sync: a 30 000-message first
// sync peaked at 1.8 MB more, bench/results/2026-12-02-memory-round3.md); the low-level functions run
// the same assembly without it.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "common/error.hpp"

namespace mailsync::store {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

std::optional<std::uint8_t> hex_value(char digit) {
    if (digit >= '0' && digit <= '9') return static_cast<std::uint8_t>(digit - '0');
    if (digit >= 'a' && digit <= 'f') return static_cast<std::uint8_t>(digit - 'a' + 10);
    if (digit >= 'A' && digit <= 'F') return static_cast<std::uint8_t>(digit - 'A' + 10);
    return std::nullopt;
}

[[noreturn]] void openssl_failed(const char* what) {
    throw Error(ErrorCategory::internal, std::string("OpenSSL SHA-256 failed in ") + what);
}

}  // namespace

std::string BodyHash::hex() const {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::uint8_t byte : bytes) {
        out.push_back(hex_digits[byte >> 4]);
        out.push_back(hex_digits[byte & 0x0f]);
    }
    return out;
}

std::optional<BodyHash> BodyHash::from_hex(std::string_view text) {
    BodyHash hash;
    if (text.size() != hash.bytes.size() * 2) return std::nullopt;
    for (std::size_t i = 0; i < hash.bytes.size(); ++i) {
        auto high = hex_value(text[2 * i]);
        auto low = hex_value(text[2 * i + 1]);
        if (!high || !low) return std::nullopt;
        hash.bytes[i] = static_cast<std::uint8_t>((*high << 4) | *low);
    }
    return hash;
}

std::string_view BodyHash::view() const {
    // std::uint8_t and char share size and alignment; the view is read-only bytes.
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

struct Sha256::Context {
    SHA256_CTX state{};
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
    if (SHA256_Init(&context_->state) != 1) openssl_failed("SHA256_Init");
}

Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::update(std::string_view chunk) {
    if (SHA256_Update(&context_->state, chunk.data(), chunk.size()) != 1) openssl_failed("SHA256_Update");
}

BodyHash Sha256::finish() {
    BodyHash hash;
    static_assert(std::tuple_size_v<decltype(hash.bytes)> == SHA256_DIGEST_LENGTH);
    if (SHA256_Final(hash.bytes.data(), &context_->state) != 1) openssl_failed("SHA256_Final");
    return hash;
}

BodyHash Sha256::of(std::string_view data) {
    Sha256 hasher;
    hasher.update(data);
    return hasher.finish();
}

}  // namespace mailsync::store

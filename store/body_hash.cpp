#include "store/body_hash.hpp"

#include <openssl/evp.h>

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
    EVP_MD_CTX* md = nullptr;
    ~Context() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
    context_->md = EVP_MD_CTX_new();
    if (!context_->md) openssl_failed("EVP_MD_CTX_new");
    if (EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr) != 1) openssl_failed("EVP_DigestInit_ex");
}

Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::update(std::string_view chunk) {
    if (EVP_DigestUpdate(context_->md, chunk.data(), chunk.size()) != 1) openssl_failed("EVP_DigestUpdate");
}

BodyHash Sha256::finish() {
    BodyHash hash;
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(context_->md, hash.bytes.data(), &size) != 1 || size != hash.bytes.size()) {
        openssl_failed("EVP_DigestFinal_ex");
    }
    return hash;
}

BodyHash Sha256::of(std::string_view data) {
    Sha256 hasher;
    hasher.update(data);
    return hasher.finish();
}

}  // namespace mailsync::store

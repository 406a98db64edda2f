// The identity of a message body: the SHA-256 of its exact bytes. Body files are named after it,
// and the store indexes messages by it to find the same content again (dedup, re-pairing).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mailsync::store {

struct BodyHash {
    std::array<std::uint8_t, 32> bytes{};

    std::string hex() const;
    // nullopt unless `text` is 64 hex digits.
    static std::optional<BodyHash> from_hex(std::string_view text);
    // The 32 bytes as a key fragment.
    std::string_view view() const;

    friend bool operator==(const BodyHash&, const BodyHash&) = default;
    friend auto operator<=>(const BodyHash&, const BodyHash&) = default;
};

// Incremental SHA-256 (OpenSSL EVP), fed chunk by chunk so a body is never held whole.
class Sha256 {
public:
    Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    ~Sha256();

    void update(std::string_view chunk);
    BodyHash finish();   // the hasher is spent afterwards

    static BodyHash of(std::string_view data);

private:
    struct Context;
    std::unique_ptr<Context> context_;
};

}  // namespace mailsync::store

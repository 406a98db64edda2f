#include "store/keys.hpp"

#include <algorithm>

#include "store/codec.hpp"

namespace mailsync::store::keys {
namespace {

constexpr std::uint8_t with_uid = 0x00;
constexpr std::uint8_t without_uid = 0x01;
constexpr std::size_t hash_size = 32;

}  // namespace

std::string u32(std::uint32_t value) { return Encoder().u32(value).data(); }
std::string u64(std::uint64_t value) { return Encoder().u64(value).data(); }

std::uint32_t decode_u32(std::string_view bytes, std::string_view what) {
    Decoder in(bytes, what);
    std::uint32_t value = in.u32();
    in.finish();
    return value;
}

std::uint64_t decode_u64(std::string_view bytes, std::string_view what) {
    Decoder in(bytes, what);
    std::uint64_t value = in.u64();
    in.finish();
    return value;
}

std::string mailbox_places(MailboxId mailbox) { return u32(mailbox); }

std::string place(MailboxId mailbox, Uid uid) {
    return Encoder().u32(mailbox).u8(with_uid).u32(uid).data();
}

std::string pending_place(MailboxId mailbox, MessageId message) {
    return Encoder().u32(mailbox).u8(without_uid).u64(message).data();
}

std::string place_of(const MessageRecord& message) {
    return message.uid ? place(message.mailbox, *message.uid) : pending_place(message.mailbox, message.id);
}

std::string body_places(const BodyHash& hash) { return std::string(hash.view()); }

std::string body_place(const BodyHash& hash, MessageId message) {
    return Encoder().raw(hash.view()).u64(message).data();
}

std::string message_id_places(std::string_view message_id) {
    return std::string(Sha256::of(message_id).view());
}

std::string message_id_place(std::string_view message_id, MessageId message) {
    return Encoder().raw(Sha256::of(message_id).view()).u64(message).data();
}

MessageId message_of_index_key(std::string_view key) {
    if (key.size() != hash_size + 8) Decoder(key, "index key").corrupt("wrong size");
    return decode_u64(key.substr(hash_size), "index key");
}

namespace {
BodyHash hash_at_start(std::string_view key, std::size_t size, std::string_view what) {
    if (key.size() != size) Decoder(key, what).corrupt("wrong size");
    BodyHash hash;
    std::copy_n(key.begin(), hash_size, hash.bytes.begin());
    return hash;
}
}  // namespace

BodyHash hash_of_body_place(std::string_view key) { return hash_at_start(key, hash_size + 8, "body index key"); }

BodyHash hash_of_sweep_candidate(std::string_view key) { return hash_at_start(key, hash_size, "sweep candidate key"); }

}  // namespace mailsync::store::keys

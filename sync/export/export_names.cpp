#include "sync/export/export_names.hpp"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

#include "store/body_hash.hpp"

namespace mailsync::sync {
namespace {

constexpr std::string_view short_marker = "%~";
constexpr std::size_t short_digest = 16;   // hex digits of the name's SHA-256 kept

std::string sanitized_tag(std::string_view tag) {
    std::string out;
    for (char c : tag) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        out.push_back(keep ? c : '_');
    }
    return out.empty() ? std::string("account") : out;
}

}  // namespace

std::string encode_mailbox_file_name(std::string_view mailbox) {
    std::string out;
    for (std::size_t i = 0; i < mailbox.size(); ++i) {
        const auto byte = static_cast<unsigned char>(mailbox[i]);
        const bool escape = byte < 0x20 || byte >= 0x7f || byte == '%' || byte == '/' || (i == 0 && byte == '.');
        if (escape) out += fmt::format("%{:02X}", byte);
        else out.push_back(static_cast<char>(byte));
    }
    return out;
}

std::optional<std::string> decode_mailbox_file_name(std::string_view file_name) {
    if (file_name.empty() || file_name.front() == '.') return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < file_name.size(); ++i) {
        const char c = file_name[i];
        if (c != '%') {
            out.push_back(c);
            continue;
        }
        if (i + 2 >= file_name.size()) return std::nullopt;
        const auto hex = [](char h) -> int {
            if (h >= '0' && h <= '9') return h - '0';
            if (h >= 'A' && h <= 'F') return h - 'A' + 10;
            return -1;
        };
        const int high = hex(file_name[i + 1]);
        const int low = hex(file_name[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    if (encode_mailbox_file_name(out) != file_name) return std::nullopt;   // not canonical: not ours
    return out;
}

std::string export_file_name(std::string_view mailbox) {
    std::string encoded = encode_mailbox_file_name(mailbox);
    if (encoded.size() <= max_export_name) return encoded;
    std::size_t keep = max_export_name - short_marker.size() - short_digest;
    // Not inside an escape: a '%' among the last two kept bytes starts one that would be cut.
    for (std::size_t back = 1; back <= 2 && back <= keep; ++back) {
        if (encoded[keep - back] == '%') {
            keep -= back;
            break;
        }
    }
    encoded.resize(keep);
    return encoded + std::string(short_marker) + store::Sha256::of(mailbox).hex().substr(0, short_digest);
}

bool is_shortened_name(std::string_view file_name) {
    const std::size_t marker = file_name.size() >= short_marker.size() + short_digest
                                   ? file_name.size() - short_marker.size() - short_digest
                                   : std::string_view::npos;
    return marker != std::string_view::npos && file_name.substr(marker, short_marker.size()) == short_marker;
}

std::string maildir_base_name(const store::MessageRecord& message, std::string_view tag) {
    return fmt::format("{}.M{}.mailsync-{}", std::max<store::UnixTime>(message.internaldate, 0), message.id, sanitized_tag(tag));
}

std::optional<store::MessageId> maildir_message_id(std::string_view file_name, std::string_view tag) {
    const std::string_view base = file_name.substr(0, file_name.find(':'));
    const auto first = base.find('.');
    if (first == std::string_view::npos) return std::nullopt;
    const auto second = base.find('.', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    if (base.substr(second + 1) != "mailsync-" + sanitized_tag(tag)) return std::nullopt;
    const std::string_view unique = base.substr(first + 1, second - first - 1);
    if (unique.size() < 2 || unique.size() > 21 || unique.front() != 'M') return std::nullopt;
    store::MessageId id = 0;
    for (char c : unique.substr(1)) {
        if (c < '0' || c > '9') return std::nullopt;
        if (id > (UINT64_MAX - 9) / 10) return std::nullopt;
        id = id * 10 + static_cast<store::MessageId>(c - '0');
    }
    return id == 0 ? std::nullopt : std::optional<store::MessageId>(id);
}

}  // namespace mailsync::sync

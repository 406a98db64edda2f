#include "sync/pull/message_identity.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <tuple>

namespace mailsync::sync {

MessageIdentity identity_of(const store::MessageRecord& record) {
    return {record.message_id, record.size, record.date, record.subject};
}

void HeaderHasher::update(std::string_view chunk) {
    // Past the bound the answer is known (nullopt): hashing more would be wasted.
    if (size_ <= max_header_bytes) sha256_.update(chunk.substr(0, max_header_bytes + 1 - size_));
    size_ += chunk.size();
}

std::optional<HeaderDigest> HeaderHasher::finish() {
    if (size_ > max_header_bytes) return std::nullopt;
    return HeaderDigest{sha256_.finish(), size_};
}

bool HeaderScanner::feed(std::string_view chunk) {
    static constexpr std::string_view end_of_header = "\r\n\r\n";
    if (done_) return false;
    std::size_t taken = 0;
    while (taken < chunk.size() && !done_) {
        const char c = chunk[taken++];
        if (c == end_of_header[matched_]) ++matched_;
        else matched_ = c == '\r' ? 1 : 0;   // "\r" is the only prefix of CRLF CRLF a mismatch can restart
        done_ = matched_ == end_of_header.size() || size_ + taken > max_header_bytes;
    }
    hasher_.update(chunk.substr(0, taken));
    size_ += taken;
    return !done_;
}

std::optional<HeaderDigest> HeaderScanner::finish() {
    done_ = true;
    return hasher_.finish();
}

std::optional<HeaderDigest> header_of(std::istream& in) {
    HeaderScanner scanner;
    std::array<char, 16384> buffer;
    while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
        if (!scanner.feed(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())))) break;
    }
    if (in.bad()) return std::nullopt;
    return scanner.finish();
}

std::vector<std::pair<store::MessageId, store::Uid>> pair_messages(const std::vector<StoredMessage>& stored,
                                                                     const std::vector<ServerMessage>& server,
                                                                     const PairCheck& check) {
    using Key = std::tuple<std::string, std::uint64_t, std::string, std::string>;
    const auto key_of = [](const MessageIdentity& identity) {
        return Key{identity.message_id, identity.size, identity.date, identity.subject};
    };
    std::vector<const StoredMessage*> by_id;
    by_id.reserve(stored.size());
    for (const auto& message : stored) by_id.push_back(&message);
    std::sort(by_id.begin(), by_id.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
    std::map<Key, std::vector<const StoredMessage*>> candidates;   // each list in id order
    for (const auto* message : by_id)
        if (message->identity.usable()) candidates[key_of(message->identity)].push_back(message);
    std::set<store::MessageId> used;

    std::vector<ServerMessage> by_uid = server;
    std::sort(by_uid.begin(), by_uid.end(), [](const auto& a, const auto& b) { return a.uid < b.uid; });
    std::vector<std::pair<store::MessageId, store::Uid>> pairs;
    for (const auto& message : by_uid) {
        if (!message.identity.usable()) continue;
        auto it = candidates.find(key_of(message.identity));
        if (it == candidates.end()) continue;
        for (const auto* candidate : it->second) {
            if (used.count(candidate->id) || (check && !check(*candidate, message))) continue;
            used.insert(candidate->id);
            pairs.emplace_back(candidate->id, message.uid);
            break;
        }
    }
    return pairs;
}

}  // namespace mailsync::sync

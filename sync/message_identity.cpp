#include "sync/message_identity.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace mailsync::sync {

MessageIdentity identity_of(const store::MessageRecord& record) {
    return {record.message_id, record.size, record.date, record.subject};
}

std::vector<std::pair<store::MessageId, store::Uid>> pair_messages(const std::vector<StoredMessage>& stored,
                                                                     const std::vector<ServerMessage>& server) {
    using Key = std::tuple<std::string, std::uint64_t, std::string, std::string>;
    const auto key_of = [](const MessageIdentity& identity) {
        return Key{identity.message_id, identity.size, identity.date, identity.subject};
    };
    std::vector<StoredMessage> by_id = stored;
    std::sort(by_id.begin(), by_id.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    std::map<Key, std::vector<store::MessageId>> candidates;   // each list in id order
    for (const auto& message : by_id)
        if (message.identity.usable()) candidates[key_of(message.identity)].push_back(message.id);
    std::map<Key, std::size_t> used;

    std::vector<ServerMessage> by_uid = server;
    std::sort(by_uid.begin(), by_uid.end(), [](const auto& a, const auto& b) { return a.uid < b.uid; });
    std::vector<std::pair<store::MessageId, store::Uid>> pairs;
    for (const auto& message : by_uid) {
        if (!message.identity.usable()) continue;
        const Key key = key_of(message.identity);
        auto it = candidates.find(key);
        if (it == candidates.end()) continue;
        std::size_t& next = used[key];
        if (next >= it->second.size()) continue;
        pairs.emplace_back(it->second[next++], message.uid);
    }
    return pairs;
}

}  // namespace mailsync::sync

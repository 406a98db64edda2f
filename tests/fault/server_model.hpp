// What the server must hold after a replay, computed from the operations themselves: the server as
// the independent reader saw it before the offline changes, then each queued change and each change
// of the second client applied by the spec's rules. The campaign compares the server with this
// model, so a change the replay lost or applied twice cannot hide behind mailsync's own view of it
// (the mirror).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/fault/sync_campaign.hpp"

namespace mailsync::test::campaign {

class ServerModel {
public:
    struct Message {
        std::string sha256;
        std::set<std::string> flags;
    };

    // From the independent reader's view: mailbox → UID → "sha|flag,flag".
    explicit ServerModel(const std::map<std::string, std::map<std::uint32_t, std::string>>& server) {
        for (const auto& [mailbox, messages] : server) {
            auto& box = boxes_[mailbox];
            for (const auto& [uid, entry] : messages) {
                const auto bar = entry.find('|');
                Message message{entry.substr(0, bar), {}};
                std::string flags = entry.substr(bar + 1);
                for (std::size_t start = 0; start < flags.size();) {
                    const auto comma = std::min(flags.find(',', start), flags.size());
                    message.flags.insert(flags.substr(start, comma - start));
                    start = comma + 1;
                }
                box.by_uid[uid] = message;
            }
        }
    }

    const Message& at(const std::string& mailbox, std::uint32_t uid) const {
        const auto box = boxes_.find(mailbox);
        if (box == boxes_.end() || !box->second.by_uid.contains(uid))
            throw std::logic_error("model: no UID " + std::to_string(uid) + " in " + mailbox);
        return box->second.by_uid.at(uid);
    }

    void flag(const std::string& mailbox, std::uint32_t uid, const std::vector<std::string>& add,
              const std::vector<std::string>& remove) {
        auto& message = existing(mailbox, uid);
        for (const auto& flag : add) message.flags.insert(flag);
        for (const auto& flag : remove) message.flags.erase(flag);
    }
    void expunge(const std::string& mailbox, std::uint32_t uid) {
        existing(mailbox, uid);
        boxes_[mailbox].by_uid.erase(uid);
    }
    void copy(const std::string& from, std::uint32_t uid, const std::string& to) {
        boxes_[to].added.push_back(existing(from, uid));
    }
    void move(const std::string& from, std::uint32_t uid, const std::string& to) {
        copy(from, uid, to);
        expunge(from, uid);
    }
    void append(const std::string& mailbox, const std::string& sha256, const std::set<std::string>& flags) {
        boxes_[mailbox].added.push_back({sha256, flags});
    }

    Contents contents() const {
        Contents result;
        const auto add = [&](const std::string& mailbox, const Message& message) {
            std::string joined;
            for (const auto& flag : message.flags) joined += (joined.empty() ? "" : ",") + flag;
            result[mailbox][message.sha256].push_back(joined);
        };
        for (const auto& [name, box] : boxes_) {
            result[name];
            for (const auto& [uid, message] : box.by_uid) add(name, message);
            for (const auto& message : box.added) add(name, message);
        }
        return result;
    }

private:
    struct Box {
        std::map<std::uint32_t, Message> by_uid;  // messages the server held before, by their UID
        std::vector<Message> added;                // appended, copied or moved in (new UIDs)
    };
    Message& existing(const std::string& mailbox, std::uint32_t uid) {
        auto box = boxes_.find(mailbox);
        if (box == boxes_.end() || !box->second.by_uid.contains(uid))
            throw std::logic_error("model: no UID " + std::to_string(uid) + " in " + mailbox);
        return box->second.by_uid.at(uid);
    }
    std::map<std::string, Box> boxes_;
};

}  // namespace mailsync::test::campaign

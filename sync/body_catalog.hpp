// Finds a body the store already holds for a message about to be downloaded, from what the server
// tells before the body (message_identity.hpp): a message moved or copied on the server, or seen in
// another mailbox (Gmail's All Mail), is not downloaded again.
//
// A move is an expunge in one mailbox and a new message in another. When the source mailbox is
// synced first its row is gone by the time the destination asks, so the bodies of messages removed
// during this pull are remembered here too (their files stay until a sweep, which keeps anything
// younger than an hour). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <tuple>

#include "store/body_hash.hpp"
#include "sync/message_identity.hpp"
#include "sync/store_gate.hpp"

namespace mailsync::sync {

class BodyCatalog {
public:
    explicit BodyCatalog(StoreGate& gate) : gate_(gate) {}

    // Inside a read transaction the caller holds (no locking of the gate here).
    std::optional<store::BodyHash> find(const store::ReadTxn& txn, const MessageIdentity& identity);
    void remember_removed(const store::MessageRecord& record);

private:
    using Key = std::tuple<std::string, std::uint64_t, std::string, std::string>;
    static Key key_of(const MessageIdentity& identity);

    StoreGate& gate_;
    std::mutex mutex_;
    std::map<Key, store::BodyHash> removed_;
};

}  // namespace mailsync::sync

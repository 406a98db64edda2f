// Finds the bodies the store already holds for a message about to be downloaded, from what the
// server tells before the body (message_identity.hpp): a message moved or copied on the server, or
// seen in another mailbox (Gmail's All Mail), is not downloaded again once its header section has
// been checked against one of them.
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
#include <vector>

#include "store/body_hash.hpp"
#include "sync/pull/message_identity.hpp"
#include "sync/pull/serialized_store.hpp"

namespace mailsync::sync {

class BodyCatalog {
public:
    // Distinct bodies offered for one identity, at most: a Message-ID shared by many messages of
    // equal size, date and subject is a broken sender, and each candidate costs a file read.
    static constexpr std::size_t max_candidates = 8;

    explicit BodyCatalog(SerializedStore& store) : store_(store) {}

    // The distinct stored bodies of messages with this identity, whose files exist (never the header
    // file of a partial message, body_rule.hpp): the mirror's
    // rows first (in id order), then bodies removed during this pull. Inside a read transaction
    // the caller holds (no locking of the store here).
    std::vector<store::BodyHash> find(const store::ReadTxn& txn, const MessageIdentity& identity);
    void remember_removed(const store::MessageRecord& record);

    // The header section of a stored body, read from its file (header only). nullopt when the file
    // cannot be read or the header is over max_header_bytes: the body is not offered.
    std::optional<HeaderDigest> header_of(const store::BodyHash& hash) const;

private:
    using Key = std::tuple<std::string, std::uint64_t, std::string, std::string>;
    static Key key_of(const MessageIdentity& identity);

    SerializedStore& store_;
    std::mutex mutex_;
    std::map<Key, std::vector<store::BodyHash>> removed_;
};

}  // namespace mailsync::sync

#include "sync/pull/body_catalog.hpp"

#include <algorithm>
#include <fstream>

#include "common/error.hpp"

namespace mailsync::sync {
namespace {

void add_distinct(std::vector<store::BodyHash>& hashes, const store::BodyHash& hash) {
    if (hashes.size() < BodyCatalog::max_candidates && std::find(hashes.begin(), hashes.end(), hash) == hashes.end())
        hashes.push_back(hash);
}

}  // namespace

BodyCatalog::Key BodyCatalog::key_of(const MessageIdentity& identity) {
    return Key{identity.message_id, identity.size, identity.date, identity.subject};
}

std::vector<store::BodyHash> BodyCatalog::find(const store::ReadTxn& txn, const MessageIdentity& identity) {
    std::vector<store::BodyHash> hashes;
    if (!identity.usable()) return hashes;
    // A body on the damaged list is never offered: the download of the message repairs it.
    const std::vector<store::BodyHash> damaged = txn.damaged_bodies();
    const auto offered = [&](const store::BodyHash& hash) {
        return store_.has_body(hash) && std::find(damaged.begin(), damaged.end(), hash) == damaged.end();
    };
    for (store::MessageId id : txn.messages_with_message_id(identity.message_id)) {
        auto record = txn.message(id);
        // A partial message's file is its header only (body_rule.hpp): never a body to reuse.
        if (record && !record->partial && identity_of(*record) == identity && offered(record->body_hash))
            add_distinct(hashes, record->body_hash);
    }
    std::lock_guard lock(mutex_);
    auto it = removed_.find(key_of(identity));
    if (it != removed_.end())
        for (const auto& hash : it->second)
            if (offered(hash)) add_distinct(hashes, hash);
    return hashes;
}

void BodyCatalog::remember_removed(const store::MessageRecord& record) {
    const MessageIdentity identity = identity_of(record);
    if (!identity.usable() || record.partial) return;
    std::lock_guard lock(mutex_);
    auto& hashes = removed_[key_of(identity)];
    if (std::find(hashes.begin(), hashes.end(), record.body_hash) == hashes.end()) hashes.push_back(record.body_hash);
}

std::optional<HeaderDigest> BodyCatalog::header_of(const store::BodyHash& hash) const {
    try {
        std::ifstream in = store_.open_body(hash);
        return sync::header_of(in);
    } catch (const Error& error) {
        if (error.category() != ErrorCategory::io) throw;
        return std::nullopt;   // gone meanwhile (a sweep): download instead
    }
}

}  // namespace mailsync::sync

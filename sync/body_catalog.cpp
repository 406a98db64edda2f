#include "sync/body_catalog.hpp"

namespace mailsync::sync {

BodyCatalog::Key BodyCatalog::key_of(const MessageIdentity& identity) {
    return Key{identity.message_id, identity.size, identity.date, identity.subject};
}

std::optional<store::BodyHash> BodyCatalog::find(const store::ReadTxn& txn, const MessageIdentity& identity) {
    if (!identity.usable()) return std::nullopt;
    for (store::MessageId id : txn.messages_with_message_id(identity.message_id)) {
        auto record = txn.message(id);
        if (record && identity_of(*record) == identity && gate_.has_body(record->body_hash)) return record->body_hash;
    }
    std::lock_guard lock(mutex_);
    auto it = removed_.find(key_of(identity));
    if (it != removed_.end() && gate_.has_body(it->second)) return it->second;
    return std::nullopt;
}

void BodyCatalog::remember_removed(const store::MessageRecord& record) {
    const MessageIdentity identity = identity_of(record);
    if (!identity.usable()) return;
    std::lock_guard lock(mutex_);
    removed_.insert_or_assign(key_of(identity), record.body_hash);
}

}  // namespace mailsync::sync

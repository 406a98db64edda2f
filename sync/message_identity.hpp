// Recognising a message the mirror already holds without downloading it, by what the server tells
// before the body: Message-ID, RFC822.SIZE, and the envelope's Date and Subject. The body hash
// cannot be known before the download, so this is the identity used for
//   - re-pairing after a UIDVALIDITY change (the same mailbox, new UIDs), and
//   - reusing a stored body for a new message (a move or copy on the server).
// A message without a Message-ID is never matched: it is downloaded. Two different messages that
// agree on all four are taken as one; `mailsync verify` re-hashes every body file, but cannot
// tell such a pair apart (documented limit).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/records.hpp"

namespace mailsync::sync {

struct MessageIdentity {
    std::string message_id;
    std::uint64_t size = 0;
    std::string date;
    std::string subject;

    bool usable() const { return !message_id.empty(); }
    friend bool operator==(const MessageIdentity&, const MessageIdentity&) = default;
};

MessageIdentity identity_of(const store::MessageRecord& record);

struct StoredMessage {
    store::MessageId id = 0;
    MessageIdentity identity;
};
struct ServerMessage {
    store::Uid uid = 0;
    MessageIdentity identity;
};

// Pairs each server message with a stored one of the same identity, each used at most once, in
// UID order then id order (so duplicates pair up in their order on both sides). Returns
// (stored id, server UID) pairs.
std::vector<std::pair<store::MessageId, store::Uid>> pair_messages(const std::vector<StoredMessage>& stored,
                                                                     const std::vector<ServerMessage>& server);

}  // namespace mailsync::sync

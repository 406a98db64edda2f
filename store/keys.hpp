// Key encodings of the tables (big-endian, so that LMDB's byte order is numeric order).
//
//   mailboxes       id u32                                 -> MailboxRecord
//   mailbox_names   name bytes                             -> id u32
//   mailbox_counts  id u32                                 -> MailboxCounts
//   messages        id u64                                 -> MessageRecord
//   places          mailbox u32 . 0x00 . uid u32           -> id u64   (messages with a UID)
//                   mailbox u32 . 0x01 . id u64            -> id u64   (no UID yet)
//                   so one cursor over a mailbox's prefix lists it in UID order, then the
//                   messages still waiting for a UID in the order they were made
//   body_places     hash[32] . id u64                      -> ""
//   message_ids     sha256(Message-ID)[32] . id u64        -> ""       (hashed: keys are <= 511 bytes)
//   queue, conflicts  seq u64                              -> record
//   view_files      message id u64                         -> ViewFileRecord
//   view_folders    mailbox id u32                         -> ViewFolderRecord
//   sweep_candidates  hash[32]                             -> ""
//   meta, export_state, oauth_tokens  name bytes           -> value
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/records.hpp"

namespace mailsync::store::keys {

std::string u32(std::uint32_t value);
std::string u64(std::uint64_t value);
std::uint32_t decode_u32(std::string_view bytes, std::string_view what);
std::uint64_t decode_u64(std::string_view bytes, std::string_view what);

std::string mailbox_places(MailboxId mailbox);
std::string place(MailboxId mailbox, Uid uid);
std::string pending_place(MailboxId mailbox, MessageId message);
// The place key of a message: by UID when it has one.
std::string place_of(const MessageRecord& message);

std::string body_places(const BodyHash& hash);
std::string body_place(const BodyHash& hash, MessageId message);
std::string message_id_places(std::string_view message_id);
std::string message_id_place(std::string_view message_id, MessageId message);
// The message id at the end of a body_places or message_ids key.
MessageId message_of_index_key(std::string_view key);
// The hash at the start of a body_places key.
BodyHash hash_of_body_place(std::string_view key);
BodyHash hash_of_sweep_candidate(std::string_view key);

}  // namespace mailsync::store::keys

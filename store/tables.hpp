// The named LMDB tables of a store (key layouts in store/keys.hpp). Opened once per Store.
#pragma once

#include "store/lmdb.hpp"

namespace mailsync::store {

struct Tables {
    lmdb::Dbi meta;
    lmdb::Dbi mailboxes;
    lmdb::Dbi mailbox_names;
    lmdb::Dbi mailbox_counts;
    lmdb::Dbi messages;
    lmdb::Dbi places;
    lmdb::Dbi body_places;
    lmdb::Dbi message_ids;
    lmdb::Dbi queue;
    lmdb::Dbi conflicts;
    lmdb::Dbi export_state;
    lmdb::Dbi oauth_tokens;
    lmdb::Dbi view_files;     // schema 2: the Maildir view (sync/view/README.md)
    lmdb::Dbi view_folders;
    // Bodies that a removed message or a replaced body may have left unnamed: the orphan sweep
    // after a sync looks at these, not at every body file (Store::sweep_if_due).
    lmdb::Dbi sweep_candidates;   // hash[32] -> ""

    // Opens every table, creating the missing ones (txn must be a write transaction).
    static Tables create(lmdb::Txn& txn);
};

// The meta table's keys.
namespace meta_key {
inline constexpr const char* schema_version = "schema_version";
inline constexpr const char* next_mailbox = "next_mailbox";
inline constexpr const char* next_message = "next_message";
inline constexpr const char* next_queue = "next_queue";
inline constexpr const char* next_conflict = "next_conflict";
inline constexpr const char* sync_run = "sync_run";
inline constexpr const char* view_state = "view_state";
inline constexpr const char* damaged_bodies = "damaged_bodies";
inline constexpr const char* body_rule = "body_rule";
inline constexpr const char* server_capabilities = "server_capabilities";
inline constexpr const char* body_usage = "body_usage";   // body files and bytes, u64 . u64 (Store::usage)
}  // namespace meta_key

}  // namespace mailsync::store

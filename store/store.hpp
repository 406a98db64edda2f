// The local mirror of one account: an LMDB environment (metadata, sync state, offline queue) and
// content-addressed body files, in one private directory:
//
//   DIR/            0700
//     lock          the account lock (flock), holds the syncing process's pid
//     data.mdb, lock.mdb   LMDB (0600)
//     bodies/ab/cdef...    message bodies by SHA-256 (0600)
//     tmp/          bodies being written
//     space-reserve 4 MiB held back for the database (below)
//     sweep-due     left by a process that writes bodies until a sweep follows (sweep_if_due)
//
// Use:
//   auto store = Store::open(dir, Access::exclusive);       // `sync`, `watch`
//   auto body = store.begin_body(); body.write(...); auto stored = body.commit();   // first
//   store.write([&](WriteTxn& t) { t.add_message(...); });  // then the row that names it
//   store.read([&](const ReadTxn& t) { ... });
//
// Access::exclusive holds the account lock for the Store's lifetime: a second exclusive open gets
// Error(busy). Access::shared takes no lock: many readers (and short local writes such as `flag`,
// which LMDB serialises) may run beside a sync.
//
// A full disk must not cost the run its progress: bodies fill the disk first, and the commit of the
// rows that name them needs a few pages more. An exclusive open sets a file of 4 MiB aside
// (space-reserve); a write transaction that fails for want of space removes it and tries once
// more, so what is complete is committed. The next exclusive open with room takes it back.
//
// The store is used from one thread. Transactions live only inside read()/write(): never across
// network I/O, and no read() may be running while write() runs (growing the map remaps it).
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "store/account_lock.hpp"
#include "store/blob_store.hpp"
#include "store/lmdb.hpp"
#include "store/schema.hpp"
#include "store/transaction.hpp"

namespace mailsync::store {

enum class Access { exclusive, shared };

struct StoreUsage {
    BodyUsage bodies;
    std::uint64_t database_bytes = 0;
    std::uint64_t total_bytes() const { return bodies.bytes + database_bytes; }
};

struct OpenOptions {
    // Where the map starts; it doubles whenever a write does not fit.
    std::size_t initial_map_size = 256u << 20;
    // The schema this program knows (tests pass fakes to exercise migrations).
    const Schema* schema = &current_schema();
};

class Store {
public:
    // Creates the store when missing. Throws Error(busy) when exclusive and another process
    // syncs the account; Error(io) when the store cannot be opened or was written by a newer
    // mailsync.
    static Store open(const std::filesystem::path& directory, Access access, const OpenOptions& options = {});

    Store(Store&&) noexcept = default;
    Store& operator=(Store&&) noexcept = default;

    const std::filesystem::path& directory() const { return directory_; }
    Access access() const { return access_; }
    std::size_t map_size() const { return env_.map_size(); }

    // Runs body(const ReadTxn&) on one consistent snapshot and returns what it returns.
    template <class Body>
    auto read(Body&& body) -> std::invoke_result_t<Body&, const ReadTxn&> {
        const ReadTxn txn(lmdb::Txn::begin(env_, lmdb::TxnMode::read_only), tables_);
        return body(txn);
    }

    // Runs body(WriteTxn&) and commits; an exception from body aborts, leaving nothing. When the
    // map is full the transaction is aborted, the map doubled and body run again from the start:
    // body must have no effect outside the transaction that a second run would repeat.
    template <class Body>
    auto write(Body&& body) -> std::invoke_result_t<Body&, WriteTxn&> {
        using Result = std::invoke_result_t<Body&, WriteTxn&>;
        if constexpr (std::is_void_v<Result>) {
            run_write([&](WriteTxn& txn) { body(txn); });
        } else {
            std::optional<Result> result;
            run_write([&](WriteTxn& txn) { result.emplace(body(txn)); });
            return std::move(*result);
        }
    }

    // ---- bodies
    // Write the body, commit it, then write the row naming the hash.
    BlobWriter begin_body() const { return blobs_.begin(); }
    StoredBody put_body(std::string_view content) const { return blobs_.put(content); }
    std::filesystem::path body_path(const BodyHash& hash) const { return blobs_.path_of(hash); }
    bool has_body(const BodyHash& hash) const { return blobs_.exists(hash); }
    // The body's bytes, for `show --raw`, export and re-upload. Error(io) naming the file when it
    // cannot be opened.
    std::ifstream open_body(const BodyHash& hash) const;
    BodyCheck check_body(const BodyHash& hash) const { return blobs_.check(hash); }
    // Removes bodies that no message or queued change names (older than min_age, so a body just
    // written by a concurrent local command is not taken before its row commits) and stale tmp files.
    SweepReport sweep(std::chrono::seconds min_age = std::chrono::hours(1));
    // The sweep after a sync, in time proportional to what changed: the bodies a removal or a
    // replaced body left possibly unnamed (ReadTxn::sweep_candidates), and every body file only
    // when the sweep mark (BlobStore::begin) was there when this Store was opened: a process that
    // died between a body and its row. Young orphans stay candidates for a later sweep. Then the
    // mark is removed: the caller runs this only after a pull that failed nowhere, whose bodies
    // all have their rows. (A concurrent local command's mark goes too; were it to die between
    // its body and its row, that body would stay until the store is next swept whole.)
    SweepReport sweep_if_due(std::chrono::seconds min_age = std::chrono::hours(1));
    // What the store takes on disk: the body files and the database file (data.mdb; LMDB's lock
    // file is a few kilobytes and not counted), for `status`. The bodies' figure is kept in the
    // database, moved by every write transaction with what this process's writers and sweeps
    // added or removed since the previous one, and counted afresh by a sweep of every file (a new
    // store starts at zero; one made before the figure was kept lists its files until a sync has
    // counted them). A process killed before its next write leaves it short until then.
    StoreUsage usage();

    // Checks the store's invariants: every message is indexed where its record says, every index
    // entry names a message that says so, counters match, every body named exists (and, with
    // rehash, has the right hash). Returns the problems found, in words; empty when sound. With
    // rehash, the bodies found missing or damaged become the store's damaged list
    // (ReadTxn::damaged_bodies), which the next sync fetches again from the server.
    std::vector<std::string> verify(bool rehash);

private:
    Store(std::filesystem::path directory, Access access, std::optional<AccountLock> lock, lmdb::Env env,
          Tables tables);
    void run_write(const std::function<void(WriteTxn&)>& body);

    std::filesystem::path directory_;
    Access access_;
    std::optional<AccountLock> lock_;   // destroyed after the environment is closed
    lmdb::Env env_;
    Tables tables_;
    BlobStore blobs_;
    bool sweep_everything_ = false;   // the sweep mark was there at open (sweep_if_due)
};

}  // namespace mailsync::store

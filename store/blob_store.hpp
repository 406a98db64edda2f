// Message bodies as content-addressed files: DIR/bodies/ab/cdef... named by the hex SHA-256 of
// their exact bytes. LMDB is a poor home for multi-megabyte values; it only names the hash.
//
// Crash safety: a body is streamed to DIR/tmp/<pid>.<n>.tmp, fsynced, renamed to its hash name and
// the directory fsynced — all before the LMDB row that names it commits. So a row never names a
// missing body; a crash leaves at worst a tmp file or an unreferenced body, which sweep removes.
// Storing the same content twice renames over the identical file: one copy, and a fresh mtime
// that keeps a concurrent sweep's grace period from taking it.
// BlobBatch keeps that order for many bodies at once: each is fsynced before its rename, and the
// directories after, all before the caller commits the rows that name them; the fsyncs of a batch
// are issued together, which the file system turns into one journal commit instead of two a body.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "store/body_hash.hpp"
#include "store/files.hpp"

namespace mailsync::store {

// What the body files take: their count and their bytes (file sizes).
struct BodyUsage {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
    friend bool operator==(const BodyUsage&, const BodyUsage&) = default;
};

// Body files added (+) and removed (-) by this process and not yet counted in the store's figure
// (Store::usage): taken into the next write transaction.
struct BodyUsageDelta {
    std::atomic<std::int64_t> files{0};
    std::atomic<std::int64_t> bytes{0};
};

struct StoredBody {
    BodyHash hash;
    std::uint64_t size = 0;
};

class BlobWriter {
public:
    BlobWriter(BlobWriter&&) noexcept;
    BlobWriter& operator=(BlobWriter&&) noexcept;
    ~BlobWriter();   // removes the tmp file unless committed

    void write(std::string_view chunk);
    // fsync, rename to the hash name, fsync the directory. The writer is spent afterwards.
    StoredBody commit();

private:
    friend class BlobStore;
    friend class BlobBatch;
    BlobWriter(std::filesystem::path bodies, std::filesystem::path tmp_file, FileDescriptor fd,
               std::shared_ptr<BodyUsageDelta> delta);
    void discard() noexcept;
    // The steps of commit(): the hash (no more writes), the fsync of the content, the rename into
    // its fan-out directory (returned, for its fsync).
    StoredBody finish();
    void sync_content() const;
    std::filesystem::path publish();

    std::filesystem::path bodies_;
    std::filesystem::path tmp_file_;
    FileDescriptor fd_;
    Sha256 hasher_;
    std::uint64_t size_ = 0;
    std::optional<StoredBody> finished_;
    std::shared_ptr<BodyUsageDelta> delta_;
};

// Bodies written one after the other and made durable together (header comment). add() hashes a
// finished writer and keeps it; commit() makes every kept body durable under its hash name, and
// must return before a row naming one of them commits. Bodies never committed are discarded
// with the batch (their tmp files removed). Each kept body holds an open file: commit() when
// size() reaches a few dozen.
class BlobBatch {
public:
    BlobBatch() = default;
    BlobBatch(BlobBatch&&) noexcept = default;
    BlobBatch& operator=(BlobBatch&&) noexcept = default;
    ~BlobBatch() = default;

    StoredBody add(BlobWriter writer);
    void commit();
    std::size_t size() const { return writers_.size(); }

private:
    std::vector<BlobWriter> writers_;
};

enum class BodyCheck { ok, missing, mismatch };

struct SweepReport {
    std::uint64_t orphan_bodies = 0;
    std::uint64_t orphan_bytes = 0;
    std::uint64_t stale_tmp_files = 0;
    std::vector<BodyHash> young_orphans;   // named by nothing but younger than min_age: kept for now
};


class BlobStore {
public:
    // `store_directory` holds bodies/ and tmp/ (created 0700 if missing).
    explicit BlobStore(std::filesystem::path store_directory);

    // Every writer first leaves the sweep mark (DIR/sweep-due, once per BlobStore, durable before
    // any body): a process that dies between a body and the row naming it leaves the mark behind,
    // and the next sync sweeps every body file (Store::sweep_if_due).
    BlobWriter begin() const;
    // Stores `content` in one go (small bodies, tests).
    StoredBody put(std::string_view content) const;

    std::filesystem::path path_of(const BodyHash& hash) const;
    bool exists(const BodyHash& hash) const;
    // Re-hashes the file, streaming.
    BodyCheck check(const BodyHash& hash) const;
    // Every body file present, in no particular order (files with names that are not hashes are
    // not listed).
    void for_each(const std::function<void(const BodyHash&)>& visit) const;
    // Every body file present, counted (a file removed meanwhile is skipped).
    BodyUsage usage() const;

    // Removes the body files for which is_referenced(hash) is false and that are older than
    // min_age, and tmp files whose writing process is gone.
    SweepReport sweep(const std::function<bool(const BodyHash&)>& is_referenced,
                      std::chrono::seconds min_age) const;
    // The same for the given bodies only (candidates); those not there are skipped.
    SweepReport sweep(const std::vector<BodyHash>& candidates, const std::function<bool(const BodyHash&)>& is_referenced,
                      std::chrono::seconds min_age) const;

    // What this process's writers and sweeps added and removed since the last call (zeroed), and
    // putting it back when the transaction that was to count it failed.
    void take_usage_delta(std::int64_t& files, std::int64_t& bytes) const;
    void give_back_usage_delta(std::int64_t files, std::int64_t bytes) const;

    // Whether the sweep mark is there, and removing it.
    bool marked() const;
    void clear_mark() const;

private:
    void remove_if_orphan(const BodyHash& hash, const std::function<bool(const BodyHash&)>& is_referenced,
                          std::chrono::seconds min_age, SweepReport& report) const;

    std::filesystem::path bodies_;
    std::filesystem::path tmp_;
    std::filesystem::path mark_;
    std::shared_ptr<std::atomic<bool>> marked_ = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<BodyUsageDelta> delta_ = std::make_shared<BodyUsageDelta>();
};

}  // namespace mailsync::store

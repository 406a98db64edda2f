#include "store/lmdb.hpp"

#include <lmdb.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include <fmt/format.h>

namespace mailsync::store::lmdb {
namespace {

// Codes by which LMDB says the file itself is damaged (a page of the wrong type, a page number
// past the end, a bad header): said as such, naming the file, for the person who must restore it.
bool is_damage(int rc) { return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID; }

[[noreturn]] void fail(const char* what, int rc, MDB_env* env = nullptr) {
    std::string message = fmt::format("LMDB {} failed: {}", what, mdb_strerror(rc));
    if (rc == MDB_MAP_FULL) throw MapFullError(std::move(message));
    if (rc == ENOSPC || rc == EDQUOT) throw DiskFullError(std::move(message));
    if (is_damage(rc)) {
        const char* directory = nullptr;
        if (env == nullptr || mdb_env_get_path(env, &directory) != MDB_SUCCESS || directory == nullptr) directory = "the store";
        throw DamagedError(fmt::format("the database {}/data.mdb is damaged ({}): restore the store from a backup, or move it "
                                       "aside and sync again (changes queued in it would be lost)",
                                       directory, message));
    }
    throw Error(ErrorCategory::io, std::move(message));
}

void check(const char* what, int rc, MDB_env* env = nullptr) {
    if (rc != MDB_SUCCESS) fail(what, rc, env);
}

MDB_val to_val(std::string_view bytes) {
    // LMDB never writes through a key or value given to it: the const_cast is only for its C API.
    return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}

// The pages of the map a process has touched stay in its resident set until unmapped, and the
// kernel's fault-around maps up to 15 cached neighbours with each one: work spread over a large
// store (a first sync's inserts into the hash-keyed indexes, the orphan sweep's lookups) would
// leave the whole file resident, 530 B a message (bench/results/2026-11-30-memory.md). The map is
// read-only (LMDB writes with pwrite unless MDB_WRITEMAP, which is not used), so its pages are
// clean page cache: dropping the mapping loses nothing, and the next touch maps the page again
// from the cache (a minor fault). Every operations_per_release operations the whole map is
// dropped, which bounds the resident part of it to what that many operations touch (at most about
// 64 KB each) whatever the store's size. MADV_RANDOM (MDB_NORDAHEAD) does not help: it turns off
// read-ahead from disk, not fault-around. Measured in bench/results/2026-12-02-scale-*.md. Each
// release costs the faults that map the hot pages (table roots, the mailboxes table) again: a
// 30 000-message first sync took 122 500 minor faults with 32, 145 000 with 16 and 169 000 with 8,
// and peaked at 15.2-15.5, 14.7-14.8 and 14.5-14.6 MB (128 had left 4 MB of the map resident;
// bench/results/2026-12-02-memory-round3.md).
constexpr unsigned operations_per_release = 16;
std::atomic<unsigned> operations{0};

// Where the map is: LMDB does not say (mdb_env_info's me_mapaddr is only set with MDB_FIXEDMAP),
// so it is found in /proc/self/maps by data.mdb's device and inode, after every open or remap.
// Kept as the environment's user context.
struct MapRegion {
    void* base = nullptr;
    std::size_t size = 0;
};

void locate_map(MDB_env* env) {
    auto* region = static_cast<MapRegion*>(mdb_env_get_userctx(env));
    const char* directory = nullptr;
    if (region == nullptr || mdb_env_get_path(env, &directory) != MDB_SUCCESS || directory == nullptr) return;
    *region = MapRegion{};
    struct stat file {};
    if (::stat((std::filesystem::path(directory) / "data.mdb").c_str(), &file) != 0) return;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        unsigned long start = 0, end = 0, offset = 0, inode = 0;
        unsigned major = 0, minor = 0;
        char perms[8] = {};
        if (std::sscanf(line.c_str(), "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms, &offset, &major, &minor,
                        &inode) != 7)
            continue;
        if (inode == file.st_ino && makedev(major, minor) == file.st_dev && offset == 0) {
            *region = MapRegion{reinterpret_cast<void*>(start), static_cast<std::size_t>(end - start)};
            return;
        }
    }
}

void release_map(MDB_env* env) {
    const auto* region = env ? static_cast<const MapRegion*>(mdb_env_get_userctx(env)) : nullptr;
    if (region == nullptr || region->base == nullptr) return;
    ::madvise(region->base, region->size, MADV_DONTNEED);   // advice: a failure changes nothing
}

void count_operation(MDB_env* env) {
    if (operations.fetch_add(1, std::memory_order_relaxed) % operations_per_release == operations_per_release - 1) {
        release_map(env);
    }
}

std::string_view to_view(const MDB_val& val) {
    return {static_cast<const char*>(val.mv_data), val.mv_size};
}

// A data.mdb shorter than the pages its own header says are in use would make LMDB read past the
// end of its memory map (SIGBUS) at the first lookup; refuse it while that is still a clean error.
void refuse_truncated_file(MDB_env* env, const std::filesystem::path& directory) {
    MDB_envinfo info{};
    MDB_stat stat{};
    check("mdb_env_info", mdb_env_info(env, &info));
    check("mdb_env_stat", mdb_env_stat(env, &stat));
    const std::filesystem::path file = directory / "data.mdb";
    struct ::stat status {};
    if (::stat(file.c_str(), &status) != 0) return;  // LMDB has it open: a race we cannot judge
    const auto needed = (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
    const auto present = static_cast<std::uint64_t>(status.st_size);
    if (present < needed) {
        throw Error(ErrorCategory::io,
                    fmt::format("the database {} is truncated: it holds {} bytes but its header says {} are in "
                                "use; restore the store from a backup, or move it aside and sync again (changes "
                                "queued in it would be lost)",
                                file.string(), present, needed));
    }
}

}  // namespace

// ---- Env ----------------------------------------------------------------------------------------

Env Env::open(const std::filesystem::path& directory, const EnvOptions& options) {
    MDB_env* raw = nullptr;
    check("mdb_env_create", mdb_env_create(&raw));
    Env env(raw);
    check("mdb_env_set_maxdbs", mdb_env_set_maxdbs(raw, options.max_tables));
    check("mdb_env_set_mapsize", mdb_env_set_mapsize(raw, options.map_size));
    // MDB_NOTLS: read transactions are not tied to a thread, so a reader can be opened while
    // another one is alive without LMDB's per-thread slot getting in the way.
    int rc = mdb_env_open(raw, directory.c_str(), MDB_NOTLS, 0600);
    if (rc != MDB_SUCCESS) {
        throw Error(ErrorCategory::io, fmt::format("cannot open the LMDB database in {}: {}",
                                                   directory.string(), mdb_strerror(rc)));
    }
    refuse_truncated_file(raw, directory);
    check("mdb_env_set_userctx", mdb_env_set_userctx(raw, new MapRegion));
    locate_map(raw);
    return env;
}

namespace {
void close_env(MDB_env* env) {
    if (env == nullptr) return;
    delete static_cast<MapRegion*>(mdb_env_get_userctx(env));
    mdb_env_close(env);
}
}  // namespace

Env& Env::operator=(Env&& other) noexcept {
    if (this != &other) {
        close_env(env_);
        env_ = std::exchange(other.env_, nullptr);
    }
    return *this;
}

Env::~Env() { close_env(env_); }

void Env::set_map_size(std::size_t bytes) {
    check("mdb_env_set_mapsize", mdb_env_set_mapsize(env_, bytes));
    locate_map(env_);
}

void Env::adopt_map_size() {
    // Size 0 means: take the size another process has set.
    check("mdb_env_set_mapsize", mdb_env_set_mapsize(env_, 0));
    locate_map(env_);
}

std::size_t Env::map_size() const {
    MDB_envinfo info{};
    check("mdb_env_info", mdb_env_info(env_, &info));
    return info.me_mapsize;
}

// ---- Txn ----------------------------------------------------------------------------------------

Txn Txn::begin(Env& env, TxnMode mode) {
    unsigned flags = mode == TxnMode::read_only ? MDB_RDONLY : 0u;
    MDB_txn* raw = nullptr;
    int rc = mdb_txn_begin(env.handle(), nullptr, flags, &raw);
    if (rc == MDB_MAP_RESIZED) {
        env.adopt_map_size();
        rc = mdb_txn_begin(env.handle(), nullptr, flags, &raw);
    }
    check("mdb_txn_begin", rc, env.handle());
    return Txn(raw);
}

Txn& Txn::operator=(Txn&& other) noexcept {
    if (this != &other) {
        abort();
        txn_ = std::exchange(other.txn_, nullptr);
    }
    return *this;
}

Txn::~Txn() { abort(); }

void Txn::commit() {
    // mdb_txn_commit frees the transaction even when it fails.
    MDB_txn* txn = std::exchange(txn_, nullptr);
    MDB_env* env = mdb_txn_env(txn);
    check("mdb_txn_commit", mdb_txn_commit(txn), env);
}

void Txn::abort() noexcept {
    if (txn_) mdb_txn_abort(std::exchange(txn_, nullptr));
}

std::optional<Dbi> Txn::open_table(const char* name, bool create) {
    MDB_dbi dbi = 0;
    int rc = mdb_dbi_open(txn_, name, create ? MDB_CREATE : 0u, &dbi);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    if (is_damage(rc)) fail("mdb_dbi_open", rc, mdb_txn_env(txn_));
    if (rc != MDB_SUCCESS) {
        throw Error(ErrorCategory::io,
                    fmt::format("cannot open LMDB table '{}': {}", name, mdb_strerror(rc)));
    }
    return Dbi(dbi);
}

std::optional<std::string_view> Txn::get(Dbi table, std::string_view key) const {
    MDB_val k = to_val(key);
    MDB_val v{};
    count_operation(mdb_txn_env(txn_));
    int rc = mdb_get(txn_, table.handle(), &k, &v);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check("mdb_get", rc, mdb_txn_env(txn_));
    return to_view(v);
}

void Txn::put(Dbi table, std::string_view key, std::string_view value) {
    MDB_val k = to_val(key);
    MDB_val v = to_val(value);
    count_operation(mdb_txn_env(txn_));
    check("mdb_put", mdb_put(txn_, table.handle(), &k, &v, 0), mdb_txn_env(txn_));
}

bool Txn::remove(Dbi table, std::string_view key) {
    MDB_val k = to_val(key);
    count_operation(mdb_txn_env(txn_));
    int rc = mdb_del(txn_, table.handle(), &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    check("mdb_del", rc, mdb_txn_env(txn_));
    return true;
}

void Txn::clear(Dbi table) { check("mdb_drop", mdb_drop(txn_, table.handle(), 0), mdb_txn_env(txn_)); }

// ---- Cursor -------------------------------------------------------------------------------------

Cursor Cursor::open(const Txn& txn, Dbi table) {
    MDB_cursor* raw = nullptr;
    check("mdb_cursor_open", mdb_cursor_open(txn.handle(), table.handle(), &raw), mdb_txn_env(txn.handle()));
    return Cursor(raw);
}

Cursor& Cursor::operator=(Cursor&& other) noexcept {
    if (this != &other) {
        if (cursor_) mdb_cursor_close(cursor_);
        cursor_ = std::exchange(other.cursor_, nullptr);
    }
    return *this;
}

Cursor::~Cursor() {
    if (cursor_) mdb_cursor_close(cursor_);
}

std::optional<Entry> Cursor::step(std::string_view key, int op) {
    MDB_val k = to_val(key);
    MDB_val v{};
    count_operation(mdb_txn_env(mdb_cursor_txn(cursor_)));
    int rc = mdb_cursor_get(cursor_, &k, &v, static_cast<MDB_cursor_op>(op));
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check("mdb_cursor_get", rc, mdb_txn_env(mdb_cursor_txn(cursor_)));
    return Entry{to_view(k), to_view(v)};
}

std::optional<Entry> Cursor::first() { return step({}, MDB_FIRST); }
std::optional<Entry> Cursor::last() { return step({}, MDB_LAST); }
std::optional<Entry> Cursor::next() { return step({}, MDB_NEXT); }
std::optional<Entry> Cursor::prev() { return step({}, MDB_PREV); }

std::optional<Entry> Cursor::seek(std::string_view key) {
    // LMDB rejects an empty key; every key is >= the empty one, so that is a plain first().
    if (key.empty()) return first();
    return step(key, MDB_SET_RANGE);
}

}  // namespace mailsync::store::lmdb

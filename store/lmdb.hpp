// Move-only RAII handles over the LMDB C API (after hoytech/lmdbxx). Keys and values are byte
// strings (std::string_view); nothing here casts structs to bytes: callers encode with
// store/codec.hpp and store/keys.hpp. "Not found" is an empty std::optional, never an error; every
// other LMDB failure throws mailsync::Error(io). A write that does not fit in the map throws
// MapFullError, which Store::write() catches to grow the map and run the transaction again.
//
// Views returned by get() and the cursor point into the memory map: they stay valid until the
// transaction ends or the same key is written, whichever comes first.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.hpp"

struct MDB_env;
struct MDB_txn;
struct MDB_cursor;

namespace mailsync::store::lmdb {

// Thrown when a write transaction runs out of map space (MDB_MAP_FULL): the transaction is dead,
// the caller grows the map and starts over.
class MapFullError : public Error {
public:
    explicit MapFullError(std::string message) : Error(ErrorCategory::io, std::move(message)) {}
};

// Thrown when a write transaction's pages cannot be written because the disk is full (ENOSPC,
// EDQUOT): the transaction is dead; the store frees its space reserve and starts over once.
class DiskFullError : public Error {
public:
    explicit DiskFullError(std::string message) : Error(ErrorCategory::io, std::move(message)) {}
};

// Thrown when LMDB finds the file itself damaged (MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID):
// the transaction is dead too, so a caller that goes on after a damaged record (verify) must not
// go on after this.
class DamagedError : public Error {
public:
    explicit DamagedError(std::string message) : Error(ErrorCategory::io, std::move(message)) {}
};

struct EnvOptions {
    std::size_t map_size = 64u << 20;
    unsigned max_tables = 16;
};

class Env {
public:
    // Opens (creating if needed) the environment whose data.mdb and lock.mdb live in `directory`,
    // created with mode 0600.
    static Env open(const std::filesystem::path& directory, const EnvOptions& options);

    Env(Env&& other) noexcept : env_(std::exchange(other.env_, nullptr)) {}
    Env& operator=(Env&& other) noexcept;
    Env(const Env&) = delete;
    Env& operator=(const Env&) = delete;
    ~Env();

    // Only while this process has no transaction open.
    void set_map_size(std::size_t bytes);
    std::size_t map_size() const;
    // After another process grew the map: adopt its size (MDB_MAP_RESIZED).
    void adopt_map_size();

    MDB_env* handle() const noexcept { return env_; }

private:
    explicit Env(MDB_env* env) : env_(env) {}
    MDB_env* env_;
};

// A named table. A plain value: the handle belongs to the environment, valid as long as it is.
class Dbi {
public:
    Dbi() = default;
    unsigned int handle() const noexcept { return dbi_; }

private:
    friend class Txn;
    explicit Dbi(unsigned int dbi) : dbi_(dbi) {}
    unsigned int dbi_ = 0;
};

enum class TxnMode { read_only, read_write };

class Txn {
public:
    static Txn begin(Env& env, TxnMode mode);

    Txn(Txn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}
    Txn& operator=(Txn&& other) noexcept;
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;
    ~Txn();   // aborts unless committed

    void commit();
    void abort() noexcept;

    // The table `name`; created when `create` and the transaction writes; nullopt when missing.
    std::optional<Dbi> open_table(const char* name, bool create);

    std::optional<std::string_view> get(Dbi table, std::string_view key) const;
    void put(Dbi table, std::string_view key, std::string_view value);
    // Returns whether the key was there.
    bool remove(Dbi table, std::string_view key);
    void clear(Dbi table);

    MDB_txn* handle() const noexcept { return txn_; }

private:
    explicit Txn(MDB_txn* txn) : txn_(txn) {}
    MDB_txn* txn_;
};

struct Entry {
    std::string_view key;
    std::string_view value;
};

class Cursor {
public:
    static Cursor open(const Txn& txn, Dbi table);

    Cursor(Cursor&& other) noexcept : cursor_(std::exchange(other.cursor_, nullptr)) {}
    Cursor& operator=(Cursor&& other) noexcept;
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;
    ~Cursor();

    std::optional<Entry> first();
    std::optional<Entry> last();
    std::optional<Entry> next();
    std::optional<Entry> prev();
    // The first entry whose key is >= key.
    std::optional<Entry> seek(std::string_view key);

private:
    explicit Cursor(MDB_cursor* cursor) : cursor_(cursor) {}
    std::optional<Entry> step(std::string_view key, int op);
    MDB_cursor* cursor_;
};

// Calls visit(entry) for every entry whose key starts with prefix, in key order, until it
// returns false.
template <class Visit>
void for_each_with_prefix(const Txn& txn, Dbi table, std::string_view prefix, Visit&& visit) {
    Cursor cursor = Cursor::open(txn, table);
    for (auto entry = cursor.seek(prefix); entry && entry->key.starts_with(prefix);
         entry = cursor.next()) {
        if (!visit(*entry)) return;
    }
}

// The same, from the last such entry backwards.
template <class Visit>
void for_each_with_prefix_backward(const Txn& txn, Dbi table, std::string_view prefix, Visit&& visit) {
    Cursor cursor = Cursor::open(txn, table);
    // The first key after every key with the prefix: the prefix with its last byte below 0xff
    // raised by one and the rest cut off (none such: the prefix is all 0xff, so the table's end).
    std::string after(prefix);
    while (!after.empty() && static_cast<unsigned char>(after.back()) == 0xff) after.pop_back();
    std::optional<Entry> entry;
    if (after.empty()) {
        entry = cursor.last();
    } else {
        after.back() = static_cast<char>(static_cast<unsigned char>(after.back()) + 1);
        entry = cursor.seek(after) ? cursor.prev() : cursor.last();
    }
    for (; entry && entry->key.starts_with(prefix); entry = cursor.prev()) {
        if (!visit(*entry)) return;
    }
}

}  // namespace mailsync::store::lmdb

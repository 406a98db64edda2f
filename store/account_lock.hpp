// The per-account lock that keeps two mailsync processes from syncing one account at once:
// flock(LOCK_EX | LOCK_NB) on DIR/lock, holding the owner's pid for the message a second process
// gets. It is separate from LMDB's own lock (which serialises write transactions, not syncs) and
// is released by the kernel when the process dies, so a crash never leaves a stale lock.
#pragma once

#include <filesystem>
#include <optional>

#include "store/files.hpp"

namespace mailsync::store {

class AccountLock {
public:
    // Throws Error(busy) naming the holder's pid when another process holds the lock.
    static AccountLock acquire(const std::filesystem::path& store_directory);
    // nullopt when another process holds it.
    static std::optional<AccountLock> try_acquire(const std::filesystem::path& store_directory);

    AccountLock(AccountLock&&) noexcept = default;
    AccountLock& operator=(AccountLock&&) noexcept = default;

private:
    explicit AccountLock(FileDescriptor fd) : fd_(std::move(fd)) {}
    FileDescriptor fd_;
};

}  // namespace mailsync::store

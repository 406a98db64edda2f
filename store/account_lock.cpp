#include "store/account_lock.hpp"

#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <fmt/format.h>

#include "common/error.hpp"

namespace mailsync::store {
namespace {

std::filesystem::path lock_file(const std::filesystem::path& store_directory) {
    return store_directory / "lock";
}

std::string holder_of(int fd) {
    char buffer[32] = {};
    ssize_t got = ::pread(fd, buffer, sizeof buffer - 1, 0);
    std::string pid = got > 0 ? std::string(buffer, static_cast<std::size_t>(got)) : std::string();
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return pid.empty() ? std::string("unknown") : pid;
}

}  // namespace

std::optional<AccountLock> AccountLock::try_acquire(const std::filesystem::path& store_directory) {
    auto file = lock_file(store_directory);
    FileDescriptor fd = open_private_file(file);
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) return std::nullopt;
        if (errno != EINTR) throw_io("lock", file);
    }
    if (::ftruncate(fd.get(), 0) != 0) throw_io("truncate", file);
    std::string pid = fmt::format("{}\n", ::getpid());
    if (::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) throw_io("write", file);
    return AccountLock(std::move(fd));
}

AccountLock AccountLock::acquire(const std::filesystem::path& store_directory) {
    if (auto lock = try_acquire(store_directory)) return std::move(*lock);
    FileDescriptor fd = open_private_file(lock_file(store_directory));
    throw Error(ErrorCategory::busy,
                fmt::format("the account in {} is being synced by another mailsync process (pid {})",
                            store_directory.string(), holder_of(fd.get())));
}

}  // namespace mailsync::store

#include "sync/view/view_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "common/error.hpp"
#include "store/files.hpp"

namespace mailsync::sync {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t copy_chunk = 64 * 1024;

bool link_impossible(int error) {
    return error == EXDEV || error == EPERM || error == EMLINK || error == ENOTSUP || error == EOPNOTSUPP;
}

void copy_body(const store::Store& store, const store::MessageRecord& message, const fs::path& staging) {
    const fs::path body = store.body_path(message.body_hash);
    store::FileDescriptor in(::open(body.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) store::throw_io("open", body);
    store::FileDescriptor out(::open(staging.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0400));
    if (!out) store::throw_io("create", staging);
    std::string buffer(copy_chunk, '\0');
    for (;;) {
        const ssize_t count = ::read(in.get(), buffer.data(), buffer.size());
        if (count < 0 && errno == EINTR) continue;
        if (count < 0) store::throw_io("read", body);
        if (count == 0) break;
        store::write_all(out.get(), std::string_view(buffer.data(), static_cast<std::size_t>(count)), staging);
    }
    const timespec times[2] = {{message.internaldate, 0}, {message.internaldate, 0}};
    if (::futimens(out.get(), times) != 0) store::throw_io("set the time of", staging);
    store::sync_file(out.get(), staging);
}

}  // namespace

void make_maildir(const fs::path& folder) {
    for (const char* part : {"cur", "new", "tmp"}) store::make_private_directory(folder / part);
}

bool remove_empty_maildir(const fs::path& folder) {
    for (const char* part : {"tmp", "new", "cur"}) {
        if (::rmdir((folder / part).c_str()) != 0 && errno != ENOENT) return false;
    }
    return ::rmdir(folder.c_str()) == 0 || errno == ENOENT;
}

PlacedFile place_message_file(const store::Store& store, const store::MessageRecord& message, const fs::path& final_path) {
    const fs::path body = store.body_path(message.body_hash);
    const fs::path staging = final_path.parent_path().parent_path() / "tmp" / final_path.filename();
    unlink_if_present(staging);   // left by an interrupted run
    PlacedFile placed;
    if (::link(body.c_str(), staging.c_str()) == 0) {
        // Read-only, so a client that edits in place fails instead of changing the store's body.
        if (::chmod(staging.c_str(), 0400) != 0) store::throw_io("make read-only", staging);
    } else if (link_impossible(errno)) {
        copy_body(store, message, staging);
        placed.linked = false;
    } else {
        store::throw_io(fmt::format("link {} as", body.string()), staging);
    }
    struct stat status {};
    if (::lstat(staging.c_str(), &status) != 0) store::throw_io("inspect", staging);
    placed.inode = status.st_ino;
    if (::rename(staging.c_str(), final_path.c_str()) != 0) store::throw_io("rename to", final_path);
    // rename(2) does nothing when both names are links to one file (FILE was this body already).
    unlink_if_present(staging);
    return placed;
}

bool rename_if_present(const fs::path& from, const fs::path& to) {
    if (::rename(from.c_str(), to.c_str()) == 0) return true;
    if (errno == ENOENT && !fs::exists(from)) return false;
    store::throw_io(fmt::format("rename {} to", from.string()), to);
}

bool unlink_if_present(const fs::path& file) {
    if (::unlink(file.c_str()) == 0) return true;
    if (errno == ENOENT) return false;
    store::throw_io("remove", file);
}

std::optional<std::uint64_t> inode_of(const fs::path& path) {
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        store::throw_io("inspect", path);
    }
    return status.st_ino;
}

}  // namespace mailsync::sync

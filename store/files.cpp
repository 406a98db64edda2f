#include "store/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/error.hpp"

namespace mailsync::store {

void throw_io(std::string_view what, const std::filesystem::path& file) {
    int error = errno;
    throw Error(ErrorCategory::io, fmt::format("cannot {} {}: {}", what, file.string(), std::strerror(error)));
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

FileDescriptor::~FileDescriptor() { close(); }

void FileDescriptor::close() noexcept {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

void make_private_directory(const std::filesystem::path& directory) {
    std::filesystem::path partial;
    for (const auto& part : directory) {
        partial /= part;
        if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) throw_io("create directory", partial);
    }
    struct stat status {};
    if (::stat(directory.c_str(), &status) != 0) throw_io("inspect directory", directory);
    if (!S_ISDIR(status.st_mode)) {
        throw Error(ErrorCategory::io, fmt::format("{} is not a directory", directory.string()));
    }
    // Mail is private: a store directory that group or others can enter is closed to them.
    if ((status.st_mode & 0077) != 0 && ::chmod(directory.c_str(), 0700) != 0) {
        throw_io("make private (chmod 0700)", directory);
    }
}

FileDescriptor open_private_file(const std::filesystem::path& file, int extra_flags) {
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | extra_flags, 0600);
    if (fd < 0) throw_io("open", file);
    return FileDescriptor(fd);
}

void write_all(int fd, std::string_view bytes, const std::filesystem::path& file) {
    while (!bytes.empty()) {
        ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR) continue;
            throw_io("write", file);
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
}

void sync_file(int fd, const std::filesystem::path& file) {
    if (::fsync(fd) != 0) throw_io("fsync", file);
}

void sync_directory(const std::filesystem::path& directory) {
    FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_io("open directory", directory);
    sync_file(fd.get(), directory);
}

}  // namespace mailsync::store

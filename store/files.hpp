// File-system primitives of the store: private directories (0700) and files (0600) created with
// explicit modes (never relying on the umask), fsync of files and directories, and a file
// descriptor that closes itself.
#pragma once

#include <filesystem>
#include <string_view>
#include <utility>

namespace mailsync::store {

class FileDescriptor {
public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept;
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor();

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    void close() noexcept;

private:
    int fd_ = -1;
};

// Creates `directory` and any missing parents with mode 0700; tightens an existing store
// directory that others can read to 0700. Throws Error(io) naming the directory.
void make_private_directory(const std::filesystem::path& directory);

// Opens (creating with 0600) for reading and writing.
FileDescriptor open_private_file(const std::filesystem::path& file, int extra_flags = 0);

void write_all(int fd, std::string_view bytes, const std::filesystem::path& file);
void sync_file(int fd, const std::filesystem::path& file);
void sync_directory(const std::filesystem::path& directory);

[[noreturn]] void throw_io(std::string_view what, const std::filesystem::path& file);

}  // namespace mailsync::store

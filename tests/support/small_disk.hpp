// A small tmpfs mounted for one test, for a disk that really fills up (mount(2) needs root: a test
// that cannot mount one says so and does not run).
#pragma once

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

namespace mailsync::test {

// A tmpfs of `megabytes` over `where`, unmounted (lazily, should a file still be open) at the end.
class SmallDisk {
public:
    SmallDisk(const std::filesystem::path& where, int megabytes) : where_(where) {
        std::filesystem::create_directories(where_);
        const std::string options = "size=" + std::to_string(megabytes) + "m,mode=0700";
        mounted_ = ::mount("tmpfs", where_.c_str(), "tmpfs", 0, options.c_str()) == 0;
        if (!mounted_) error_ = std::strerror(errno);
    }
    ~SmallDisk() {
        if (mounted_) ::umount2(where_.c_str(), MNT_DETACH);
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;

    bool mounted() const { return mounted_; }
    const std::string& error() const { return error_; }
    void grow(int megabytes) const {
        const std::string options = "size=" + std::to_string(megabytes) + "m";
        REQUIRE(::mount("tmpfs", where_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0);
    }

private:
    std::filesystem::path where_;
    bool mounted_ = false;
    std::string error_;
};

}  // namespace mailsync::test

#include "sync/watch/local_events.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/local/local_changes.hpp"

namespace mailsync::sync {

LocalEventWatch::LocalEventWatch(const std::filesystem::path& store_directory) {
    fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) throw Error(ErrorCategory::io, fmt::format("inotify: {}", std::strerror(errno)));
    if (::inotify_add_watch(fd_, store_directory.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
        const int saved = errno;
        ::close(fd_);
        throw Error(ErrorCategory::io,
                    fmt::format("cannot watch {}: {}", store_directory.string(), std::strerror(saved)));
    }
}

LocalEventWatch::~LocalEventWatch() { ::close(fd_); }

void LocalEventWatch::watch_files(const std::vector<std::filesystem::path>& directories) {
    for (const auto& directory : directories) {
        const int wd = ::inotify_add_watch(fd_, directory.c_str(),
                                           IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
        if (wd >= 0) file_watches_.insert(wd);
    }
}

LocalEvents LocalEventWatch::drain() {
    LocalEvents changed;
    alignas(inotify_event) std::array<char, 4096> buffer;
    while (true) {
        const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
        if (n <= 0) break;
        for (ssize_t at = 0; at < n;) {
            inotify_event event;
            std::memcpy(&event, buffer.data() + at, sizeof event);
            if (file_watches_.contains(event.wd)) {
                changed.files = true;
            } else if (event.len > 0) {
                const char* name = buffer.data() + at + static_cast<ssize_t>(sizeof event);
                if (std::string_view(name) == queue_changed_file_name) changed.queue = true;
            }
            at += static_cast<ssize_t>(sizeof event + event.len);
        }
    }
    return changed;
}

}  // namespace mailsync::sync

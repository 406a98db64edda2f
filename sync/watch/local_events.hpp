// What watch learns from local files through one inotify descriptor: DIR/queue-changed, closed
// after a write by a local command (sync/local/local_changes.hpp), and the directories of local
// files a mail client changes (the Maildir view's folders), any change in them.
#pragma once

#include <filesystem>
#include <set>
#include <vector>

namespace mailsync::sync {

struct LocalEvents {
    bool queue = false;   // the offline queue changed
    bool files = false;   // a file in one of the watched directories changed
};

class LocalEventWatch {
public:
    // Watches `store_directory` for the queue-changed file. Error(io) when inotify is unavailable.
    explicit LocalEventWatch(const std::filesystem::path& store_directory);
    ~LocalEventWatch();
    LocalEventWatch(const LocalEventWatch&) = delete;
    LocalEventWatch& operator=(const LocalEventWatch&) = delete;

    int fd() const { return fd_; }
    // Adds these directories (those missing are skipped; watching one again is harmless).
    void watch_files(const std::vector<std::filesystem::path>& directories);
    // Reads what is pending without blocking.
    LocalEvents drain();

private:
    int fd_ = -1;
    std::set<int> file_watches_;
};

}  // namespace mailsync::sync

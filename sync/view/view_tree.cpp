#include "sync/view/view_tree.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>

#include "store/files.hpp"

namespace mailsync::sync {
namespace fs = std::filesystem;
namespace {

struct DirectoryCloser {
    void operator()(DIR* directory) const { ::closedir(directory); }
};

struct Entry {
    std::string name;
    std::uint64_t inode = 0;
    bool directory = false;
    bool regular = false;
};

// The entries of DIRECTORY but . and ..; empty when it is missing.
std::vector<Entry> entries_of(const fs::path& directory) {
    std::unique_ptr<DIR, DirectoryCloser> handle(::opendir(directory.c_str()));
    if (!handle) {
        if (errno == ENOENT || errno == ENOTDIR) return {};
        store::throw_io("list", directory);
    }
    std::vector<Entry> entries;
    errno = 0;
    while (const dirent* entry = ::readdir(handle.get())) {
        const std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        Entry found{name, entry->d_ino, entry->d_type == DT_DIR, entry->d_type == DT_REG};
        if (entry->d_type == DT_UNKNOWN) {   // some file systems do not say: ask
            struct stat status {};
            if (::lstat((directory / name).c_str(), &status) == 0) {
                found.directory = S_ISDIR(status.st_mode);
                found.regular = S_ISREG(status.st_mode);
            }
        }
        entries.push_back(std::move(found));
        errno = 0;
    }
    if (errno != 0) store::throw_io("list", directory);
    return entries;
}

bool is_folder(const fs::path& directory) {
    struct stat status {};
    return ::stat((directory / "cur").c_str(), &status) == 0 && S_ISDIR(status.st_mode);
}

std::uint64_t inode_or_zero(const fs::path& path) {
    struct stat status {};
    return ::lstat(path.c_str(), &status) == 0 ? status.st_ino : 0;
}

void find_verbatim(const fs::path& root, const std::string& relative, std::vector<FoundFolder>& found) {
    for (const Entry& entry : entries_of(relative.empty() ? root : root / relative)) {
        if (!entry.directory || entry.name.starts_with('.') || entry.name == "cur" || entry.name == "new" || entry.name == "tmp") continue;
        const std::string path = relative.empty() ? entry.name : relative + "/" + entry.name;
        if (is_folder(root / path)) found.push_back(FoundFolder{path, entry.inode});
        find_verbatim(root, path, found);
    }
}

}  // namespace

std::vector<FoundFolder> find_maildir_folders(const fs::path& root, MaildirLayout layout) {
    std::vector<FoundFolder> found;
    if (layout == MaildirLayout::verbatim) {
        find_verbatim(root, "", found);
        return found;
    }
    if (is_folder(root)) found.push_back(FoundFolder{"", inode_or_zero(root)});
    for (const Entry& entry : entries_of(root)) {
        if (entry.directory && entry.name.size() > 1 && entry.name.starts_with('.') && is_folder(root / entry.name))
            found.push_back(FoundFolder{entry.name, entry.inode});
    }
    return found;
}

std::vector<FoundFile> list_message_files(const fs::path& root, const std::string& folder) {
    std::vector<FoundFile> files;
    for (const char* part : {"cur", "new"}) {
        const std::string directory = folder.empty() ? std::string(part) : folder + "/" + part;
        for (Entry& entry : entries_of(root / directory)) {
            if (!entry.regular || entry.name.starts_with('.')) continue;
            files.push_back(FoundFile{directory + "/" + entry.name, std::move(entry.name), entry.inode});
        }
    }
    return files;
}

}  // namespace mailsync::sync

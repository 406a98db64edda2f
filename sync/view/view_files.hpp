// The file-system steps of the Maildir view, each one atomic (a link, a rename, an unlink), so that
// a crash between a step and the record of it leaves a state the next run recognises.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "store/store.hpp"

namespace mailsync::sync {

// FOLDER and its cur/, new/, tmp/ (0700; missing parents too).
void make_maildir(const std::filesystem::path& folder);
// Removes FOLDER's tmp/, new/, cur/ and FOLDER itself if they hold nothing; false when something
// is left (a file mailsync did not write, a sub-folder).
bool remove_empty_maildir(const std::filesystem::path& folder);

struct PlacedFile {
    std::uint64_t inode = 0;
    bool linked = true;   // false: a copy (the body is on another file system)
};
// Puts the message's body at FILE (in a Maildir's cur/ or new/): a hard link to the body file, made
// read-only (0400), staged in the Maildir's tmp/ and renamed to FILE (over an earlier file of that
// name: a client's file is replaced by the body in one step). Where no link can be made (EXDEV,
// EPERM, EMLINK, ENOTSUP) the body is copied into tmp/, fsynced, given INTERNALDATE as mtime and
// mode 0400, and renamed the same way.
PlacedFile place_message_file(const store::Store& store, const store::MessageRecord& message,
                              const std::filesystem::path& file);

// rename(2); false when FROM is missing. Error(io) for any other failure.
bool rename_if_present(const std::filesystem::path& from, const std::filesystem::path& to);
// unlink(2); false when it was missing.
bool unlink_if_present(const std::filesystem::path& file);
// The inode of PATH (not following a final symlink); nullopt when it is missing.
std::optional<std::uint64_t> inode_of(const std::filesystem::path& path);

}  // namespace mailsync::sync

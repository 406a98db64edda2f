// Reading a Maildir tree for the scan: which directories are folders of the layout, and which
// message files they hold (from readdir alone: names, inode numbers; nothing is opened).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sync/view/maildir_names.hpp"

namespace mailsync::sync {

struct FoundFolder {
    std::string path;        // relative to the root; "" is the root itself
    std::uint64_t inode = 0;
};
// The folders under ROOT: a directory with a cur/ sub-directory. verbatim: any depth (cur, new, tmp
// and names starting with '.' are not descended into); maildir++: the root and its ".Name" children.
std::vector<FoundFolder> find_maildir_folders(const std::filesystem::path& root, MaildirLayout layout);

struct FoundFile {
    std::string path;        // relative to the root: FOLDER/cur/NAME or FOLDER/new/NAME
    std::string name;
    std::uint64_t inode = 0;
};
// The message files in FOLDER's cur/ and new/ (tmp/ holds files being written; names starting
// with '.' are not messages, as the Maildir convention says). Other entries than regular files
// are skipped.
std::vector<FoundFile> list_message_files(const std::filesystem::path& root, const std::string& folder);

}  // namespace mailsync::sync

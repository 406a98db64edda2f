// Helpers shared by the store's tests: a throwaway directory and sample records.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/records.hpp"

namespace mailsync::store::testing {

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "mailsync-store-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // A store directory inside it that does not exist yet.
    std::filesystem::path store() const { return path_ / "account" / "store"; }

private:
    std::filesystem::path path_;
};

inline unsigned permissions_of(const std::filesystem::path& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return 0xffff;
    return status.st_mode & 07777;
}

inline MailboxRecord sample_mailbox(std::string name) {
    MailboxRecord mailbox;
    mailbox.name = std::move(name);
    mailbox.delimiter = "/";
    mailbox.uidvalidity = 1700000000;
    mailbox.uidnext = 1;
    return mailbox;
}

inline MessageRecord sample_message(MailboxId mailbox, std::optional<Uid> uid, const BodyHash& hash) {
    MessageRecord message;
    message.mailbox = mailbox;
    message.uid = uid;
    message.body_hash = hash;
    message.size = 1234;
    message.internaldate = 1700000000;
    message.subject = "subject";
    message.from = "someone@example.com";
    return message;
}

}  // namespace mailsync::store::testing

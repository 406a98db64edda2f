// The configuration file of one account, "test", on the fixture's Dovecot, as the tests that run
// the mailsync program write it: loopback, COMPRESS wherever the server offers it
// (DovecotFixture::compress_config), mode 0600 (mailsync refuses a password in a file others can
// read). One writer, so that a new required key or a changed default reaches every such test.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/dovecot.hpp"

namespace mailsync::test {

struct AccountConfig {
    std::uint16_t port = 0;
    DovecotFixture::User user;
    std::filesystem::path store;
    std::string tls = "none";
    std::filesystem::path password_file;   // empty: the password is written inline
    std::string extra;                     // more lines of the account ("    mode: backup\n")
};

inline void write_account_config(const std::filesystem::path& file, const AccountConfig& account) {
    std::ofstream out(file);
    out << "accounts:\n  test:\n    host: 127.0.0.1\n    port: " << account.port << "\n    tls: " << account.tls
        << "\n    user: " << account.user.name << "\n";
    if (account.password_file.empty()) out << "    password: " << account.user.password << "\n";
    else out << "    password_file: " << account.password_file.string() << "\n";
    out << "    store: " << account.store.string() << "\n" << DovecotFixture::get().compress_config() << account.extra;
    out.close();
    ::chmod(file.c_str(), 0600);
}

}  // namespace mailsync::test

// Helpers for the pull engine's Dovecot tests: a throwaway store, connections as a test user, the
// server's messages hashed by a second session, and the mirror's content in comparable form.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "store/body_hash.hpp"
#include "store/store.hpp"
#include "sync/server/connect.hpp"
#include "sync/imap/mutf7.hpp"
#include "sync/pull/pull.hpp"
#include "tests/support/dovecot.hpp"

namespace mailsync::test {

class TempDirectory {
public:
    TempDirectory() {
        std::string pattern = (std::filesystem::temp_directory_path() / "mailsync-pull-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDirectory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDirectory(const TempDirectory&) = delete;
    TempDirectory& operator=(const TempDirectory&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline sync::ServerSettings plaintext_settings(const std::string& user) {
    const auto& dovecot = DovecotFixture::get();
    sync::ServerSettings settings;
    settings.endpoint.host = dovecot.host;
    settings.endpoint.port = dovecot.imap_port;
    settings.endpoint.tls = imap::TlsMode::none;
    settings.user = user;
    settings.timeout = std::chrono::seconds(30);
    return settings;
}

inline sync::ConnectionFactory factory_for(const DovecotFixture::User& user) {
    return [user] { return sync::connect(plaintext_settings(user.name), [user](bool) { return user.password; }); };
}

// A message with a unique Message-ID; `padding` bytes of body make it as large as wanted.
inline std::string make_message(const std::string& tag, std::size_t padding = 0) {
    std::string body = "Body of " + tag + "\r\n";
    while (body.size() < padding) body += "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy\r\n";
    return "From: Sender <sender@example.org>\r\nTo: me@example.org\r\nSubject: " + tag + "\r\nMessage-ID: <" + tag +
           "@pull.mailsync.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n" + body;
}

struct ServerMessage {
    std::string sha256;
    std::uint64_t size = 0;
    std::vector<std::string> flags;
};

// UID → (SHA-256 of BODY[], size, flags) of every message of `mailbox` (wire name), read by a
// session of its own, bodies streamed through a hasher.
std::map<std::uint32_t, ServerMessage> server_messages(const DovecotFixture::User& user, const std::string& mailbox);

struct MirrorMessage {
    store::MessageRecord record;
    std::string sha256;   // of the body file as stored
};
// UID → message of the mirror's mailbox (by wire name); those without a UID are left out.
std::map<std::uint32_t, MirrorMessage> mirror_messages(store::Store& store, const std::string& mailbox);

// Names of the mirror's mailboxes (wire), deleted_on_server ones included.
std::vector<std::string> mirror_mailboxes(store::Store& store);

// A session of a second client, logged in as `user`, with `mailbox` selected read-write.
sync::Connection second_client(const DovecotFixture::User& user, const std::string& mailbox);

// A second client moves one message with UID MOVE (the server keeps its bytes: a move mailsync can
// recognise).
void move_on_server(const DovecotFixture::User& user, const std::string& from, std::uint32_t uid,
                    const std::string& to);

const sync::MailboxReport* report_of(const sync::PullReport& report, const std::string& mailbox);

}  // namespace mailsync::test

// The throwaway Dovecot of the integration tests (started by tests/integration/dovecot-fixture.sh
// as the CTest fixture `dovecot`), and small helpers that change its mail behind mailsync's back
// through doveadm. Every helper throws std::runtime_error naming the command and its stderr.
//
//   #include "tests/support/dovecot.hpp"
//   const auto& d = mailsync::test::DovecotFixture::get();   // d.host, d.imaps_port, d.ca_cert ...
//   auto u = mailsync::test::unique_user("replay");           // u.name, u.password: a fresh account
//   auto uid = mailsync::test::seed(u.name, "INBOX", rfc822, {"\\Seen", "$Label1"});
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mailsync::test {

struct DovecotFixture {
    struct User {
        std::string name, password;
    };

    std::string dir;             // $MAILSYNC_TEST_DOVECOT
    std::string host;            // 127.0.0.1
    std::uint16_t imap_port = 0;   // plaintext, offers STARTTLS
    std::uint16_t imaps_port = 0;  // implicit TLS
    std::string ca_cert;         // PEM of the self-signed server certificate, usable as a CA file
    std::string cert_sha256;     // SHA-256 of the certificate (DER), lowercase hex, no colons
    std::vector<User> users;     // user1, user2, user3 (user3's password has a space and quotes)
    std::string conf;            // the instance's dovecot.conf
    std::string doveadm;         // shell command prefix: "doveadm -c <conf>"
    std::string mail_root;       // <dir>/mail: one home per user, Maildir in <home>/Maildir
    std::string log;             // Dovecot's log file
    int pid = 0;                 // the Dovecot master
    bool compress = false;       // offers COMPRESS=DEFLATE after login (COMPRESS=yes in env)

    // Reads $MAILSYNC_TEST_DOVECOT/env once. Throws if the variable is unset or the fixture is not
    // running (run the test through ctest, which starts the fixture).
    static const DovecotFixture& get();
    // Whether $MAILSYNC_TEST_DOVECOT names a started fixture (for tests that SKIP without it).
    static bool available();

    const User& user(const std::string& name) const;  // throws if unknown
    // The account line that makes the mailsync program negotiate COMPRESS with this server, or ""
    // when it does not offer it: `compress: auto` leaves loopback uncompressed, and the suite is
    // meant to run compressed wherever the server allows it.
    std::string compress_config() const { return compress ? "    compress: yes\n" : ""; }
};

// A fresh user of its own for one test, so that tests running in parallel never share a mailbox:
// "t_<hint>_<pid>_<n>" (hint reduced to [A-Za-z0-9_-]), password "<name>-pw". The fixture accepts
// any user named t_* with that password; its mail appears at first use (INBOX and the special-use
// mailboxes). user1..user3 are shared by all tests: reset_user() them before use.
DovecotFixture::User unique_user(const std::string& hint = "test");

// Runs `doveadm -c <conf> ARGS...` (no shell), feeding `input` on stdin; returns stdout.
// Throws with the command line, exit status and stderr on failure.
std::string doveadm(const std::vector<std::string>& args, const std::string& input = {});

// Deletes every mailbox of `user` but INBOX and expunges INBOX (safe while Dovecot runs and while
// no session of that user is open). The special-use mailboxes (Sent, Drafts, Trash, Junk, Archive)
// come back empty, auto-created. UIDs are not reset: INBOX keeps its UIDVALIDITY and UIDNEXT.
void reset_user(const std::string& user);

// Creates `mailbox` (and its parents) unless it exists.
void create_mailbox(const std::string& user, const std::string& mailbox);

// Stores one message (exact bytes, CRLF expected) into `mailbox` (created if missing) and sets its
// flags (system flags as "\\Seen", keywords verbatim). Returns the new UID.
std::uint32_t seed(const std::string& user, const std::string& mailbox, const std::string& rfc822,
                   const std::vector<std::string>& flags = {});

struct MailboxStatus {
    std::uint32_t messages = 0, unseen = 0, uidnext = 0, uidvalidity = 0;
    std::uint64_t highestmodseq = 0;
};
MailboxStatus status(const std::string& user, const std::string& mailbox);

// The flags of one message as Dovecot reports them (without \Recent).
std::vector<std::string> flags(const std::string& user, const std::string& mailbox,
                               std::uint32_t uid);

// Server-side changes a second client would make.
void add_flags(const std::string& user, const std::string& mailbox, std::uint32_t uid,
               const std::vector<std::string>& flags);
void remove_flags(const std::string& user, const std::string& mailbox, std::uint32_t uid,
                  const std::vector<std::string>& flags);
void expunge(const std::string& user, const std::string& mailbox, std::uint32_t uid);
// Forces a new UIDVALIDITY on `mailbox` (Dovecot renumbers nothing; clients must resync).
void set_uidvalidity(const std::string& user, const std::string& mailbox, std::uint32_t uidvalidity);

}  // namespace mailsync::test

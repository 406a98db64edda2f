// Asking a server what it offers, for `mailsync probe`: whether the connection is TLS and its
// certificate's SHA-256, the capabilities, what was enabled, and every mailbox with its attributes
// (special use) and size. Connects and authenticates like a sync, changes nothing, logs out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sync/server/connect.hpp"

namespace mailsync::sync {

struct ProbedMailbox {
    std::string name;                     // wire form; sync::mailbox_display_name() to show it
    std::vector<std::string> attributes;  // as LIST returned them, upper-cased ("\HASCHILDREN", "\SENT")
    bool has_status = false;              // the server sent STATUS for it (LIST-STATUS)
    std::optional<std::uint32_t> messages, unseen;
};

struct ProbeReport {
    bool tls = false;
    std::string certificate_sha256;        // "AB:CD:...", as openssl prints it; empty without TLS
    std::vector<std::string> capabilities;  // after authentication, sorted
    std::vector<std::string> enabled;       // of QRESYNC, CONDSTORE, UTF8=ACCEPT
    std::vector<ProbedMailbox> mailboxes;   // sorted by wire name
};

// Throws what connect() throws, and Error(protocol) when the server refuses LIST.
ProbeReport probe_server(const ServerSettings& settings, const SecretProvider& secret);

}  // namespace mailsync::sync

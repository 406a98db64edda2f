// Opening an authenticated session to an account's server: TCP/TLS, greeting, STARTTLS,
// authentication, COMPRESS (per ServerSettings::compress), and enabling the extensions the engine uses (QRESYNC, else CONDSTORE).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "sync/imap/session.hpp"
#include "sync/server/endpoint.hpp"

namespace mailsync::imap {
class TcpTransport;
}

namespace mailsync::sync {

enum class AuthMethod { plain, login, xoauth2, oauthbearer };

// COMPRESS=DEFLATE (RFC 4978), negotiated after authentication: `automatic` when the server offers
// it, `required` makes a server without it an Error(protocol), `never` does not ask.
enum class CompressMode { automatic, required, never };

struct ServerSettings {
    Endpoint endpoint;
    std::string user;
    AuthMethod auth = AuthMethod::plain;
    std::chrono::milliseconds timeout{60000};
    CompressMode compress = CompressMode::automatic;
};

// Produces the secret when it is needed: the password, or an OAuth2 access token. `refresh` asks
// for a new one because the server refused the last (an expired token).
using SecretProvider = std::function<std::string(bool refresh)>;

struct Connection {
    std::unique_ptr<imap::Session> session;
    // The same transport the session owns, for what only TCP knows (byte counts, certificate).
    const imap::TcpTransport* tcp = nullptr;
};

// Throws Error(unavailable) when the server cannot be reached, Error(auth) when it refuses the
// credentials, Error(protocol) for TLS verification failures and broken servers.
Connection connect(const ServerSettings& settings, const SecretProvider& secret);

// The SASL client-first messages (Google's XOAUTH2, RFC 7628), not yet base64-encoded.
std::string sasl_xoauth2(const std::string& user, const std::string& token);
std::string sasl_oauthbearer(const std::string& user, const std::string& host, std::uint16_t port, const std::string& token);

}  // namespace mailsync::sync

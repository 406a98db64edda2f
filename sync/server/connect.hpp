// Opening an authenticated session to an account's server: TCP/TLS, greeting, STARTTLS,
// authentication, COMPRESS (per ServerSettings::compress), and enabling the extensions the engine uses (QRESYNC, else CONDSTORE).
//
// Round trips: when the capabilities the server listed after the last login are known
// (ServerSettings::expected_capabilities), the login (LOGIN, or AUTHENTICATE PLAIN with SASL-IR)
// and the ENABLE go in one flight. open_pipelined() returns right after sending them, so that the
// caller's first command (the pull's LIST-STATUS) joins that flight too; finish_connect() then
// waits for them and negotiates COMPRESS, which must be alone on the wire (RFC 4978), before any
// bulk work. A no-op sync thus costs the greeting and one round trip.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>
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
    // What the server listed after the last login (upper case; empty: unknown), to choose the
    // commands pipelined behind the next login before its answer tells.
    std::set<std::string> expected_capabilities;
};

// Produces the secret when it is needed: the password, or an OAuth2 access token. `refresh` asks
// for a new one because the server refused the last (an expired token).
using SecretProvider = std::function<std::string(bool refresh)>;

struct Connection {
    std::unique_ptr<imap::Session> session;
    // The same transport the session owns, for what only TCP knows (byte counts, certificate).
    const imap::TcpTransport* tcp = nullptr;
    // Left for finish_connect(): the login's answer may be in flight and COMPRESS not negotiated.
    bool finished = true;
    CompressMode compress = CompressMode::automatic;
};

// Throws Error(unavailable) when the server cannot be reached, Error(auth) when it refuses the
// credentials, Error(protocol) for TLS verification failures and broken servers.
Connection connect(const ServerSettings& settings, const SecretProvider& secret);
// The same up to the login and ENABLE, which may still be in flight (header comment): a refused
// login is then Error(auth) from the first wait on the session. Commands may be sent at once.
Connection open_pipelined(const ServerSettings& settings, const SecretProvider& secret);
// Waits for what open_pipelined() sent, ENABLEs what it could not guess, negotiates COMPRESS.
// Nothing else may be in flight. Does nothing for a finished connection.
void finish_connect(Connection& connection);

// The SASL client-first messages (Google's XOAUTH2, RFC 7628), not yet base64-encoded.
std::string sasl_xoauth2(const std::string& user, const std::string& token);
std::string sasl_oauthbearer(const std::string& user, const std::string& host, std::uint16_t port, const std::string& token);

}  // namespace mailsync::sync

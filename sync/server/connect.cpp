#include "sync/server/connect.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/imap/tcp_transport.hpp"

namespace mailsync::sync {

std::string sasl_xoauth2(const std::string& user, const std::string& token) {
    return fmt::format("user={}\1auth=Bearer {}\1\1", user, token);
}

std::string sasl_oauthbearer(const std::string& user, const std::string& host, std::uint16_t port, const std::string& token) {
    // RFC 7628 §3.1: gs2 header with authzid, then key=value pairs separated by ^A.
    return fmt::format("n,a={},\1host={}\1port={}\1auth=Bearer {}\1\1", user, host, port, token);
}

namespace {

void authenticate(imap::Session& session, const ServerSettings& settings, const SecretProvider& secret) {
    switch (settings.auth) {
    case AuthMethod::login:
        session.login(settings.user, secret(false));
        return;
    case AuthMethod::plain:
        if (session.has_capability("AUTH=PLAIN")) session.authenticate_plain(settings.user, secret(false));
        else session.login(settings.user, secret(false));
        return;
    case AuthMethod::xoauth2:
    case AuthMethod::oauthbearer: {
        const bool xoauth2 = settings.auth == AuthMethod::xoauth2;
        const std::string mechanism = xoauth2 ? "XOAUTH2" : "OAUTHBEARER";
        if (!session.has_capability("AUTH=" + mechanism))
            throw Error(ErrorCategory::auth, fmt::format("server does not offer AUTHENTICATE {}", mechanism));
        const auto message = [&](const std::string& token) {
            return xoauth2 ? sasl_xoauth2(settings.user, token)
                           : sasl_oauthbearer(settings.user, settings.endpoint.host, settings.endpoint.port, token);
        };
        // A refused token is most often an expired one: refresh it once, then give up.
        if (session.authenticate(mechanism, message(secret(false)))) return;
        const imap::Session::AuthenticateAnswer answer = session.authenticate(mechanism, message(secret(true)));
        if (answer) return;
        throw Error(ErrorCategory::auth,
                    fmt::format("server refused the {} token of {}: {}", mechanism, settings.user, answer.text));
    }
    }
}

void negotiate_compression(imap::Session& session, CompressMode mode) {
    if (mode == CompressMode::never || session.compress() || mode == CompressMode::automatic) return;
    if (session.compress_refusal())
        throw Error(ErrorCategory::protocol, fmt::format("compress: yes, but the server refused COMPRESS DEFLATE ({}); "
                                                         "set compress: auto or no for this account", *session.compress_refusal()));
    if (session.transport().tls_compressed())
        throw Error(ErrorCategory::protocol, "compress: yes, but TLS already compresses this connection (COMPRESS "
                                             "is not used on top of TLS compression)");
    throw Error(ErrorCategory::protocol, "compress: yes, but the server does not offer COMPRESS=DEFLATE; "
                                         "set compress: auto or no for this account");
}

// How the login may go without waiting for its answer: LOGIN (false) or AUTHENTICATE PLAIN with
// SASL-IR (true), mechanisms that need no "+" from the server; nullopt: wait for it, because the
// mechanism may (OAuth2's error challenge), or nothing is known of what follows the login.
std::optional<bool> pipelined_login(const imap::Session& session, const ServerSettings& settings) {
    if (settings.expected_capabilities.empty()) return std::nullopt;
    switch (settings.auth) {
    case AuthMethod::plain:
        if (session.has_capability("AUTH=PLAIN"))
            return session.has_capability("SASL-IR") ? std::optional<bool>(true) : std::nullopt;
        [[fallthrough]];   // as authenticate(): LOGIN when the server does not offer AUTH=PLAIN
    case AuthMethod::login:
        return session.has_capability("LOGINDISABLED") ? std::nullopt : std::optional<bool>(false);
    case AuthMethod::xoauth2:
    case AuthMethod::oauthbearer:
        return std::nullopt;
    }
    return std::nullopt;
}

// The extension the engine ENABLEs: QRESYNC, else CONDSTORE.
std::optional<std::string> extension_to_enable(const imap::Session& session) {
    if (!session.has_capability("ENABLE")) return std::nullopt;
    if (session.has_capability("QRESYNC")) return "QRESYNC";
    if (session.has_capability("CONDSTORE")) return "CONDSTORE";
    return std::nullopt;
}

}  // namespace

Connection open_pipelined(const ServerSettings& settings, const SecretProvider& secret) {
    auto transport = imap::TcpTransport::connect(settings.endpoint, imap::Clock::now() + settings.endpoint.connect_timeout);
    Connection connection;
    connection.tcp = transport.get();
    connection.finished = false;
    connection.compress = settings.compress;
    imap::SessionOptions options;
    options.timeout = settings.timeout;
    connection.session = std::make_unique<imap::Session>(std::move(transport), options);
    imap::Session& session = *connection.session;
    session.read_greeting();
    if (settings.endpoint.tls == imap::TlsMode::starttls) session.starttls();
    if (session.state() != imap::SessionState::not_authenticated) return connection;
    if (const std::optional<bool> sasl_plain = pipelined_login(session, settings)) {
        session.login_pipelined(settings.user, secret(false), *sasl_plain, settings.expected_capabilities);
        // Chosen from the expected capabilities; finish_connect() mends a wrong guess.
        if (const auto extension = extension_to_enable(session)) session.send(imap::cmd::Enable{{*extension}});
        return connection;
    }
    authenticate(session, settings, secret);
    return connection;
}

void finish_connect(Connection& connection) {
    if (connection.finished) return;
    imap::Session& session = *connection.session;
    session.wait_all();
    negotiate_compression(session, connection.compress);
    if (const auto extension = extension_to_enable(session); extension && !session.is_enabled(*extension))
        session.enable({*extension});
    connection.finished = true;
}

Connection connect(const ServerSettings& settings, const SecretProvider& secret) {
    Connection connection = open_pipelined(settings, secret);
    finish_connect(connection);
    return connection;
}

}  // namespace mailsync::sync

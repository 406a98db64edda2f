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
    if (session.transport().tls_compressed())
        throw Error(ErrorCategory::protocol, "compress: yes, but TLS already compresses this connection (COMPRESS "
                                             "is not used on top of TLS compression)");
    throw Error(ErrorCategory::protocol, "compress: yes, but the server does not offer COMPRESS=DEFLATE; "
                                         "set compress: auto or no for this account");
}

}  // namespace

Connection connect(const ServerSettings& settings, const SecretProvider& secret) {
    auto transport = imap::TcpTransport::connect(settings.endpoint, imap::Clock::now() + settings.endpoint.connect_timeout);
    Connection connection;
    connection.tcp = transport.get();
    imap::SessionOptions options;
    options.timeout = settings.timeout;
    connection.session = std::make_unique<imap::Session>(std::move(transport), options);
    imap::Session& session = *connection.session;
    session.read_greeting();
    if (settings.endpoint.tls == imap::TlsMode::starttls) session.starttls();
    if (session.state() == imap::SessionState::not_authenticated) authenticate(session, settings, secret);
    negotiate_compression(session, settings.compress);
    if (session.has_capability("QRESYNC") && session.has_capability("ENABLE")) session.enable({"QRESYNC"});
    else if (session.has_capability("CONDSTORE") && session.has_capability("ENABLE")) session.enable({"CONDSTORE"});
    return connection;
}

}  // namespace mailsync::sync

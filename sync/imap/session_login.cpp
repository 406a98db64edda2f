// Session: authentication. LOGIN and AUTHENTICATE, waited for (login, authenticate_plain,
// authenticate), or sent with the commands that follow in one flight (login_pipelined, whose answer
// settle_login takes when it arrives).
#include <openssl/evp.h>

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/imap/session.hpp"

namespace mailsync::imap {
namespace {

std::string base64(std::string_view data) {
    if (data.empty()) return "=";  // RFC 4959: an empty initial response
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
        reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// RFC 4616: authzid (empty), authcid, password, separated by NUL.
std::string plain_message(const std::string& user, const std::string& password) {
    std::string message;
    message.reserve(user.size() + password.size() + 2);
    message.append(1, '\0').append(user).append(1, '\0').append(password);
    return message;
}

std::string refused_login(const std::string& user, const std::string& text) {
    return fmt::format("server refused the login of {}: {}", user, text);
}

}  // namespace

void Session::login(const std::string& user, const std::string& password) {
    if (has_capability("LOGINDISABLED"))
        throw Error(ErrorCategory::auth, "server disabled LOGIN on this connection (LOGINDISABLED); use TLS");
    capabilities_fresh_ = false;
    const StatusResponse response = run(cmd::Login{user, password});
    if (response.status == Status::no) throw Error(ErrorCategory::auth, refused_login(user, response.text));
    if (response.status != Status::ok)
        throw Error(ErrorCategory::protocol, fmt::format("server rejected the LOGIN command: {}", response.text));
    state_ = SessionState::authenticated;
    if (!capabilities_fresh_) refresh_capabilities();
}

void Session::authenticate_plain(const std::string& user, const std::string& password) {
    if (const AuthenticateAnswer answer = authenticate("PLAIN", plain_message(user, password)); !answer)
        throw Error(ErrorCategory::auth, refused_login(user, answer.text));
}

Session::AuthenticateAnswer Session::authenticate(const std::string& mechanism, const std::string& initial_response) {
    capabilities_fresh_ = false;
    const StatusResponse response = run(cmd::Authenticate{mechanism, base64(initial_response)});
    if (response.status == Status::no) return AuthenticateAnswer{false, response.text};
    if (response.status != Status::ok)
        throw Error(ErrorCategory::protocol, fmt::format("server rejected AUTHENTICATE {}: {}", mechanism, response.text));
    state_ = SessionState::authenticated;
    if (!capabilities_fresh_) refresh_capabilities();
    return AuthenticateAnswer{true, {}};
}

void Session::login_pipelined(const std::string& user, const std::string& password, bool sasl_plain,
                              const std::set<std::string>& expected) {
    if (sasl_plain && !has_capability("SASL-IR"))
        throw Error(ErrorCategory::internal, "AUTHENTICATE PLAIN pipelined without SASL-IR");
    if (!sasl_plain && has_capability("LOGINDISABLED"))
        throw Error(ErrorCategory::auth, "server disabled LOGIN on this connection (LOGINDISABLED); use TLS");
    capabilities_fresh_ = false;
    const std::string tag = sasl_plain ? send(cmd::Authenticate{"PLAIN", base64(plain_message(user, password))})
                                       : send(cmd::Login{user, password});
    // With the initial response on its line, PLAIN needs no "+" from the server: the next command
    // may follow at once (an AUTHENTICATE otherwise holds everything behind it, write_ready()).
    for (auto& pending : pending_)
        if (pending.tag == tag) pending.pipelinable = true;
    login_in_flight_ = LoginInFlight{tag, user};
    if (!expected.empty()) capabilities_ = expected;
    write_ready();
}

void Session::settle_login(const StatusResponse& response) {
    const std::string user = login_in_flight_->user;
    login_in_flight_.reset();
    if (response.status == Status::ok) {
        state_ = SessionState::authenticated;
        // Without a CAPABILITY code the assumed list stands until wait() asks (not from in here,
        // in the middle of reading responses).
        capabilities_after_login_ = !capabilities_fresh_;
        return;
    }
    // The commands sent behind the login are refused too (NO or BAD); the connection is of no use.
    state_ = SessionState::logged_out;
    if (response.status == Status::no) throw Error(ErrorCategory::auth, refused_login(user, response.text));
    throw Error(ErrorCategory::protocol, fmt::format("server rejected the login command: {}", response.text));
}

void Session::refresh_capabilities_after_login() {
    if (!capabilities_after_login_) return;
    capabilities_after_login_ = false;
    refresh_capabilities();
}

}  // namespace mailsync::imap

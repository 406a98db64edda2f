#include "sync/imap/tcp_transport.hpp"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/ascii.hpp"
#include "common/error.hpp"

namespace mailsync::imap {

namespace {

// Large enough for one full TLS record, so a read or a write rarely needs two system calls.
constexpr std::size_t io_chunk_size = 16 * 1024 + 512;

std::string errno_text(int error_number) { return std::system_category().message(error_number); }

std::string describe_duration(std::chrono::milliseconds duration) {
    const auto tenths = (duration.count() + 99) / 100;
    return fmt::format("{:g} s", static_cast<double>(tenths) / 10.0);
}

// The reasons OpenSSL queued for the last failure, oldest first; empties the queue.
std::string openssl_errors() {
    std::string text;
    while (unsigned long code = ERR_get_error()) {
        const char* reason = ERR_reason_error_string(code);
        if (!text.empty()) text += "; ";
        text += reason != nullptr ? reason : fmt::format("OpenSSL error {:#x}", code);
    }
    return text.empty() ? std::string("unknown TLS error") : text;
}

bool is_ip_literal(const std::string& host) {
    std::array<unsigned char, sizeof(in6_addr)> address{};
    return inet_pton(AF_INET, host.c_str(), address.data()) == 1 ||
           inet_pton(AF_INET6, host.c_str(), address.data()) == 1;
}

// "[::1]" (as in URLs) names the same host as "::1".
std::string bare_host(const std::string& host) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
    return host;
}

// A pin as users write it ("SHA256:AB:CD:...", "abcd...", any case) reduced to 64 lower-case hex digits.
std::string normalize_fingerprint(std::string_view text) {
    constexpr std::string_view prefix = "sha256:";
    if (text.size() > prefix.size() && ascii::istarts_with(text, prefix)) text.remove_prefix(prefix.size());
    std::string hex;
    for (char c : text) {
        if (c == ':' || c == ' ') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
        hex += ascii::to_lower(c);
    }
    return hex.size() == 64 ? hex : std::string{};
}

std::string sha256_fingerprint(X509* certificate) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (certificate == nullptr || X509_digest(certificate, EVP_sha256(), digest.data(), &length) != 1) return {};
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
        if (i > 0) text += ':';
        text += fmt::format("{:02X}", digest[i]);
    }
    return text;
}

// The leaf certificate the server sent, also after a handshake that verification aborted (then
// OpenSSL has not promoted it to "the peer certificate" yet, but the received chain holds it).
X509* leaf_certificate(const SSL* ssl) {
    if (X509* peer = SSL_get0_peer_certificate(ssl)) return peer;
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
    if (chain != nullptr && sk_X509_num(chain) > 0) return sk_X509_value(chain, 0);
    return nullptr;
}

// The names a certificate is valid for (subjectAltName, else the subject's common name), to tell
// the user which host name would work.
std::string certificate_names(X509* certificate) {
    std::vector<std::string> names;
    using NamesPtr = std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)>;
    NamesPtr alt_names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)),
                       &GENERAL_NAMES_free);
    for (int i = 0; alt_names && i < sk_GENERAL_NAME_num(alt_names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(alt_names.get(), i);
        if (name->type == GEN_DNS) {
            const unsigned char* data = ASN1_STRING_get0_data(name->d.dNSName);
            names.emplace_back(reinterpret_cast<const char*>(data), static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName)));
        } else if (name->type == GEN_IPADD) {
            const int length = ASN1_STRING_length(name->d.iPAddress);
            std::array<char, INET6_ADDRSTRLEN> text{};
            const int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : AF_UNSPEC;
            if (family != AF_UNSPEC &&
                inet_ntop(family, ASN1_STRING_get0_data(name->d.iPAddress), text.data(), text.size()) != nullptr)
                names.emplace_back(text.data());
        }
    }
    if (names.empty()) {
        std::array<char, 256> common_name{};
        if (X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, common_name.data(),
                                      static_cast<int>(common_name.size())) > 0)
            names.emplace_back(common_name.data());
    }
    return names.empty() ? std::string("no name") : fmt::format("{}", fmt::join(names, ", "));
}

struct AddrInfoDeleter {
    void operator()(addrinfo* list) const { freeaddrinfo(list); }
};

}  // namespace

// How long a call may wait. For reads and the handshake it is the caller's deadline, fixed. For
// writes it measures inactivity (transport.hpp): every kProgressBytes the peer accepts move the
// deadline `span` further, so a long upload on a slow link goes on while it moves. "Accepted"
// counts both bytes our socket took and bytes the peer acknowledged from its send queue: with
// megabytes of send buffer on a slow link, the socket becomes writable again only after seconds,
// while the queue drains steadily.
struct TcpTransport::Budget {
    Deadline deadline;
    std::chrono::milliseconds span;  // deadline minus the time the public call began
    bool extend_on_progress = false;
    std::uint64_t accepted_since_extension = 0;  // bytes the peer took since the deadline last moved
    std::uint64_t unsent = 0;                      // the send queue when last looked at

    explicit Budget(Deadline when, bool extend = false)
        : deadline(when),
          span(std::max(std::chrono::milliseconds(0),
                        std::chrono::ceil<std::chrono::milliseconds>(when - Clock::now()))),
          extend_on_progress(extend) {}

    void accepted(std::uint64_t count) {
        accepted_since_extension += count;
        if (!extend_on_progress || accepted_since_extension < kProgressBytes) return;
        deadline = Clock::now() + span;
        accepted_since_extension = 0;
    }
};

struct TcpTransport::Tls {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context{nullptr, &SSL_CTX_free};
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl{nullptr, &SSL_free};
    BIO* network_in = nullptr;   // owned by ssl: bytes from the socket, waiting for OpenSSL
    BIO* network_out = nullptr;  // owned by ssl: bytes from OpenSSL, waiting for the socket
    std::string pinned_sha256;   // normalized; empty: not pinned
    bool verifying = false;      // chain and host name are checked by OpenSSL
    bool established = false;
};

// ---- connecting ----------------------------------------------------------------------------

namespace {

// Connects one socket to one address, or returns -1 and says why.
int connect_one(const addrinfo& address, Deadline deadline, std::string& why) {
    int socket_fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, address.ai_protocol);
    if (socket_fd < 0) {
        why = errno_text(errno);
        return -1;
    }
    auto fail = [&](std::string reason) {
        why = std::move(reason);
        ::close(socket_fd);
        return -1;
    };
    if (::connect(socket_fd, address.ai_addr, address.ai_addrlen) == 0) return socket_fd;
    if (errno != EINPROGRESS && errno != EINTR) return fail(errno_text(errno));
    for (;;) {
        const auto remaining = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (remaining.count() <= 0) return fail("no answer");
        pollfd waiting{socket_fd, POLLOUT, 0};
        const int ready = ::poll(&waiting, 1, static_cast<int>(std::min<long long>(remaining.count(), 60'000)));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return fail(errno_text(errno));
        if (ready > 0) break;
    }
    int socket_error = 0;
    socklen_t length = sizeof socket_error;
    if (::getsockopt(socket_fd, SOL_SOCKET, SO_ERROR, &socket_error, &length) != 0) return fail(errno_text(errno));
    if (socket_error != 0) return fail(errno_text(socket_error));
    return socket_fd;
}

std::string address_text(const addrinfo& address) {
    std::array<char, NI_MAXHOST> host{};
    if (::getnameinfo(address.ai_addr, address.ai_addrlen, host.data(), host.size(), nullptr, 0, NI_NUMERICHOST) != 0)
        return "?";
    return host.data();
}

}  // namespace

std::unique_ptr<TcpTransport> TcpTransport::connect(const Endpoint& endpoint, Deadline deadline) {
    Budget budget(deadline);
    const std::string host = bare_host(endpoint.host);
    if (host.empty()) throw Error(ErrorCategory::config, "no server host name given");
    if (endpoint.port == 0) throw Error(ErrorCategory::config, fmt::format("no port given for server {}", host));
    if (!endpoint.tls_options.pinned_sha256.empty() && normalize_fingerprint(endpoint.tls_options.pinned_sha256).empty())
        throw Error(ErrorCategory::config,
                    fmt::format("TLS fingerprint '{}' is not a SHA-256 fingerprint (64 hex digits, colons allowed)",
                                endpoint.tls_options.pinned_sha256));
    const std::string peer = host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, endpoint.port)
                                                                  : fmt::format("{}:{}", host, endpoint.port);

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const int resolved = ::getaddrinfo(host.c_str(), std::to_string(endpoint.port).c_str(), &hints, &found);
    // A failed lookup is most often a machine without network: retrying later can help.
    if (resolved != 0)
        throw Error(ErrorCategory::unavailable, fmt::format("cannot resolve server name {}: {}", host,
                                                            resolved == EAI_SYSTEM ? errno_text(errno) : gai_strerror(resolved)));
    const std::unique_ptr<addrinfo, AddrInfoDeleter> addresses(found);

    std::vector<const addrinfo*> candidates;
    for (const addrinfo* address = addresses.get(); address != nullptr; address = address->ai_next)
        candidates.push_back(address);

    std::vector<std::string> failures;
    int socket_fd = -1;
    for (std::size_t i = 0; i < candidates.size() && socket_fd < 0; ++i) {
        // Each remaining address gets an equal share of the time left, so one address that drops
        // packets (typically an unrouted IPv6) cannot use up the time of the others.
        const auto left = deadline - Clock::now();
        const auto share = left / static_cast<long>(candidates.size() - i);
        std::string why;
        socket_fd = connect_one(*candidates[i], Clock::now() + share, why);
        if (socket_fd < 0) failures.push_back(candidates.size() > 1 ? fmt::format("{}: {}", address_text(*candidates[i]), why) : why);
    }
    if (socket_fd < 0) {
        std::string reasons = fmt::format("{}", fmt::join(failures, "; "));
        if (Clock::now() >= deadline) reasons += fmt::format(" (gave up after {})", describe_duration(budget.span));
        throw Error(ErrorCategory::unavailable, fmt::format("cannot connect to {}: {}", peer, reasons));
    }

    const int enabled = 1;
    // Commands are small and each waits for an answer: never hold them back (Nagle).
    ::setsockopt(socket_fd, IPPROTO_TCP, TCP_NODELAY, &enabled, sizeof enabled);
    // A long IDLE over a NAT that forgot the connection must end in an error, not a silent hang.
    ::setsockopt(socket_fd, SOL_SOCKET, SO_KEEPALIVE, &enabled, sizeof enabled);

    std::unique_ptr<TcpTransport> transport(new TcpTransport(socket_fd, endpoint));
    transport->endpoint_.host = host;
    transport->peer_name_ = peer;
    if (endpoint.tls == TlsMode::implicit) transport->handshake(budget);
    return transport;
}

TcpTransport::TcpTransport(int socket, Endpoint endpoint) : socket_(socket), endpoint_(std::move(endpoint)) {}

TcpTransport::~TcpTransport() { close(); }

// ---- TLS -----------------------------------------------------------------------------------

void TcpTransport::start_tls(Deadline deadline) {
    throw_if_closed();
    if (tls_) throw Error(ErrorCategory::internal, "start_tls() on a connection that is already TLS");
    // Plain reads go straight from the socket into the caller's buffer, so nothing received in
    // clear text can be waiting here to be mistaken for protected data.
    Budget budget(deadline);
    handshake(budget);
}

void TcpTransport::handshake(Budget& budget) {
    ERR_clear_error();
    auto tls = std::make_unique<Tls>();
    const TlsOptions& options = endpoint_.tls_options;
    const std::string& host = endpoint_.host;
    tls->pinned_sha256 = normalize_fingerprint(options.pinned_sha256);
    tls->verifying = options.verify && tls->pinned_sha256.empty();

    tls->context.reset(SSL_CTX_new(TLS_client_method()));
    if (!tls->context) throw Error(ErrorCategory::internal, "TLS: cannot create a context: " + openssl_errors());
    SSL_CTX* context = tls->context.get();
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    if (tls->verifying) {
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
        if (!options.ca_file.empty()) {
            if (SSL_CTX_load_verify_locations(context, options.ca_file.c_str(), nullptr) != 1)
                throw Error(ErrorCategory::config,
                            fmt::format("TLS: cannot load CA file {}: {}", options.ca_file, openssl_errors()));
        } else if (SSL_CTX_set_default_verify_paths(context) != 1) {
            throw Error(ErrorCategory::config, "TLS: cannot load the system trust store: " + openssl_errors());
        }
    } else {
        // Pinned: the fingerprint is compared after the handshake, before any byte of ours is sent.
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
    }

    tls->ssl.reset(SSL_new(context));
    tls->network_in = BIO_new(BIO_s_mem());
    tls->network_out = BIO_new(BIO_s_mem());
    if (!tls->ssl || tls->network_in == nullptr || tls->network_out == nullptr) {
        BIO_free(tls->network_in);
        BIO_free(tls->network_out);
        throw Error(ErrorCategory::internal, "TLS: out of memory");
    }
    // Memory BIOs rather than a socket BIO: all socket I/O stays here, under our deadlines, with
    // MSG_NOSIGNAL (OpenSSL's socket BIO write()s and can raise SIGPIPE), and counted for bytes_*().
    BIO_set_mem_eof_return(tls->network_in, -1);  // empty means "wait for more", not end of stream
    SSL_set_bio(tls->ssl.get(), tls->network_in, tls->network_out);
    SSL* ssl = tls->ssl.get();
    SSL_set_connect_state(ssl);

    const bool ip_literal = is_ip_literal(host);
    // RFC 6066 forbids IP literals in SNI.
    // SSL_ctrl rather than the SSL_set_tlsext_host_name macro, whose C cast trips -Wold-style-cast.
    if (!ip_literal &&
        SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str())) != 1)
        throw Error(ErrorCategory::config, fmt::format("TLS: {} cannot be sent as a server name: {}", host, openssl_errors()));
    if (tls->verifying) {
        if (ip_literal) {
            if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1)
                throw Error(ErrorCategory::internal, "TLS: cannot set the expected IP address: " + openssl_errors());
        } else {
            SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            if (SSL_set1_host(ssl, host.c_str()) != 1)
                throw Error(ErrorCategory::internal, "TLS: cannot set the expected host name: " + openssl_errors());
        }
    }

    tls_ = std::move(tls);
    switch (run_tls([ssl] { return SSL_do_handshake(ssl); }, budget)) {
    case TlsStep::done:
        break;
    case TlsStep::peer_closed:
        throw Error(ErrorCategory::unavailable, fmt::format("{} closed the connection during the TLS handshake", peer_name_));
    case TlsStep::failed:
        throw_handshake_failure();
    }

    if (!tls_->pinned_sha256.empty()) {
        const std::string presented = sha256_fingerprint(SSL_get0_peer_certificate(ssl));
        if (normalize_fingerprint(presented) != tls_->pinned_sha256)
            throw Error(ErrorCategory::protocol,
                        fmt::format("TLS: certificate for {} does not match the pinned fingerprint (tls_fingerprint): "
                                    "the server presented SHA256:{}",
                                    host, presented.empty() ? "none" : presented));
    }
    tls_->established = true;
}

void TcpTransport::throw_handshake_failure() {
    SSL* ssl = tls_->ssl.get();
    const std::string& host = endpoint_.host;
    const long verify_result = SSL_get_verify_result(ssl);
    const unsigned long first_error = ERR_peek_error();
    const std::string details = openssl_errors();
    if (tls_->verifying && verify_result != X509_V_OK) {
        X509* leaf = leaf_certificate(ssl);
        const std::string fingerprint = sha256_fingerprint(leaf);
        const std::string pin_hint = fingerprint.empty() ? std::string("tls_fingerprint")
                                                         : fmt::format("tls_fingerprint SHA256:{}", fingerprint);
        const char* reason = X509_verify_cert_error_string(verify_result);
        if ((verify_result == X509_V_ERR_HOSTNAME_MISMATCH || verify_result == X509_V_ERR_IP_ADDRESS_MISMATCH) &&
            leaf != nullptr)
            throw Error(ErrorCategory::protocol,
                        fmt::format("TLS: certificate for {} not trusted: {}: the certificate is for {} "
                                    "(set host to a name the certificate lists, or set {})",
                                    host, reason, certificate_names(leaf), pin_hint));
        // An out-of-date certificate is the server's to renew; pinning would hide that for good.
        if (verify_result == X509_V_ERR_CERT_HAS_EXPIRED || verify_result == X509_V_ERR_CERT_NOT_YET_VALID)
            throw Error(ErrorCategory::protocol,
                        fmt::format("TLS: certificate for {} not trusted: {} (the server's certificate must be "
                                    "renewed, or the clock of one side is wrong; {} would accept it, expired or "
                                    "not, until it is replaced)",
                                    host, reason, pin_hint));
        throw Error(ErrorCategory::protocol, fmt::format("TLS: certificate for {} not trusted: {} (set tls_ca_file or {})",
                                                         host, reason, pin_hint));
    }
    // Implicit TLS against a port that speaks plaintext IMAP (143): the server's greeting,
    // "* OK ...", read as a TLS record header is no TLS version at all.
    if (endpoint_.tls == TlsMode::implicit && ERR_GET_REASON(first_error) == SSL_R_WRONG_VERSION_NUMBER)
        throw Error(ErrorCategory::protocol,
                    fmt::format("TLS handshake with {} failed: {}: the server does not speak TLS on port {}; if it "
                                "is a plaintext IMAP port (usually 143), set tls: starttls (or port: 993 for implicit TLS)",
                                peer_name_, details, endpoint_.port));
    throw Error(ErrorCategory::protocol, fmt::format("TLS handshake with {} failed: {}", peer_name_, details));
}

TcpTransport::TlsStep TcpTransport::run_tls(const std::function<int()>& operation, Budget& budget) {
    SSL* ssl = tls_->ssl.get();
    for (;;) {
        ERR_clear_error();
        const int result = operation();
        const int error = result > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, result);
        switch (error) {
        case SSL_ERROR_NONE:
            flush_tls_output(budget);
            return TlsStep::done;
        case SSL_ERROR_WANT_READ:
            flush_tls_output(budget);
            if (!fill_tls_input(budget)) return TlsStep::peer_closed;
            continue;
        case SSL_ERROR_WANT_WRITE:  // memory BIOs grow, so this only means "flush first"
            flush_tls_output(budget);
            continue;
        case SSL_ERROR_ZERO_RETURN:
            return TlsStep::peer_closed;
        default:
            // Let the peer see our alert if it can; the failure we report is the TLS one.
            try {
                flush_tls_output(budget);
            } catch (const Error&) {
            }
            return TlsStep::failed;
        }
    }
}

void TcpTransport::flush_tls_output(Budget& budget) {
    std::array<char, io_chunk_size> chunk{};
    while (BIO_ctrl_pending(tls_->network_out) > 0) {
        const int count = BIO_read(tls_->network_out, chunk.data(), static_cast<int>(chunk.size()));
        if (count <= 0) break;
        send_raw(std::string_view(chunk.data(), static_cast<std::size_t>(count)), budget);
    }
}

bool TcpTransport::fill_tls_input(Budget& budget) {
    std::array<char, io_chunk_size> chunk{};
    const std::size_t count = read_plain(chunk, budget);
    if (count == 0) return false;
    if (BIO_write(tls_->network_in, chunk.data(), static_cast<int>(count)) != static_cast<int>(count))
        throw Error(ErrorCategory::internal, "TLS: out of memory");
    return true;
}

bool TcpTransport::is_tls() const { return tls_ && tls_->established; }
bool TcpTransport::tls_compressed() const { return is_tls() && SSL_get_current_compression(tls_->ssl.get()) != nullptr; }

std::uint64_t TcpTransport::unsent_bytes() const {
    int queued = 0;
    if (socket_ < 0 || ::ioctl(socket_, SIOCOUTQ, &queued) != 0 || queued < 0) return 0;
    return static_cast<std::uint64_t>(queued);
}

std::string TcpTransport::peer_certificate_sha256() const {
    if (!tls_ || !tls_->ssl) return {};
    return sha256_fingerprint(leaf_certificate(tls_->ssl.get()));
}

// ---- reading and writing -------------------------------------------------------------------

std::size_t TcpTransport::read_some(std::span<char> buffer, Deadline deadline) {
    throw_if_closed();
    if (buffer.empty()) throw Error(ErrorCategory::internal, "read_some() into an empty buffer");
    Budget budget(deadline);
    return tls_ ? read_tls(buffer, budget) : read_plain(buffer, budget);
}

std::size_t TcpTransport::read_tls(std::span<char> buffer, Budget& budget) {
    if (!tls_->established) throw Error(ErrorCategory::internal, "read on a connection whose TLS handshake failed");
    SSL* ssl = tls_->ssl.get();
    std::size_t count = 0;
    switch (run_tls([&] { return SSL_read_ex(ssl, buffer.data(), buffer.size(), &count); }, budget)) {
    case TlsStep::done:
        return count;
    // The end of the TCP stream without close_notify also counts as the end: servers often close
    // after BYE without it, and IMAP's own framing (tagged replies, counted literals) tells the
    // session whether anything was cut short.
    case TlsStep::peer_closed:
        return 0;
    case TlsStep::failed:
        break;
    }
    throw Error(ErrorCategory::unavailable, fmt::format("TLS connection to {} broken: {}", peer_name_, openssl_errors()));
}

std::size_t TcpTransport::read_plain(std::span<char> buffer, Budget& budget) {
    for (;;) {
        const ssize_t count = ::recv(socket_, buffer.data(), buffer.size(), 0);
        if (count >= 0) {
            bytes_received_ += static_cast<std::uint64_t>(count);
            return static_cast<std::size_t>(count);
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            wait_for(POLLIN, budget);
        } else if (errno != EINTR) {
            throw Error(ErrorCategory::unavailable, fmt::format("connection to {} lost: {}", peer_name_, errno_text(errno)));
        }
    }
}

void TcpTransport::write_all(std::string_view bytes, Deadline deadline) {
    throw_if_closed();
    Budget budget(deadline, /*extend=*/true);
    budget.unsent = unsent_bytes();
    if (!tls_) {
        send_raw(bytes, budget);
        return;
    }
    if (!tls_->established) throw Error(ErrorCategory::internal, "write on a connection whose TLS handshake failed");
    SSL* ssl = tls_->ssl.get();
    // One record's worth at a time: the encrypted copy of a 50 MB APPEND never sits in memory whole.
    while (!bytes.empty()) {
        const std::string_view piece = bytes.substr(0, 16 * 1024);
        std::size_t written = 0;
        switch (run_tls([&] { return SSL_write_ex(ssl, piece.data(), piece.size(), &written); }, budget)) {
        case TlsStep::done:
            bytes.remove_prefix(written);
            continue;
        case TlsStep::peer_closed:
            throw Error(ErrorCategory::unavailable, fmt::format("{} closed the connection", peer_name_));
        case TlsStep::failed:
            throw Error(ErrorCategory::unavailable, fmt::format("TLS connection to {} broken: {}", peer_name_, openssl_errors()));
        }
    }
}

void TcpTransport::send_raw(std::string_view bytes, Budget& budget) {
    while (!bytes.empty()) {
        const ssize_t count = ::send(socket_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (count >= 0) {
            bytes_sent_ += static_cast<std::uint64_t>(count);
            budget.accepted(static_cast<std::uint64_t>(count));
            bytes.remove_prefix(static_cast<std::size_t>(count));
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            wait_for(POLLOUT, budget);
        } else if (errno != EINTR) {
            throw Error(ErrorCategory::unavailable, fmt::format("connection to {} lost: {}", peer_name_, errno_text(errno)));
        }
    }
}

void TcpTransport::wait_for(short events, Budget& budget) {
    for (;;) {
        const auto remaining = std::chrono::ceil<std::chrono::milliseconds>(budget.deadline - Clock::now());
        if (remaining.count() <= 0) {
            if (events == POLLIN)
                throw Error(ErrorCategory::unavailable,
                            fmt::format("server {} did not answer within {}", peer_name_, describe_duration(budget.span)));
            if (budget.accepted_since_extension == 0)
                throw Error(ErrorCategory::unavailable,
                            fmt::format("server {} accepted no data for {}", peer_name_, describe_duration(budget.span)));
            throw Error(ErrorCategory::unavailable,
                        fmt::format("server {} accepted only {} bytes in {} (less than {} bytes in that time is taken "
                                    "for a dead connection)", peer_name_, budget.accepted_since_extension,
                                    describe_duration(budget.span), kProgressBytes));
        }
        pollfd waiting{socket_, events, 0};
        // Capped so that a far deadline cannot overflow poll()'s int; the loop waits again. A write
        // looks at its send queue four times a second.
        const long long cap = events == POLLOUT && budget.extend_on_progress ? 250 : 60'000;
        const int ready = ::poll(&waiting, 1, static_cast<int>(std::min<long long>(remaining.count(), cap)));
        if (ready > 0) return;  // readable, writable, or an error the next recv/send will report
        if (events == POLLOUT && budget.extend_on_progress) {
            const std::uint64_t unsent = unsent_bytes();
            if (unsent < budget.unsent) budget.accepted(budget.unsent - unsent);
            budget.unsent = unsent;
        }
        if (ready < 0 && errno != EINTR)
            throw Error(ErrorCategory::unavailable, fmt::format("waiting for {} failed: {}", peer_name_, errno_text(errno)));
    }
}

// ---- closing -------------------------------------------------------------------------------

void TcpTransport::throw_if_closed() const {
    if (socket_ < 0) throw Error(ErrorCategory::internal, fmt::format("connection to {} used after close()", peer_name_));
}

void TcpTransport::close() noexcept {
    if (socket_ < 0) return;
    if (tls_ && tls_->established) {
        // close_notify, sent only if the socket takes it at once: closing must never wait.
        ERR_clear_error();
        SSL_shutdown(tls_->ssl.get());
        std::array<char, io_chunk_size> chunk{};
        const int count = BIO_read(tls_->network_out, chunk.data(), static_cast<int>(chunk.size()));
        if (count > 0) {
            const ssize_t sent = ::send(socket_, chunk.data(), static_cast<std::size_t>(count), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (sent > 0) bytes_sent_ += static_cast<std::uint64_t>(sent);
        }
        ERR_clear_error();
    }
    ::close(socket_);
    socket_ = -1;
}

}  // namespace mailsync::imap

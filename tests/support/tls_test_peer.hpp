// Test helpers for the TCP/TLS transport: certificates made at test time with the OpenSSL API (a CA,
// leaves signed by it, self-signed leaves), a temporary directory, and a loopback server that runs a
// script on one accepted connection in a thread. Header-only so the test program needs no extra
// source in its CMake registration.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace mailsync::test {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertificatePtr = std::unique_ptr<X509, decltype(&X509_free)>;
using ContextPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

inline void require_openssl(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

struct TestCertificate {
    KeyPtr key{nullptr, &EVP_PKEY_free};
    CertificatePtr certificate{nullptr, &X509_free};
};

inline void add_extension(X509* certificate, X509V3_CTX& context, int nid, const char* value) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    require_openssl(extension != nullptr, value);
    require_openssl(X509_add_ext(certificate, extension, -1) == 1, "X509_add_ext");
    X509_EXTENSION_free(extension);
}

// A certificate for common_name. issuer == nullptr: self-signed. is_ca: may sign others.
// subject_alt_names in openssl.cnf syntax ("DNS:localhost,IP:127.0.0.1"), empty for none.
// Valid from an hour ago for a day, unless `validity` (seconds from now) says otherwise.
struct Validity {
    long not_before = -3600;
    long not_after = 24 * 3600;
};
inline TestCertificate make_certificate(const std::string& common_name, const std::string& subject_alt_names,
                                        const TestCertificate* issuer, bool is_ca, Validity validity = {}) {
    static long serial = 1;
    TestCertificate made;
    made.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    require_openssl(made.key != nullptr, "key generation");
    made.certificate.reset(X509_new());
    X509* certificate = made.certificate.get();
    require_openssl(X509_set_version(certificate, X509_VERSION_3) == 1, "X509_set_version");
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial++);
    X509_gmtime_adj(X509_getm_notBefore(certificate), validity.not_before);
    X509_gmtime_adj(X509_getm_notAfter(certificate), validity.not_after);
    require_openssl(X509_set_pubkey(certificate, made.key.get()) == 1, "X509_set_pubkey");
    X509_NAME* subject = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                               -1, -1, 0);
    X509* issuer_certificate = issuer != nullptr ? issuer->certificate.get() : certificate;
    require_openssl(X509_set_issuer_name(certificate, X509_get_subject_name(issuer_certificate)) == 1, "issuer name");

    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer_certificate, certificate, nullptr, nullptr, 0);
    add_extension(certificate, context, NID_subject_key_identifier, "hash");
    if (issuer != nullptr) add_extension(certificate, context, NID_authority_key_identifier, "keyid:always");
    if (is_ca) {
        add_extension(certificate, context, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(certificate, context, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_extension(certificate, context, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(certificate, context, NID_ext_key_usage, "serverAuth");
        if (!subject_alt_names.empty())
            add_extension(certificate, context, NID_subject_alt_name, subject_alt_names.c_str());
    }
    EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : made.key.get();
    require_openssl(X509_sign(certificate, signing_key, EVP_sha256()) > 0, "X509_sign");
    return made;
}

inline void write_pem(X509* certificate, const std::filesystem::path& path) {
    std::unique_ptr<BIO, decltype(&BIO_free)> file(BIO_new_file(path.c_str(), "w"), &BIO_free);
    require_openssl(file != nullptr && PEM_write_bio_X509(file.get(), certificate) == 1, "writing a PEM file");
}

// Upper-case hex pairs joined by ':', computed here independently of the transport.
inline std::string fingerprint_of(X509* certificate) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    require_openssl(X509_digest(certificate, EVP_sha256(), digest.data(), &length) == 1, "X509_digest");
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
        std::array<char, 4> pair{};
        std::snprintf(pair.data(), pair.size(), i == 0 ? "%02X" : ":%02X", digest[i]);
        text += pair.data();
    }
    return text;
}

inline ContextPtr make_server_context(const TestCertificate& leaf, const TestCertificate* chain_ca = nullptr) {
    ContextPtr context(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
    require_openssl(context != nullptr, "SSL_CTX_new");
    require_openssl(SSL_CTX_use_certificate(context.get(), leaf.certificate.get()) == 1, "use_certificate");
    require_openssl(SSL_CTX_use_PrivateKey(context.get(), leaf.key.get()) == 1, "use_PrivateKey");
    if (chain_ca != nullptr) require_openssl(SSL_CTX_add1_chain_cert(context.get(), chain_ca->certificate.get()) == 1, "chain");
    return context;
}

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "mailsync-tls-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// The server side of one accepted connection: blocking I/O, plain or TLS, every wait bounded by
// the socket timeouts so a script can never hang the test.
class PeerConnection {
public:
    explicit PeerConnection(int socket) : socket_(socket) {
        timeval timeout{3, 0};
        ::setsockopt(socket_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(socket_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        // Without it, Nagle and delayed ACKs add 40 ms to exchanges of small TLS records.
        const int enabled = 1;
        ::setsockopt(socket_, IPPROTO_TCP, TCP_NODELAY, &enabled, sizeof enabled);
    }
    ~PeerConnection() {
        if (ssl_ != nullptr) SSL_free(ssl_);
        if (socket_ >= 0) ::close(socket_);
    }
    PeerConnection(const PeerConnection&) = delete;
    PeerConnection& operator=(const PeerConnection&) = delete;

    // The TLS handshake; false when the client refused it (or it failed otherwise).
    bool accept_tls(SSL_CTX* context) {
        ssl_ = SSL_new(context);
        SSL_set_fd(ssl_, socket_);
        if (SSL_accept(ssl_) != 1) {
            ERR_clear_error();
            return false;
        }
        const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
        server_name_ = name != nullptr ? name : "";
        return true;
    }
    const std::string& server_name() const { return server_name_; }

    // Up to max bytes; empty at end of stream or on an error.
    std::string read_some(std::size_t max = 16384) {
        std::string buffer(max, '\0');
        long count = ssl_ != nullptr ? SSL_read(ssl_, buffer.data(), static_cast<int>(max))
                                     : ::recv(socket_, buffer.data(), max, 0);
        buffer.resize(count > 0 ? static_cast<std::size_t>(count) : 0);
        return buffer;
    }
    std::string read_line() {
        std::string line;
        while (line.find("\r\n") == std::string::npos) {
            std::string more = read_some(1);
            if (more.empty()) break;
            line += more;
        }
        return line;
    }
    std::size_t read_exactly(std::size_t total) {
        std::size_t received = 0;
        while (received < total) {
            std::string more = read_some(std::min<std::size_t>(total - received, 65536));
            if (more.empty()) break;
            received += more.size();
        }
        return received;
    }
    void write(const std::string& bytes) {
        if (ssl_ != nullptr) {
            SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
        } else {
            std::size_t sent = 0;
            while (sent < bytes.size()) {
                long count = ::send(socket_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
                if (count <= 0) return;
                sent += static_cast<std::size_t>(count);
            }
        }
    }
    // Waits without reading until told to stop (or `bound` passes), so the client's writes back up.
    static void wait_for(std::future<void>& stop, std::chrono::seconds bound = std::chrono::seconds(3)) {
        stop.wait_for(bound);
    }
    // Socket timeouts other than the 3 s default: a script that must outwait the client's own
    // deadline on a slow machine sets them far above it.
    void set_timeouts(std::chrono::seconds bound) {
        timeval timeout{static_cast<time_t>(bound.count()), 0};
        ::setsockopt(socket_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(socket_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    }
    // Waits (bounded by the socket timeout) until the client closes.
    void wait_for_client_close() {
        while (!read_some().empty()) {
        }
    }
    // Sends TLS close_notify (the orderly end of a TLS stream).
    void shutdown_tls() {
        if (ssl_ != nullptr) SSL_shutdown(ssl_);
    }
    // Closes with a TCP reset instead of an orderly end.
    void reset() {
        linger abortive{1, 0};
        ::setsockopt(socket_, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
        ::close(socket_);
        socket_ = -1;
    }

private:
    int socket_;
    SSL* ssl_ = nullptr;
    std::string server_name_;
};

// Listens on 127.0.0.1 on a port the system picks (no race for a free port: the socket stays
// bound), accepts one connection and runs the script on it in a thread. join() (or the destructor)
// waits for the script to end.
class LoopbackServer {
public:
    using Script = std::function<void(PeerConnection&)>;

    explicit LoopbackServer(Script script, bool listen_for_connections = true) {
        // The server side writes through OpenSSL's socket BIO (plain write()), which raises SIGPIPE
        // when the client has already gone; the transport under test never relies on this.
        std::signal(SIGPIPE, SIG_IGN);
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listener_ < 0) throw std::runtime_error("socket failed");
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        socklen_t length = sizeof address;
        if (::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            throw std::runtime_error("bind to 127.0.0.1 failed");
        port_ = ntohs(address.sin_port);
        if (!listen_for_connections) return;  // a bound port nobody listens on: connections are refused
        if (::listen(listener_, 4) != 0) throw std::runtime_error("listen failed");
        thread_ = std::thread([this, script = std::move(script)] {
            pollfd waiting{listener_, POLLIN, 0};
            if (::poll(&waiting, 1, 3000) != 1) return;
            const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (connection < 0) return;
            PeerConnection peer(connection);
            try {
                script(peer);
            } catch (const std::exception& error) {
                script_error_ = error.what();
            }
        });
    }
    ~LoopbackServer() {
        join();
        ::close(listener_);
    }
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;

    std::uint16_t port() const { return port_; }
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    // After join(): what the script threw, if anything.
    const std::string& script_error() const { return script_error_; }

private:
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::string script_error_;
};

}  // namespace mailsync::test

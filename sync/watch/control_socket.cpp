#include "sync/watch/control_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/error.hpp"

namespace mailsync::sync {
namespace {

constexpr std::string_view sync_request = "sync\n";

std::optional<sockaddr_un> socket_address(const std::filesystem::path& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string& text = path.native();
    if (text.size() >= sizeof address.sun_path) return std::nullopt;
    std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
    return address;
}

// Writes all of `text`, ignoring a peer that went away (it no longer waits for the answer).
void send_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

// The request line of a freshly accepted client, read within a second.
bool reads_sync_request(int fd) {
    std::string received;
    pollfd ready{fd, POLLIN, 0};
    while (received.size() < sync_request.size()) {
        const int polled = ::poll(&ready, 1, 1000);
        if (polled < 0 && errno == EINTR) continue;
        if (polled <= 0) return false;
        char buffer[16];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) return false;
        received.append(buffer, static_cast<std::size_t>(n));
    }
    return received == sync_request;
}

bool same_user(int fd) {
    ucred peer{};
    socklen_t size = sizeof peer;
    return ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) == 0 && peer.uid == ::getuid();
}

}  // namespace

ControlSocket::ControlSocket(const std::filesystem::path& store_directory)
    : path_(store_directory / watch_socket_file_name) {
    const auto address = socket_address(path_);
    if (!address)
        throw Error(ErrorCategory::io, fmt::format("the path {} is too long for a unix socket", path_.string()));
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener_ < 0) throw Error(ErrorCategory::io, fmt::format("socket: {}", std::strerror(errno)));
    ::unlink(path_.c_str());   // a stale socket of a watch killed with -9
    // Made 0600 from the start (umask), not chmod-ed after a window in which it was wider.
    const mode_t old_mask = ::umask(0177);
    const int bound = ::bind(listener_, reinterpret_cast<const sockaddr*>(&*address), sizeof *address);
    const int bind_errno = errno;
    ::umask(old_mask);
    if (bound != 0 || ::listen(listener_, 16) != 0) {
        const int saved = bound != 0 ? bind_errno : errno;
        ::close(listener_);
        throw Error(ErrorCategory::io, fmt::format("cannot listen on {}: {}", path_.string(), std::strerror(saved)));
    }
}

ControlSocket::~ControlSocket() {
    answer_waiting("");
    ::unlink(path_.c_str());
    ::close(listener_);
}

bool ControlSocket::accept_requests() {
    while (true) {
        const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) break;   // EAGAIN: none left
        if (same_user(client) && reads_sync_request(client)) waiting_.push_back(client);
        else ::close(client);
    }
    return has_waiting();
}

void ControlSocket::answer_waiting(std::string_view reply) {
    for (const int client : waiting_) {
        send_all(client, reply);
        ::close(client);
    }
    waiting_.clear();
}

std::optional<std::string> ask_watch_to_sync(const std::filesystem::path& store_directory) {
    const auto address = socket_address(store_directory / watch_socket_file_name);
    if (!address) return std::nullopt;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw Error(ErrorCategory::io, fmt::format("socket: {}", std::strerror(errno)));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0) return std::nullopt;
    send_all(fd, sync_request);
    std::string reply;
    char buffer[4096];
    while (true) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        reply.append(buffer, static_cast<std::size_t>(n));
    }
    if (reply.empty())
        throw Error(ErrorCategory::unavailable, "the running `mailsync watch` ended before it answered");
    return reply;
}

}  // namespace mailsync::sync

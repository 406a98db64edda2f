#include "tests/fault/proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace mailsync::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxQueued = 1024 * 1024;  // per direction: then stop reading (backpressure)

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("fault proxy: " + what + ": " + std::strerror(errno));
}

sockaddr_in loopback_address(const std::string& host, std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
        throw std::runtime_error("fault proxy: not an IPv4 address: " + host);
    return address;
}

// Non-blocking connect bounded by a few seconds (the target is on loopback: it answers at once).
int connect_to(const std::string& host, std::uint16_t port) {
    const sockaddr_in address = loopback_address(host, port);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) return fd;
    if (errno != EINPROGRESS) {
        ::close(fd);
        return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    int error = 0;
    socklen_t length = sizeof error;
    if (::poll(&p, 1, 5000) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Reads and drops what the peer sent and nobody read, so that close() sends FIN rather than RST
// where it can (a RST may make the peer lose bytes it has not read yet).
void drain_and_close(int fd) {
    if (fd < 0) return;
    std::array<char, 16 * 1024> sink;
    for (int i = 0; i < 64 && ::recv(fd, sink.data(), sink.size(), MSG_DONTWAIT) > 0; ++i) {
    }
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
}

}  // namespace

// One direction of one connection.
struct Pipe {
    struct Chunk {
        Clock::time_point release;
        std::string bytes;
        std::size_t offset = 0;
    };

    DirectionFaults faults;
    std::deque<Chunk> queue;
    std::size_t queued = 0;
    std::uint64_t read_total = 0;
    std::uint64_t forwarded = 0;
    bool source_eof = false;
    bool dest_shut = false;
    bool dest_blocked = false;  // the last send() would have blocked: wait for POLLOUT
    double tokens = 0;
    Clock::time_point refilled = Clock::now();

    // Never read more than the fault lets through: what is read is what may be forwarded.
    std::uint64_t read_limit() const {
        std::uint64_t limit = UINT64_MAX;
        if (faults.cut_after) limit = std::min(limit, *faults.cut_after);
        if (faults.stall_after) limit = std::min(limit, *faults.stall_after);
        return limit;
    }
    // A rate-limited direction reads ahead a tenth of a second's worth only: a slow link holds the
    // sender's bytes in the sender's own socket, where it sees them unsent (SIOCOUTQ), as on a real
    // slow uplink, not in a megabyte hidden here that drains long after the sender wrote its last byte.
    std::size_t queue_limit() const {
        return faults.rate == 0 ? kMaxQueued
                                : static_cast<std::size_t>(std::clamp<std::uint64_t>(faults.rate / 10, 4096, kReadChunk));
    }
    bool wants_read() const { return !source_eof && queued < queue_limit() && read_total < read_limit(); }
    double burst() const { return std::max(4096.0, static_cast<double>(faults.rate) / 50.0); }
    void refill(Clock::time_point now) {
        if (faults.rate == 0) return;
        const double seconds = std::chrono::duration<double>(now - refilled).count();
        tokens = std::min(burst(), tokens + seconds * static_cast<double>(faults.rate));
        refilled = now;
    }
    // Bytes that may be sent now (0: wait).
    std::size_t allowance(Clock::time_point now) const {
        if (queue.empty() || queue.front().release > now) return 0;
        const std::size_t left = queue.front().bytes.size() - queue.front().offset;
        if (faults.rate == 0) return left;
        // Wait for a reasonable amount of tokens rather than trickling single bytes.
        const double wanted = std::min({static_cast<double>(left), burst(), 4096.0});
        if (tokens < wanted) return 0;
        return std::min(left, static_cast<std::size_t>(tokens));
    }
    // How long until allowance() may become non-zero; nullopt: not a matter of time.
    std::optional<Clock::duration> wait_time(Clock::time_point now) const {
        if (queue.empty() || dest_blocked) return std::nullopt;
        if (queue.front().release > now) return queue.front().release - now;
        if (faults.rate == 0) return Clock::duration::zero();
        const std::size_t left = queue.front().bytes.size() - queue.front().offset;
        const double wanted = std::min({static_cast<double>(left), burst(), 4096.0});
        if (tokens >= wanted) return Clock::duration::zero();
        return std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>((wanted - tokens) / static_cast<double>(faults.rate)));
    }
};

struct FaultProxy::Link {
    int client = -1;
    int server = -1;
    Pipe up;    // client → server
    Pipe down;  // server → client
    std::shared_ptr<ConnectionStats> stats;
    bool dead = false;
    std::uint64_t delivered_at_last_flight = 0;  // down.forwarded when the last client flight began
};

namespace {

enum class Step { ok, cut, dead };

// Reads from `from` into the pipe's queue when poll() said it is readable.
Step pump_read(Pipe& pipe, int from, Clock::time_point now) {
    if (!pipe.wants_read()) return Step::ok;
    std::array<char, kReadChunk> buffer;
    const std::uint64_t room = std::min<std::uint64_t>(pipe.read_limit() - pipe.read_total, pipe.queue_limit() - pipe.queued);
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), room));
    const ssize_t n = ::recv(from, buffer.data(), want, MSG_DONTWAIT);
    if (n > 0) {
        const auto count = static_cast<std::size_t>(n);
        pipe.queue.push_back({now + pipe.faults.delay, std::string(buffer.data(), count), 0});
        pipe.queued += count;
        pipe.read_total += count;
    } else if (n == 0) {
        pipe.source_eof = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return Step::dead;
    }
    return Step::ok;
}

// Sends what the delay and the rate allow; updates the forwarded count.
Step pump_write(Pipe& pipe, int to, std::uint64_t& counter, Clock::time_point now) {
    pipe.refill(now);
    while (true) {
        const std::size_t allowed = pipe.allowance(now);
        if (allowed == 0) break;
        auto& chunk = pipe.queue.front();
        const ssize_t n = ::send(to, chunk.bytes.data() + chunk.offset, allowed, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                pipe.dest_blocked = true;
                break;
            }
            if (errno == EINTR) continue;
            return Step::dead;
        }
        pipe.dest_blocked = false;
        const auto count = static_cast<std::size_t>(n);
        chunk.offset += count;
        pipe.queued -= count;
        pipe.forwarded += count;
        counter = pipe.forwarded;
        if (pipe.faults.rate != 0) pipe.tokens -= static_cast<double>(count);
        if (chunk.offset == chunk.bytes.size()) pipe.queue.pop_front();
        if (pipe.faults.cut_after && pipe.forwarded >= *pipe.faults.cut_after) return Step::cut;
    }
    if (pipe.source_eof && pipe.queue.empty() && !pipe.dest_shut) {
        ::shutdown(to, SHUT_WR);  // pass the half-close on
        pipe.dest_shut = true;
    }
    return Step::ok;
}

bool stalled(const Pipe& pipe) {
    return pipe.faults.stall_after && pipe.forwarded >= *pipe.faults.stall_after && pipe.queue.empty();
}

}  // namespace

FaultProxy::FaultProxy(std::string target_host, std::uint16_t target_port, std::string listen_host,
                       std::uint16_t listen_port)
    : target_host_(std::move(target_host)), target_port_(target_port), listen_host_(std::move(listen_host)) {
    const sockaddr_in address = loopback_address(listen_host_, listen_port);
    if ((ntohl(address.sin_addr.s_addr) >> 24) != 127)
        throw std::runtime_error("fault proxy: listens on loopback only, not " + listen_host_);
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd_ < 0) fail("socket");
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
        const int saved = errno;
        ::close(listen_fd_);
        errno = saved;
        fail("cannot listen on " + listen_host_ + ":" + std::to_string(listen_port));
    }
    sockaddr_in bound{};
    socklen_t length = sizeof bound;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
    port_ = ntohs(bound.sin_port);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        ::close(listen_fd_);
        fail("pipe");
    }
    wake_read_ = fds[0];
    wake_write_ = fds[1];
    thread_ = std::thread([this] { run(); });
}

FaultProxy::~FaultProxy() { stop(); }

void FaultProxy::wake() const {
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_write_, &byte, 1);
}

void FaultProxy::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
    }
    wake();
    if (thread_.joinable()) thread_.join();
    for (int* fd : {&listen_fd_, &wake_read_, &wake_write_}) {
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
    }
}

void FaultProxy::set_faults(const ConnectionFaults& faults) {
    std::lock_guard lock(mutex_);
    default_faults_ = faults;
}

void FaultProxy::push_faults(const ConnectionFaults& faults) {
    std::lock_guard lock(mutex_);
    queued_faults_.push_back(faults);
}

void FaultProxy::cut_all() {
    {
        std::lock_guard lock(mutex_);
        cut_all_ = true;
    }
    wake();
}

std::vector<ConnectionStats> FaultProxy::connections() const {
    std::lock_guard lock(mutex_);
    std::vector<ConnectionStats> result;
    for (const auto& stats : stats_) result.push_back(*stats);
    return result;
}

std::size_t FaultProxy::connection_count() const {
    std::lock_guard lock(mutex_);
    return stats_.size();
}

void FaultProxy::clear_stats() {
    std::lock_guard lock(mutex_);
    std::erase_if(stats_, [](const auto& stats) { return stats->closed; });
}

bool FaultProxy::wait_until_all_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (std::ranges::all_of(stats_, [](const auto& stats) { return stats->closed; })) return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

void FaultProxy::run() {
    std::vector<std::unique_ptr<Link>> links;
    std::vector<pollfd> fds;
    const auto close_link = [&](Link& link, bool cut) {
        drain_and_close(link.client);
        drain_and_close(link.server);
        link.client = link.server = -1;
        link.dead = true;
        link.stats->closed = true;
        if (cut) link.stats->cut = true;
    };

    while (true) {
        const Clock::time_point now = Clock::now();
        int timeout_ms = -1;
        fds.clear();
        fds.push_back({wake_read_, POLLIN, 0});
        fds.push_back({listen_fd_, POLLIN, 0});
        for (const auto& link : links) {
            for (const auto& [pipe, from, to] : {std::tuple{&link->up, link->client, link->server},
                                                 std::tuple{&link->down, link->server, link->client}}) {
                // A socket nobody waits on is left out (fd -1), so that a hang-up we do not care
                // about yet (e.g. on a stalled direction) cannot make poll() spin.
                fds.push_back({pipe->wants_read() ? from : -1, POLLIN, 0});
                fds.push_back({pipe->dest_blocked ? to : -1, POLLOUT, 0});
                if (auto wait = pipe->wait_time(now)) {
                    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*wait).count();
                    const int bounded = static_cast<int>(std::min<long long>(ms, 60000));
                    timeout_ms = timeout_ms < 0 ? bounded : std::min(timeout_ms, bounded);
                }
            }
        }
        ::poll(fds.data(), fds.size(), timeout_ms);

        if (fds[0].revents & POLLIN) {
            std::array<char, 64> sink;
            while (::read(wake_read_, sink.data(), sink.size()) > 0) {
            }
        }
        std::unique_lock lock(mutex_);
        if (stopping_) break;
        if (cut_all_) {
            cut_all_ = false;
            for (auto& link : links) close_link(*link, true);
        }

        // New connections, each paired with a fresh connection to the target.
        if (fds[1].revents & POLLIN) {
            while (true) {
                const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (client < 0) break;
                auto link = std::make_unique<Link>();
                link->client = client;
                if (!queued_faults_.empty()) {
                    const ConnectionFaults faults = queued_faults_.front();
                    queued_faults_.pop_front();
                    link->up.faults = faults.client_to_server;
                    link->down.faults = faults.server_to_client;
                } else {
                    link->up.faults = default_faults_.client_to_server;
                    link->down.faults = default_faults_.server_to_client;
                }
                link->up.tokens = link->up.burst();
                link->down.tokens = link->down.burst();
                link->stats = std::make_shared<ConnectionStats>();
                stats_.push_back(link->stats);
                lock.unlock();
                link->server = connect_to(target_host_, target_port_);
                lock.lock();
                const int one = 1;
                ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                if (link->server < 0) {
                    link->stats->target_unreachable = true;
                    close_link(*link, false);
                    continue;
                }
                ::setsockopt(link->server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                // A cut after 0 bytes: the client is accepted and dropped at once.
                if ((link->up.faults.cut_after && *link->up.faults.cut_after == 0) ||
                    (link->down.faults.cut_after && *link->down.faults.cut_after == 0)) {
                    close_link(*link, true);
                    continue;
                }
                links.push_back(std::move(link));
            }
        }

        // Existing connections. The pollfd entries of link i start at 2 + 4 i, in the order
        // pushed above (links accepted in this round have none yet and are handled next round).
        const Clock::time_point after = Clock::now();
        for (std::size_t i = 0; i + 2 < fds.size() && i / 4 < links.size(); i += 4) {
            Link& link = *links[i / 4];
            if (link.dead) continue;
            const auto readable = [&](std::size_t at) {
                return (fds[2 + at].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
            };
            Step step = Step::ok;
            const std::uint64_t client_bytes_before = link.up.read_total;
            if (readable(i)) step = pump_read(link.up, link.client, after);
            if (link.up.read_total > client_bytes_before &&
                (link.stats->client_flights == 0 || link.down.forwarded > link.delivered_at_last_flight)) {
                ++link.stats->client_flights;
                link.delivered_at_last_flight = link.down.forwarded;
            }
            if (step == Step::ok && readable(i + 2)) step = pump_read(link.down, link.server, after);
            link.stats->most_held = std::max<std::uint64_t>({link.stats->most_held, link.up.queued, link.down.queued});
            if (step == Step::ok) step = pump_write(link.up, link.server, link.stats->client_to_server, after);
            if (step == Step::ok) step = pump_write(link.down, link.client, link.stats->server_to_client, after);
            if (step != Step::ok) {
                close_link(link, step == Step::cut);
                continue;
            }
            link.stats->stalled = stalled(link.up) || stalled(link.down);
            if (link.up.dest_shut && link.down.dest_shut) close_link(link, false);
        }
        std::erase_if(links, [](const auto& link) { return link->dead; });
    }
    for (auto& link : links) close_link(*link, false);
}

}  // namespace mailsync::test

#include "tests/hostile/fake_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

namespace mailsync::test {
namespace {

std::string with_tag(const std::string& text, const std::string& tag) {
    std::string result;
    std::size_t from = 0, at;
    while ((at = text.find("$TAG", from)) != std::string::npos) {
        result.append(text, from, at - from).append(tag);
        from = at + 4;
    }
    return result.append(text, from);
}

bool send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;  // the client went away, or stopped reading (SO_SNDTIMEO)
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// "{123}" or "{123+}" at the end of a command line: the size of the literal that follows.
std::optional<std::size_t> trailing_literal(const std::string& line, bool& synchronizing) {
    if (line.empty() || line.back() != '}') return std::nullopt;
    const auto open = line.rfind('{');
    if (open == std::string::npos) return std::nullopt;
    std::string digits = line.substr(open + 1, line.size() - open - 2);
    synchronizing = true;
    if (!digits.empty() && digits.back() == '+') {
        digits.pop_back();
        synchronizing = false;
    }
    if (digits.empty() || digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return std::nullopt;
    return static_cast<std::size_t>(std::stoul(digits));
}

}  // namespace

FakeServer::FakeServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 8) != 0 || ::pipe2(wake_, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("fake server: cannot listen: ") + std::strerror(errno));
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    fallback_.bytes = "$TAG BAD fake server: no rule for this command\r\n";
    thread_ = std::thread([this] { run(); });
}

FakeServer::~FakeServer() { stop(); }

void FakeServer::stop() {
    if (stopping_.exchange(true)) return;
    [[maybe_unused]] const ssize_t n = ::write(wake_[1], "x", 1);
    {
        std::lock_guard lock(mutex_);
        if (client_ >= 0) ::shutdown(client_, SHUT_RDWR);  // unblocks a send() in progress
    }
    thread_.join();
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
}

void FakeServer::greeting(Reply reply) {
    std::lock_guard lock(mutex_);
    greeting_ = std::move(reply);
}

void FakeServer::on(const std::string& pattern, Reply reply) {
    on(pattern, [reply](const std::string&, const std::string&) { return reply; });
}

void FakeServer::on(const std::string& pattern, std::function<Reply(const std::string&, const std::string&)> reply) {
    std::lock_guard lock(mutex_);
    rules_.insert(rules_.begin(), Rule{std::regex(pattern, std::regex::ECMAScript | std::regex::icase), std::move(reply)});
}

void FakeServer::fallback(Reply reply) {
    std::lock_guard lock(mutex_);
    fallback_ = std::move(reply);
}

void FakeServer::standard() {
    const std::string caps = kCapabilities;
    greeting({"* OK [CAPABILITY " + caps + "] fake server ready\r\n"});
    on("^CAPABILITY$", Reply{"* CAPABILITY " + caps + "\r\n$TAG OK done\r\n"});
    on("^(LOGIN|AUTHENTICATE) ", Reply{"$TAG OK [CAPABILITY " + caps + "] logged in\r\n"});
    on("^ENABLE ", Reply{"* ENABLED QRESYNC\r\n$TAG OK enabled\r\n"});
    on("^(SELECT|EXAMINE) ", Reply{"* 3 EXISTS\r\n* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                                   "* OK [PERMANENTFLAGS (\\Seen \\*)] ok\r\n* OK [UIDVALIDITY 7] ok\r\n"
                                   "* OK [UIDNEXT 4] ok\r\n* OK [HIGHESTMODSEQ 100] ok\r\n"
                                   "$TAG OK [READ-WRITE] selected\r\n"});
    on("^NOOP$", Reply{"$TAG OK done\r\n"});
    on("^IDLE$", Reply{"+ idling\r\n"});
    on("^DONE$", Reply{"$TAG OK idle done\r\n"});
    on("^LOGOUT$", Reply{"* BYE logging out\r\n$TAG OK done\r\n", Reply::Then::close});
}

bool FakeServer::send(const std::string& bytes) {
    int client;
    {
        std::lock_guard lock(mutex_);
        client = client_;
    }
    if (client < 0) return false;
    std::lock_guard write_lock(write_mutex_);
    return send_all(client, bytes);
}

std::vector<std::string> FakeServer::commands() const {
    std::lock_guard lock(mutex_);
    return commands_;
}

bool FakeServer::write(int client, const Reply& reply, const std::string& tag) {
    std::lock_guard write_lock(write_mutex_);
    if (!send_all(client, with_tag(reply.bytes, tag))) return false;
    const std::string chunk(64 * 1024, reply.filler_char);
    for (std::uint64_t left = reply.filler_bytes; left > 0 && !stopping_;) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
        if (!send_all(client, std::string_view(chunk).substr(0, n))) return false;
        left -= n;
    }
    return send_all(client, with_tag(reply.suffix, tag));
}

void FakeServer::run() {
    while (!stopping_) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) continue;
        if (fds[1].revents || stopping_) return;
        const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        // A client that stops reading must not block this thread forever.
        const timeval send_timeout{3, 0};
        ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
        if (read_rate_ > 0) {
            const int small = 64 * 1024;
            ::setsockopt(client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        }
        {
            std::lock_guard lock(mutex_);
            client_ = client;
        }
        ++connections_;
        serve(client);
        // Half-close and let the client read to the end: closing with its unread commands in our
        // buffer would send a reset, and the client could lose the last bytes we sent.
        ::shutdown(client, SHUT_WR);
        for (int waited = 0; waited < 40 && !stopping_; ++waited) {
            pollfd waiting[2] = {{client, POLLIN, 0}, {wake_[0], POLLIN, 0}};
            if (::poll(waiting, 2, 50) < 0 || waiting[1].revents) break;
            char sink[4096];
            if (waiting[0].revents && ::recv(client, sink, sizeof sink, 0) <= 0) break;
        }
        {
            std::lock_guard lock(mutex_);
            client_ = -1;
        }
        ::close(client);
    }
}

void FakeServer::serve(int client) {
    Reply greeting;
    {
        std::lock_guard lock(mutex_);
        greeting = greeting_;
    }
    bool answering = true;
    if (!greeting.bytes.empty() || greeting.filler_bytes > 0) {
        if (!write(client, greeting, "*") || greeting.then == Reply::Then::close) return;
        answering = greeting.then == Reply::Then::stay;
    }
    std::string input, command, last_tag = "*";
    std::size_t literal_left = 0;
    char buffer[16384];
    while (!stopping_) {
        pollfd fds[2] = {{client, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) continue;
        if (fds[1].revents) return;
        const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
        if (n <= 0) return;
        if (const std::uint64_t rate = read_rate_; rate > 0)
            std::this_thread::sleep_for(std::chrono::microseconds(static_cast<std::uint64_t>(n) * 1'000'000 / rate));
        input.append(buffer, static_cast<std::size_t>(n));
        while (true) {
            if (literal_left > 0) {
                const std::size_t take = std::min(literal_left, input.size());
                command.append(input, 0, take);
                input.erase(0, take);
                literal_left -= take;
                if (literal_left > 0) break;
            }
            const auto end = input.find("\r\n");
            if (end == std::string::npos) break;
            command.append(input, 0, end);
            input.erase(0, end + 2);
            bool synchronizing = false;
            if (auto size = trailing_literal(command, synchronizing)) {
                command += "\r\n";
                literal_left = *size;
                if (synchronizing && answering && !send_all(client, "+ go ahead\r\n")) return;
                if (literal_left > 0) continue;
            }
            const std::string line = std::exchange(command, std::string{});
            std::string tag = last_tag, rest = line;
            if (line != "DONE") {
                const auto space = line.find(' ');
                tag = line.substr(0, space);
                rest = space == std::string::npos ? std::string{} : line.substr(space + 1);
                last_tag = tag;
            }
            std::function<Reply(const std::string&, const std::string&)> rule;
            {
                std::lock_guard lock(mutex_);
                commands_.push_back(line);
                for (const auto& candidate : rules_) {
                    if (std::regex_search(rest, candidate.pattern)) {
                        rule = candidate.reply;
                        break;
                    }
                }
                if (!rule) rule = [reply = fallback_](const std::string&, const std::string&) { return reply; };
            }
            if (!answering) continue;
            const Reply reply = rule(tag, rest);
            if (!write(client, reply, tag) || reply.then == Reply::Then::close) return;
            if (reply.then == Reply::Then::hang) answering = false;
        }
    }
}

}  // namespace mailsync::test

#include "sync/watch/network_events.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace mailsync::sync {

bool announces_network(std::span<const std::byte> messages) {
    bool announced = false;
    std::size_t at = 0;
    while (messages.size() - at >= sizeof(nlmsghdr)) {
        nlmsghdr header;
        std::memcpy(&header, messages.data() + at, sizeof header);
        if (header.nlmsg_len < sizeof header || header.nlmsg_len > messages.size() - at) break;
        if (header.nlmsg_type == RTM_NEWADDR || header.nlmsg_type == RTM_NEWROUTE) announced = true;
        if (header.nlmsg_type == NLMSG_DONE) break;
        const std::size_t step = NLMSG_ALIGN(header.nlmsg_len);
        if (step > messages.size() - at) break;
        at += step;
    }
    return announced;
}

NetworkEvents::NetworkEvents() {
    const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return;
    sockaddr_nl address{};
    address.nl_family = AF_NETLINK;
    address.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return;
    }
    fd_ = fd;
}

NetworkEvents::~NetworkEvents() {
    if (fd_ >= 0) ::close(fd_);
}

bool NetworkEvents::drain() {
    if (fd_ < 0) return false;
    bool announced = false;
    alignas(nlmsghdr) std::array<std::byte, 8192> buffer;
    while (true) {
        const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
        // ENOBUFS (the kernel dropped messages: a burst of changes) is news too.
        if (n < 0 && errno == ENOBUFS) {
            announced = true;
            continue;
        }
        if (n <= 0) break;
        announced = announces_network(std::span(buffer.data(), static_cast<std::size_t>(n))) || announced;
    }
    return announced;
}

}  // namespace mailsync::sync

// A loopback TCP port nothing listens on, for tests of an unreachable server: bound with the
// kernel's choice of port, then closed (a connection to it is refused).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace mailsync::test {

// Binds `fd` (a TCP socket) to loopback with the kernel's choice of port; returns the port.
inline int bind_loopback(int fd) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    return ntohs(address.sin_port);
}

inline int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    const int port = bind_loopback(fd);
    ::close(fd);
    return port;
}

}  // namespace mailsync::test

// A loopback TCP port that accepts connections (the kernel completes them into the backlog) and
// never says a word: a server that hangs before its greeting, for tests of slow or stuck servers.
// Closed, with the connections waiting, when the object goes.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/support/closed_port.hpp"

namespace mailsync::test {

class SilentServer {
public:
    SilentServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        port_ = bind_loopback(fd_);
        REQUIRE(::listen(fd_, 64) == 0);
    }
    ~SilentServer() { ::close(fd_); }
    SilentServer(const SilentServer&) = delete;
    SilentServer& operator=(const SilentServer&) = delete;
    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
};

}  // namespace mailsync::test

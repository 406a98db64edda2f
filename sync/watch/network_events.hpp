// The network coming back, as the kernel announces it: a NETLINK_ROUTE socket subscribed to address
// and route changes (IPv4 and IPv6). Watch, waiting to reconnect, retries at once when an address
// or a route is added (Wi-Fi joined, a cable plugged in, a VPN up, DHCP's default route) rather than
// at the end of its backoff; connected, it checks the connection with a NOOP (an address change can
// leave it dead). Removals are ignored: they never make a retry succeed.
//
// Unprivileged: any process may join these multicast groups. Where netlink is unavailable (a
// sandbox), fd() is -1 and watch relies on its backoff alone.
#pragma once

#include <cstddef>
#include <span>

namespace mailsync::sync {

// Whether these netlink messages (as read from the socket, one or more nlmsghdr in a row) announce
// an added address (RTM_NEWADDR) or route (RTM_NEWROUTE). Truncated or malformed messages end the
// walk; what came before them counts.
bool announces_network(std::span<const std::byte> messages);

class NetworkEvents {
public:
    NetworkEvents();
    ~NetworkEvents();
    NetworkEvents(const NetworkEvents&) = delete;
    NetworkEvents& operator=(const NetworkEvents&) = delete;

    int fd() const { return fd_; }
    // Reads what is pending without blocking: whether any of it announces the network.
    bool drain();

private:
    int fd_ = -1;
};

}  // namespace mailsync::sync

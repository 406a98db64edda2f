// The local control channel of a running `watch`: `mailsync sync` on an account that watch holds
// (the account lock makes a second process exit 75) asks watch to sync now and waits for its result.
//
//   DIR/watch.sock       a unix stream socket in the account's store directory (0700), itself 0600,
//                        made by watch when it starts (a stale one left by a killed watch is
//                        replaced: watch holds the account lock, so no other watch is listening)
//                        and removed when it ends
//   client → watch       "sync\n"
//   watch → client       the reply text, then watch closes the connection. Watch answers once its
//                        next replay and pull have finished (at once when connected; after the
//                        reconnect attempt the request triggers when the server was away, the
//                        failure included). The text is made by the caller of watch() (the CLI
//                        sends an exit code and the lines to print; cli/watch_requests.hpp).
//
// Only the owner of the store reaches the socket (directory 0700, socket 0600); watch also checks
// the peer's uid (SO_PEERCRED). A client connecting to no listener (no file, or ECONNREFUSED: a
// watch killed with -9 left its socket behind) learns that nobody answers, and reports the account
// busy as before. A store path longer than a socket address allows (about 100 bytes) has no
// control channel: watch says so once and runs without it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailsync::sync {

inline constexpr std::string_view watch_socket_file_name = "watch.sock";

class ControlSocket {
public:
    // Listens at DIR/watch.sock; Error(io) when it cannot (the path too long for a socket address).
    explicit ControlSocket(const std::filesystem::path& store_directory);
    ~ControlSocket();
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;

    int fd() const { return listener_; }
    // Accepts the pending connections and reads their requests (a client that sends none within a
    // second, or another user's, is dropped). Whether a sync request is now waiting.
    bool accept_requests();
    bool has_waiting() const { return !waiting_.empty(); }
    std::size_t waiting() const { return waiting_.size(); }
    // Sends `reply` to every client waiting and closes their connections.
    void answer_waiting(std::string_view reply);

private:
    std::filesystem::path path_;
    int listener_ = -1;
    std::vector<int> waiting_;
};

// Asks the watch holding this store to sync now, and waits for its reply. nullopt: no watch listens
// there. Error(unavailable) when the watch went away before answering.
std::optional<std::string> ask_watch_to_sync(const std::filesystem::path& store_directory);

}  // namespace mailsync::sync

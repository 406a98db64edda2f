// fault-proxy: the test suite's fault proxy (tests/fault/proxy.hpp) as a program, for scripts and
// the benchmark. Runs until SIGTERM or SIGINT, then prints the byte counts per connection.
//
//   fault-proxy --listen 127.0.0.1:0 --target 127.0.0.1:PORT [--delay-ms 25] [--rate 2500000]
//               [--cut-after-client N] [--cut-after-server N] [--stall-after-server N]
//               [--stall-after-client N] [--port-file F]
//
// The chosen port is printed on stdout (one line) and, with --port-file, written to F (atomically:
// a script can wait for the file to appear). --delay-ms and --rate apply to each direction.
#include <signal.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "tests/fault/proxy.hpp"

namespace {

constexpr int kUsage = 64;

void usage(std::FILE* out) {
    std::fputs("usage: fault-proxy --target HOST:PORT [--listen 127.0.0.1:0] [--delay-ms MS] [--rate BYTES_PER_S]\n"
               "                   [--cut-after-client N] [--cut-after-server N]\n"
               "                   [--stall-after-client N] [--stall-after-server N] [--port-file FILE]\n"
               "Forwards loopback connections to the target with the given faults, in each direction\n"
               "(client: bytes from the client to the target; server: bytes from the target to the client).\n"
               "Prints its port, runs until SIGTERM, then prints the bytes forwarded per connection.\n",
               out);
}

std::optional<std::uint64_t> number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

bool split_address(std::string_view text, std::string& host, std::uint16_t& port) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    const auto value = number(text.substr(colon + 1));
    if (!value || *value > 65535) return false;
    host = std::string(text.substr(0, colon));
    port = static_cast<std::uint16_t>(*value);
    return !host.empty();
}

}  // namespace

int main(int argc, char** argv) {
    std::string listen_host = "127.0.0.1", target_host, port_file;
    std::uint16_t listen_port = 0, target_port = 0;
    mailsync::test::ConnectionFaults faults;
    bool have_target = false;

    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "fault-proxy: %s needs a value\n", argv[i]);
            usage(stderr);
            return kUsage;
        }
        const std::string_view value = argv[++i];
        const auto n = number(value);
        const auto need_number = [&] {
            if (!n) std::fprintf(stderr, "fault-proxy: %s: not a number: %s\n", argv[i - 1], argv[i]);
            return n.has_value();
        };
        if (arg == "--listen") {
            if (!split_address(value, listen_host, listen_port)) {
                std::fprintf(stderr, "fault-proxy: --listen wants HOST:PORT, not %s\n", argv[i]);
                return kUsage;
            }
        } else if (arg == "--target") {
            if (!split_address(value, target_host, target_port)) {
                std::fprintf(stderr, "fault-proxy: --target wants HOST:PORT, not %s\n", argv[i]);
                return kUsage;
            }
            have_target = true;
        } else if (arg == "--port-file") {
            port_file = std::string(value);
        } else if (!need_number()) {
            return kUsage;
        } else if (arg == "--delay-ms") {
            faults.client_to_server.delay = faults.server_to_client.delay = std::chrono::milliseconds(*n);
        } else if (arg == "--rate") {
            faults.client_to_server.rate = faults.server_to_client.rate = *n;
        } else if (arg == "--cut-after-client") {
            faults.client_to_server.cut_after = *n;
        } else if (arg == "--cut-after-server") {
            faults.server_to_client.cut_after = *n;
        } else if (arg == "--stall-after-client") {
            faults.client_to_server.stall_after = *n;
        } else if (arg == "--stall-after-server") {
            faults.server_to_client.stall_after = *n;
        } else {
            std::fprintf(stderr, "fault-proxy: unknown option %s\n", argv[i - 1]);
            usage(stderr);
            return kUsage;
        }
    }
    if (!have_target) {
        usage(stderr);
        return kUsage;
    }

    // Block the signals before the proxy's thread starts, so that only sigwait() sees them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    try {
        mailsync::test::FaultProxy proxy(target_host, target_port, listen_host, listen_port);
        proxy.set_faults(faults);
        std::printf("%u\n", static_cast<unsigned>(proxy.port()));
        std::fflush(stdout);
        if (!port_file.empty()) {
            const std::string temporary = port_file + ".tmp";
            {
                std::ofstream out(temporary);
                out << proxy.port() << "\n";
                if (!out.flush()) {
                    std::fprintf(stderr, "fault-proxy: cannot write %s\n", temporary.c_str());
                    return 73;
                }
            }
            std::filesystem::rename(temporary, port_file);
        }
        int received = 0;
        sigwait(&signals, &received);
        proxy.stop();
        const auto connections = proxy.connections();
        std::uint64_t up = 0, down = 0;
        for (std::size_t i = 0; i < connections.size(); ++i) {
            const auto& c = connections[i];
            up += c.client_to_server;
            down += c.server_to_client;
            std::fprintf(stderr, "fault-proxy: connection %zu: %llu bytes to target, %llu bytes to client%s%s%s\n", i + 1,
                         static_cast<unsigned long long>(c.client_to_server),
                         static_cast<unsigned long long>(c.server_to_client), c.cut ? ", cut" : "",
                         c.stalled ? ", stalled" : "", c.target_unreachable ? ", target unreachable" : "");
        }
        std::fprintf(stderr, "fault-proxy: %zu connections, %llu bytes to target, %llu bytes to client\n",
                     connections.size(), static_cast<unsigned long long>(up), static_cast<unsigned long long>(down));
    } catch (const std::exception& error) {
        std::fprintf(stderr, "%s\n", error.what());
        return 71;
    }
    return 0;
}

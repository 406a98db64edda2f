#include "cli/credentials.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/core.h>

#include "common/error.hpp"

extern char** environ;

namespace mailsync::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t max_stderr_bytes = 4096;

[[noreturn]] void config_error(std::string message) { throw Error(ErrorCategory::config, std::move(message)); }

class FileDescriptor {
public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() { reset(); }

    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

struct Pipe {
    FileDescriptor read_end;
    FileDescriptor write_end;
};

Pipe make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw Error(ErrorCategory::io, fmt::format("cannot create a pipe: {}", std::strerror(errno)));
    }
    return Pipe{FileDescriptor(fds[0]), FileDescriptor(fds[1])};
}

std::string first_line(std::string_view text) {
    std::string_view line = text.substr(0, text.find('\n'));
    if (line.ends_with('\r')) line.remove_suffix(1);
    return std::string(line);
}

// Reaps the child, killing it first when `kill_first`. Returns the wait status.
int reap(pid_t pid, bool kill_first) {
    if (kill_first) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

class SpawnSettings {
public:
    SpawnSettings() {
        ::posix_spawn_file_actions_init(&actions_);
        ::posix_spawnattr_init(&attributes_);
    }
    SpawnSettings(const SpawnSettings&) = delete;
    SpawnSettings& operator=(const SpawnSettings&) = delete;
    ~SpawnSettings() {
        ::posix_spawn_file_actions_destroy(&actions_);
        ::posix_spawnattr_destroy(&attributes_);
    }
    posix_spawn_file_actions_t* actions() { return &actions_; }
    posix_spawnattr_t* attributes() { return &attributes_; }

private:
    posix_spawn_file_actions_t actions_{};
    posix_spawnattr_t attributes_{};
};

}  // namespace

std::string run_secret_command(const SecretCommand& command, std::string_view what, std::chrono::milliseconds timeout) {
    if (command.argv.empty()) config_error(fmt::format("{}: the command is empty", what));
    Pipe out = make_pipe();
    Pipe err = make_pipe();

    SpawnSettings settings;
    ::posix_spawn_file_actions_adddup2(settings.actions(), out.write_end.get(), STDOUT_FILENO);
    ::posix_spawn_file_actions_adddup2(settings.actions(), err.write_end.get(), STDERR_FILENO);
    // The child gets default signal handling and an empty mask, whatever mailsync set for itself
    // (e.g. SIGPIPE ignored for sockets).
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigset_t empty_mask;
    sigemptyset(&empty_mask);
    ::posix_spawnattr_setsigdefault(settings.attributes(), &defaults);
    ::posix_spawnattr_setsigmask(settings.attributes(), &empty_mask);
    ::posix_spawnattr_setflags(settings.attributes(), POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    std::vector<char*> argv;
    for (const std::string& word : command.argv) argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);

    pid_t pid = 0;
    const int spawn_error = ::posix_spawnp(&pid, argv.front(), settings.actions(), settings.attributes(), argv.data(), environ);
    out.write_end.reset();
    err.write_end.reset();
    if (spawn_error == ENOENT) {
        config_error(fmt::format("{}: command not found: {}", what, command.argv.front()));
    }
    if (spawn_error != 0) {
        config_error(fmt::format("{}: cannot run {}: {}", what, command.argv.front(), std::strerror(spawn_error)));
    }

    const Clock::time_point deadline = Clock::now() + timeout;
    std::string output;
    std::string diagnostics;
    bool output_open = true;
    bool diagnostics_open = true;
    std::string failure;  // set when we gave up on the child
    char buffer[4096];
    while (output_open || diagnostics_open) {
        const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (remaining.count() <= 0) {
            failure = fmt::format("did not finish within {} seconds", timeout.count() / 1000);
            break;
        }
        pollfd fds[2] = {{output_open ? out.read_end.get() : -1, POLLIN, 0},
                         {diagnostics_open ? err.read_end.get() : -1, POLLIN, 0}};
        const int ready = ::poll(fds, 2, static_cast<int>(std::min<std::int64_t>(remaining.count(), 1000)));
        if (ready < 0) {
            if (errno == EINTR) continue;
            failure = fmt::format("waiting for it failed: {}", std::strerror(errno));
            break;
        }
        for (int stream = 0; stream < 2; ++stream) {
            if (fds[stream].fd < 0 || fds[stream].revents == 0) continue;
            const ssize_t count = ::read(fds[stream].fd, buffer, sizeof buffer);
            if (count < 0 && errno == EINTR) continue;
            if (count <= 0) {
                (stream == 0 ? output_open : diagnostics_open) = false;
                continue;
            }
            const auto size = static_cast<std::size_t>(count);
            if (stream == 0) {
                output.append(buffer, size);
            } else if (diagnostics.size() < max_stderr_bytes) {
                diagnostics.append(buffer, std::min(size, max_stderr_bytes - diagnostics.size()));
            }
        }
        if (output.size() > max_secret_bytes) {
            failure = fmt::format("printed more than {} KiB", max_secret_bytes / 1024);
            break;
        }
    }

    int status = 0;
    if (failure.empty()) {
        // Both pipes are closed; the child should be exiting. Give it until the deadline.
        for (;;) {
            const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
            if (reaped == pid) break;
            if (reaped < 0 && errno != EINTR) break;
            if (Clock::now() >= deadline) {
                failure = fmt::format("did not finish within {} seconds", timeout.count() / 1000);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    if (!failure.empty()) {
        reap(pid, true);
        config_error(fmt::format("{} \"{}\" {}", what, command.as_written, failure));
    }
    if (WIFSIGNALED(status)) {
        config_error(fmt::format("{} \"{}\" was killed by signal {}", what, command.as_written, WTERMSIG(status)));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        // Only the first line, cut: a command's stderr may go on to echo what it read, secrets included.
        constexpr std::size_t quoted_bytes = 200;
        std::string reason = first_line(diagnostics);
        if (reason.size() > quoted_bytes) reason = reason.substr(0, quoted_bytes) + "...";
        config_error(fmt::format("{} \"{}\" failed with exit status {}{}", what, command.as_written,
                                 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                                 reason.empty() ? std::string(" (and printed nothing on stderr)")
                                                : fmt::format("; the first line of its stderr: \"{}\"", reason)));
    }
    std::string secret = first_line(output);
    if (secret.empty()) config_error(fmt::format("{} \"{}\" printed nothing on its first line", what, command.as_written));
    return secret;
}

std::string read_secret_file(const std::filesystem::path& path, std::string_view what) {
    // O_NONBLOCK: opening a FIFO for reading would wait for a writer for ever; it is refused below
    // as not a regular file. On a regular file the flag changes nothing.
    const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (file.get() < 0) config_error(fmt::format("{}: cannot open {}: {}", what, path.string(), std::strerror(errno)));
    struct stat status {};
    if (::fstat(file.get(), &status) != 0) {
        config_error(fmt::format("{}: cannot read {}: {}", what, path.string(), std::strerror(errno)));
    }
    if (!S_ISREG(status.st_mode)) config_error(fmt::format("{}: {} is not a regular file", what, path.string()));
    if ((status.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        config_error(fmt::format("{}: {} is accessible by other users (mode {:04o}); run: chmod 600 {}", what,
                                 path.string(), status.st_mode & 07777, path.string()));
    }
    std::string content;
    char buffer[4096];
    for (;;) {
        const ssize_t count = ::read(file.get(), buffer, sizeof buffer);
        if (count < 0) {
            if (errno == EINTR) continue;
            config_error(fmt::format("{}: cannot read {}: {}", what, path.string(), std::strerror(errno)));
        }
        if (count == 0) break;
        content.append(buffer, static_cast<std::size_t>(count));
        if (content.size() > max_secret_bytes) {
            config_error(fmt::format("{}: {} is larger than {} KiB", what, path.string(), max_secret_bytes / 1024));
        }
        if (content.find('\n') != std::string::npos) break;  // only the first line matters
    }
    std::string secret = first_line(content);
    if (secret.empty()) config_error(fmt::format("{}: the first line of {} is empty", what, path.string()));
    return secret;
}

std::string resolve_password(const Account& account) {
    const std::string key = "accounts." + account.name;
    struct Resolver {
        const Account& account;
        const std::string& key;
        std::string operator()(std::monostate) const {
            config_error(fmt::format("{}: no password is configured (auth: {} takes its token from the oauth2 block)",
                                     key, to_string(account.auth)));
        }
        std::string operator()(const InlinePassword& password) const { return password.value; }
        std::string operator()(const SecretCommand& command) const {
            return run_secret_command(command, key + ".password_command");
        }
        std::string operator()(const PasswordFile& file) const {
            return read_secret_file(file.path, key + ".password_file");
        }
    };
    return std::visit(Resolver{account, key}, account.password);
}

}  // namespace mailsync::cli

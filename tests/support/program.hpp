#pragma once
// The built mailsync program, run by a test in a child process with its output in a file.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

namespace mailsync::test {

inline const std::string mailsync_binary = MAILSYNC_BINARY_DIR "/cli/mailsync";

// Killed and reaped by the destructor unless it ended.
class Program {
public:
    // stdout and stderr appended to `output`, or stderr to `errors` when it is given.
    Program(const std::vector<std::string>& arguments, const std::filesystem::path& output,
            const std::filesystem::path& errors = {}) {
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            ::dup2(fd, 1);
            ::dup2(errors.empty() ? fd : ::open(errors.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
            std::vector<char*> argv;
            std::vector<std::string> copy = arguments;
            for (auto& argument : copy) argv.push_back(argument.data());
            argv.push_back(nullptr);
            ::execv(mailsync_binary.c_str(), argv.data());
            ::_exit(127);
        }
    }
    Program(const Program&) = delete;
    Program& operator=(const Program&) = delete;
    ~Program() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    void signal(int number) {
        if (pid_ > 0) ::kill(pid_, number);
    }

    // The exit status (128+signal when killed); -1 when still running after `limit`.
    int wait(std::chrono::milliseconds limit) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (!reap()) {
            if (std::chrono::steady_clock::now() >= until) return -1;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return *status_;
    }
    bool running() { return !reap(); }

private:
    // Whether it has ended (its status kept); never blocks.
    bool reap() {
        if (status_) return true;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
        pid_ = -1;
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return true;
    }

    pid_t pid_ = -1;
    std::optional<int> status_;
};

}  // namespace mailsync::test

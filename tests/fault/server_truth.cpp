#include "tests/fault/server_truth.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace mailsync::test::campaign {

namespace {

// One `server_truth.py --serve` for the whole process (starting Python per read costs more than the
// read): a request line out, lines back up to "end" or "error\t...".
class TruthReader {
public:
    static TruthReader& get() {
        static TruthReader reader;
        return reader;
    }
    std::vector<std::string> read(std::uint16_t port, const std::string& user, const std::string& password) {
        std::lock_guard lock(mutex_);
        const std::string request = std::to_string(port) + "\t" + user + "\t" + password + "\n";
        if (std::fwrite(request.data(), 1, request.size(), to_) != request.size() || std::fflush(to_) != 0)
            throw std::runtime_error("server_truth.py is gone");
        std::vector<std::string> lines;
        char buffer[4096];
        std::string line;
        while (std::fgets(buffer, sizeof buffer, from_)) {
            line += buffer;
            if (line.back() != '\n') continue;  // a line longer than the buffer
            line.pop_back();
            if (line == "end") return lines;
            if (line.starts_with("error\t")) throw std::runtime_error("server_truth.py: " + line.substr(6));
            lines.push_back(std::move(line));
            line.clear();
        }
        throw std::runtime_error("server_truth.py ended without an answer");
    }

private:
    TruthReader() {
        int requests[2], answers[2];
        if (::pipe2(requests, O_CLOEXEC) != 0 || ::pipe2(answers, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe failed");
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::dup2(requests[0], 0);
            ::dup2(answers[1], 1);
            const char* script = MAILSYNC_SOURCE_DIR "/tests/fault/server_truth.py";
            ::execl(script, script, "--serve", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(requests[0]);
        ::close(answers[1]);
        to_ = ::fdopen(requests[1], "w");
        from_ = ::fdopen(answers[0], "r");
    }
    ~TruthReader() {
        std::fclose(to_);  // end of input: the reader exits
        std::fclose(from_);
        ::waitpid(pid_, nullptr, 0);
    }
    std::mutex mutex_;
    pid_t pid_ = -1;
    FILE* to_ = nullptr;
    FILE* from_ = nullptr;
};

}  // namespace

std::map<std::string, std::map<std::uint32_t, std::string>> read_server_truth(std::uint16_t port, const std::string& user,
                                                                            const std::string& password) {
    std::map<std::string, std::map<std::uint32_t, std::string>> result;
    for (const auto& line : TruthReader::get().read(port, user, password)) {
        std::vector<std::string> fields;
        for (std::size_t start = 0;;) {
            const auto tab = line.find('\t', start);
            fields.push_back(line.substr(start, tab - start));
            if (tab == std::string::npos) break;
            start = tab + 1;
        }
        if (fields.size() == 2 && fields[0] == "mailbox")
            result[fields[1]];
        else if (fields.size() == 5 && fields[0] == "message")
            result[fields[1]][static_cast<std::uint32_t>(std::stoul(fields[2]))] = fields[3] + "|" + fields[4];
        else
            throw std::runtime_error("server_truth.py: unexpected line " + line);
    }
    return result;
}

}  // namespace mailsync::test::campaign

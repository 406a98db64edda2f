#include "tests/support/dovecot.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace mailsync::test {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("dovecot fixture: " + what); }

std::string env_dir() {
    const char* d = std::getenv("MAILSYNC_TEST_DOVECOT");
    if (d == nullptr || *d == '\0')
        fail("MAILSYNC_TEST_DOVECOT is not set (run this test through ctest, which starts the "
             "`dovecot` fixture, or start one with tests/integration/dovecot-fixture.sh start DIR)");
    return d;
}

// KEY=VALUE or KEY='VALUE' (with '\'' for a quote inside), as dovecot-fixture.sh writes them.
std::map<std::string, std::string> read_env_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) fail("cannot read " + path + " (is the fixture started?)");
    std::map<std::string, std::string> kv;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string key = line.substr(0, eq), raw = line.substr(eq + 1), value;
        for (std::size_t i = 0; i < raw.size();) {
            if (raw[i] == '\'') {
                auto end = raw.find('\'', i + 1);
                if (end == std::string::npos) fail("unterminated quote in " + path + ": " + line);
                value += raw.substr(i + 1, end - i - 1);
                i = end + 1;
            } else if (raw[i] == '\\' && i + 1 < raw.size()) {
                value += raw[i + 1];
                i += 2;
            } else {
                value += raw[i++];
            }
        }
        kv[key] = value;
    }
    return kv;
}

template <typename T>
T to_number(const std::string& s, const std::string& what) {
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) fail("bad number for " + what + ": '" + s + "'");
    return v;
}

std::string quote_cmd(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) {
        if (!out.empty()) out += ' ';
        if (!a.empty() && a.find_first_of(" \t'\"\\$`*?[]{}()<>|&;") == std::string::npos) {
            out += a;
        } else {
            out += '\'';
            for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
            out += '\'';
        }
    }
    return out;
}

struct RunResult {
    int status = -1;
    std::string out, err;
};

// fork/exec argv without a shell; stdin from `input`, stdout and stderr collected.
RunResult run(const std::vector<std::string>& argv, const std::string& input) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
        fail(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        close(err[0]);
        fail("cannot run " + quote_cmd(argv) + ": " + std::strerror(rc));
    }
    // SIGPIPE would kill the test if doveadm exits before reading all of stdin.
    struct sigaction ign {}, old {};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old);

    RunResult r;
    std::size_t written = 0;
    int in_fd = in[1];
    if (input.empty()) {
        close(in_fd);
        in_fd = -1;
    }
    int fds[2] = {out[0], err[0]};
    std::string* sinks[2] = {&r.out, &r.err};
    while (fds[0] >= 0 || fds[1] >= 0 || in_fd >= 0) {
        pollfd p[3];
        nfds_t n = 0;
        for (int fd : fds) p[n++] = pollfd{fd, POLLIN, 0};
        p[n++] = pollfd{in_fd, POLLOUT, 0};
        if (poll(p, n, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i] < 0 || p[i].revents == 0) continue;
            char buf[65536];
            ssize_t k = read(fds[i], buf, sizeof buf);
            if (k > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(k));
            } else if (k == 0 || errno != EINTR) {
                close(fds[i]);
                fds[i] = -1;
            }
        }
        if (in_fd >= 0 && p[2].revents != 0) {
            ssize_t k = write(in_fd, input.data() + written, input.size() - written);
            if (k > 0) written += static_cast<std::size_t>(k);
            if ((k < 0 && errno != EINTR) || written == input.size()) {
                close(in_fd);
                in_fd = -1;
            }
        }
    }
    sigaction(SIGPIPE, &old, nullptr);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

std::vector<std::string> doveadm_argv(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"doveadm", "-c", DovecotFixture::get().conf};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

[[noreturn]] void fail_run(const std::vector<std::string>& argv, const RunResult& r) {
    fail("`" + quote_cmd(argv) + "` exited " + std::to_string(r.status) + ": " + r.err);
}

// doveadm's exit status when a mailbox (or user) does not exist.
constexpr int doveadm_not_found = 68;

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
}

}  // namespace

bool DovecotFixture::available() {
    const char* d = std::getenv("MAILSYNC_TEST_DOVECOT");
    return d != nullptr && *d != '\0' && access((std::string(d) + "/env").c_str(), R_OK) == 0;
}

const DovecotFixture& DovecotFixture::get() {
    static std::once_flag once;
    static DovecotFixture f;
    std::call_once(once, [] {
        DovecotFixture x;
        x.dir = env_dir();
        auto kv = read_env_file(x.dir + "/env");
        auto need = [&](const std::string& k) -> const std::string& {
            auto it = kv.find(k);
            if (it == kv.end()) fail("key " + k + " missing in " + x.dir + "/env");
            return it->second;
        };
        x.host = need("HOST");
        x.imap_port = to_number<std::uint16_t>(need("IMAP_PORT"), "IMAP_PORT");
        x.imaps_port = to_number<std::uint16_t>(need("IMAPS_PORT"), "IMAPS_PORT");
        x.ca_cert = need("CA_CERT");
        x.cert_sha256 = need("CERT_SHA256");
        for (int i = 1; kv.count("USER" + std::to_string(i)) != 0; ++i)
            x.users.push_back({kv["USER" + std::to_string(i)], need("PASS" + std::to_string(i))});
        x.conf = need("DOVECOT_CONF");
        x.doveadm = need("DOVEADM");
        x.mail_root = need("MAIL_ROOT");
        x.log = need("LOG");
        x.pid = to_number<int>(need("PID"), "PID");
        x.compress = kv.count("COMPRESS") != 0 && kv["COMPRESS"] == "yes";
        if (kill(x.pid, 0) != 0 && errno == ESRCH)
            fail("the Dovecot of " + x.dir + " (pid " + std::to_string(x.pid) + ") is not running");
        f = std::move(x);
    });
    return f;
}

const DovecotFixture::User& DovecotFixture::user(const std::string& name) const {
    for (const auto& u : users)
        if (u.name == name) return u;
    fail("no test user " + name);
}

DovecotFixture::User unique_user(const std::string& hint) {
    static std::atomic<unsigned> counter{0};
    std::string clean;
    for (char c : hint.substr(0, 40))
        clean += (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-') ? c : '_';
    std::string name = "t_" + clean + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    return {name, name + "-pw"};
}

std::string doveadm(const std::vector<std::string>& args, const std::string& input) {
    auto argv = doveadm_argv(args);
    auto r = run(argv, input);
    if (r.status != 0) fail_run(argv, r);
    return r.out;
}

void reset_user(const std::string& user) {
    std::istringstream list(doveadm({"mailbox", "list", "-u", user}));
    std::vector<std::string> boxes;
    for (std::string line; std::getline(list, line);)
        if (!line.empty() && line != "INBOX") boxes.push_back(line);
    // Children before parents; a child already gone with its parent is fine.
    std::sort(boxes.begin(), boxes.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (const auto& box : boxes) {
        auto argv = doveadm_argv({"mailbox", "delete", "-r", "-s", "-u", user, box});
        auto r = run(argv, {});
        if (r.status != 0 && r.status != doveadm_not_found) fail_run(argv, r);
    }
    doveadm({"expunge", "-u", user, "mailbox", "INBOX", "all"});
    auto left = status(user, "INBOX").messages;
    if (left != 0) fail("reset_user(" + user + "): INBOX still has " + std::to_string(left) + " messages");
}

void create_mailbox(const std::string& user, const std::string& mailbox) {
    auto argv = doveadm_argv({"mailbox", "create", "-s", "-u", user, mailbox});
    auto r = run(argv, {});
    if (r.status != 0 && r.err.find("already exists") == std::string::npos) fail_run(argv, r);
}

std::uint32_t seed(const std::string& user, const std::string& mailbox, const std::string& rfc822,
                   const std::vector<std::string>& flag_list) {
    if (mailbox != "INBOX") create_mailbox(user, mailbox);
    doveadm({"save", "-u", user, "-m", mailbox}, rfc822);
    auto uid = status(user, mailbox).uidnext - 1;
    if (!flag_list.empty()) add_flags(user, mailbox, uid, flag_list);
    return uid;
}

MailboxStatus status(const std::string& user, const std::string& mailbox) {
    // Output: "INBOX messages=1 uidnext=2 uidvalidity=... unseen=0 highestmodseq=4", parsed by name.
    auto out = doveadm({"-f", "flow", "mailbox", "status", "-u", user,
                        "messages unseen uidnext uidvalidity highestmodseq", mailbox});
    MailboxStatus s;
    std::istringstream in(out);
    for (std::string tok; in >> tok;) {
        auto eq = tok.find('=');
        if (eq == std::string::npos) continue;
        auto k = tok.substr(0, eq), v = tok.substr(eq + 1);
        if (k == "messages") s.messages = to_number<std::uint32_t>(v, k);
        else if (k == "unseen") s.unseen = to_number<std::uint32_t>(v, k);
        else if (k == "uidnext") s.uidnext = to_number<std::uint32_t>(v, k);
        else if (k == "uidvalidity") s.uidvalidity = to_number<std::uint32_t>(v, k);
        else if (k == "highestmodseq") s.highestmodseq = to_number<std::uint64_t>(v, k);
    }
    if (s.uidnext == 0) fail("cannot parse `doveadm mailbox status` output: " + out);
    return s;
}

std::vector<std::string> flags(const std::string& user, const std::string& mailbox, std::uint32_t uid) {
    auto out = doveadm({"-f", "flow", "fetch", "-u", user, "flags", "mailbox", mailbox, "uid",
                        std::to_string(uid)});
    // "flags=\Seen $Label1"
    auto eq = out.find("flags=");
    if (eq == std::string::npos)
        fail("no message uid " + std::to_string(uid) + " in " + user + "/" + mailbox);
    std::istringstream in(out.substr(eq + 6));
    std::vector<std::string> v;
    for (std::string f; in >> f;)
        if (f != "\\Recent") v.push_back(f);
    return v;
}

void add_flags(const std::string& user, const std::string& mailbox, std::uint32_t uid,
               const std::vector<std::string>& flag_list) {
    doveadm({"flags", "add", "-u", user, join(flag_list), "mailbox", mailbox, "uid", std::to_string(uid)});
}

void remove_flags(const std::string& user, const std::string& mailbox, std::uint32_t uid,
                  const std::vector<std::string>& flag_list) {
    doveadm({"flags", "remove", "-u", user, join(flag_list), "mailbox", mailbox, "uid",
             std::to_string(uid)});
}

void expunge(const std::string& user, const std::string& mailbox, std::uint32_t uid) {
    doveadm({"expunge", "-u", user, "mailbox", mailbox, "uid", std::to_string(uid)});
}

void set_uidvalidity(const std::string& user, const std::string& mailbox, std::uint32_t uidvalidity) {
    doveadm({"mailbox", "update", "-u", user, "--uid-validity", std::to_string(uidvalidity), mailbox});
}

}  // namespace mailsync::test

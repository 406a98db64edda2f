// `sync` of several accounts through the mailsync program: in parallel within --max-connections,
// one summary, lines never cut; Ctrl-C during a sync leaves one clean line saying the next run
// resumes, and the exit status of a program ended by SIGINT (130); on a terminal (script(1)'s
// pty) the progress bar shows its message total before the first message arrives.
//
// Parallel is told from sequential by order: the first account's server accepts and never answers
// (its sync fails at the 5 s timeout); run in parallel, the other accounts finish before it does.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/pull_test_support.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/files.hpp"
#include "tests/support/program.hpp"
#include "tests/support/silent_server.hpp"

using namespace mailsync;
using test::DovecotFixture;
using test::Program;
using namespace std::chrono_literals;

namespace {

// A configuration of one account "stuck" on a silent server, then `count` accounts a1..aN of fresh
// Dovecot users with `messages` messages each in INBOX.
struct Accounts {
    test::TempDirectory dir;
    std::filesystem::path config = dir.path() / "config.yaml";
    std::vector<DovecotFixture::User> users;

    Accounts(int silent_port, int count, int messages) {
        std::ofstream out(config);
        out << "accounts:\n";
        account(out, "stuck", silent_port, "t_silent", "none");
        for (int i = 1; i <= count; ++i) {
            users.push_back(test::unique_user("many"));
            for (int m = 0; m < messages; ++m)
                test::seed(users.back().name, "INBOX", test::make_message(users.back().name + "-" + std::to_string(m)));
            account(out, "a" + std::to_string(i), DovecotFixture::get().imap_port, users.back().name, users.back().password);
        }
        out.close();
        std::filesystem::permissions(config, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                     std::filesystem::perm_options::replace);
    }
    void account(std::ostream& out, const std::string& name, int port, const std::string& user,
                 const std::string& password) const {
        out << "  " << name << ":\n    host: 127.0.0.1\n    port: " << port << "\n    tls: none\n    user: " << user
            << "\n    password: " << password << "\n    store: " << (dir.path() / name).string()
            << "\n    timeout_seconds: 5\n    connections: 4\n";
    }
    std::size_t mirrored(const std::string& name) const {
        auto store = store::Store::open(dir.path() / name, store::Access::shared);
        return test::mirror_messages(store, "INBOX").size();
    }
    // Runs mailsync with these arguments: its exit status, stdout and stderr.
    int run(const std::vector<std::string>& arguments, std::string& out, std::string& err) const {
        std::vector<std::string> all{test::mailsync_binary, "-c", config.string()};
        all.insert(all.end(), arguments.begin(), arguments.end());
        const auto out_file = dir.path() / "out", err_file = dir.path() / "err";
        std::filesystem::remove(out_file);
        int code = -1;
        {
            Program program(all, out_file, err_file);
            code = program.wait(120s);
        }
        out = test::read_file(out_file);
        err = test::read_file(err_file);
        return code;
    }
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The index of the first line containing `what`; lines.size() when none does.
std::size_t line_with(const std::vector<std::string>& lines, const std::string& what) {
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (lines[i].find(what) != std::string::npos) return i;
    return lines.size();
}

}  // namespace

TEST_CASE("sync of several accounts runs them in parallel within --max-connections, with one summary",
          "[sync][cli][accounts]") {
    test::SilentServer silent;
    Accounts accounts(silent.port(), 3, 5);
    std::string out, err;
    const auto start = std::chrono::steady_clock::now();
    CHECK(accounts.run({"-v", "sync", "--max-connections", "16"}, out, err) == 75);   // the stuck one's
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO("stderr:\n" << err);
    const auto lines = lines_of(err);
    // Each line whole: it starts with "mailsync" or an account's name.
    const std::regex whole(R"((mailsync: .*|(stuck|a1|a2|a3): .*|4 accounts: .*))");
    for (const auto& line : lines) CHECK(std::regex_match(line, whole));
    const std::size_t stuck = line_with(lines, "mailsync: stuck:");
    REQUIRE(stuck < lines.size());
    for (const char* name : {"a1: mailboxes: ", "a2: mailboxes: ", "a3: mailboxes: "}) CHECK(line_with(lines, name) < stuck);
    CHECK(line_with(lines, "4 accounts: 3 synced, 1 to retry later") == lines.size() - 1);
    for (const char* name : {"a1", "a2", "a3"}) CHECK(accounts.mirrored(name) == 5);
    CHECK(seconds < 30);

    // A budget of 4 connections holds one account of 4 at a time: in file order, the stuck one first.
    CHECK(accounts.run({"-v", "sync", "--max-connections", "4"}, out, err) == 75);
    const auto sequential = lines_of(err);
    INFO("stderr with --max-connections 4:\n" << err);
    CHECK(line_with(sequential, "mailsync: stuck:") < line_with(sequential, "a1: mailboxes: "));
}

TEST_CASE("sync --json of several accounts prints one array with an object per account synced",
          "[sync][cli][accounts]") {
    test::SilentServer silent;
    Accounts accounts(silent.port(), 2, 1);
    std::string out, err;
    CHECK(accounts.run({"--json", "sync"}, out, err) == 75);
    INFO("stdout:\n" << out << "\nstderr:\n" << err);
    CHECK(out.rfind("[{\"account\":\"a1\"", 0) == 0);
    CHECK(out.find("{\"account\":\"a2\"") != std::string::npos);
    CHECK(out.find("\"account\":\"stuck\"") == std::string::npos);   // failed: its line is on stderr
}

TEST_CASE("Ctrl-C during sync leaves one clean line saying the next run resumes, and ends by SIGINT",
          "[sync][cli][interrupt]") {
    test::SilentServer silent;
    Accounts accounts(silent.port(), 0, 0);
    const auto err_file = accounts.dir.path() / "err";
    Program sync({test::mailsync_binary, "-c", accounts.config.string(), "sync"}, accounts.dir.path() / "out", err_file);
    std::this_thread::sleep_for(1s);   // connected, waiting for a greeting that never comes
    REQUIRE(sync.running());
    sync.signal(SIGINT);
    CHECK(sync.wait(10s) == 128 + SIGINT);
    const std::string err = test::read_file(err_file);
    CHECK(err == "mailsync: interrupted: what was synced is kept; the next `mailsync sync` resumes from there\n");
}

TEST_CASE("on a terminal the progress bar starts with the whole total, before the first message",
          "[sync][cli][progress]") {
    if (std::system("command -v script >/dev/null") != 0) {
        WARN("skipped: script(1) is not installed");
        return;
    }
    test::SilentServer silent;
    Accounts accounts(silent.port(), 1, 30);
    const auto typescript = accounts.dir.path() / "typescript";
    // script(1) gives mailsync a pty for stdout and stderr, as a person's terminal would.
    const std::string command = "script -qefc '" + test::mailsync_binary + " -c " + accounts.config.string() +
                                " -a a1 sync' " + typescript.string() + " >/dev/null 2>&1";
    CHECK(std::system(command.c_str()) == 0);
    const std::string screen = test::read_file(typescript);
    INFO("terminal:\n" << screen);
    // Every drawn bar shows the total of 30; the first one shows it with nothing done yet.
    const std::regex bar(R"((\d+)/(\d+) msgs)");
    std::vector<std::pair<int, int>> bars;
    for (auto it = std::sregex_iterator(screen.begin(), screen.end(), bar); it != std::sregex_iterator(); ++it)
        bars.emplace_back(std::stoi((*it)[1].str()), std::stoi((*it)[2].str()));
    REQUIRE_FALSE(bars.empty());
    CHECK(bars.front() == std::pair(0, 30));
    for (const auto& [done, total] : bars) CHECK(total == 30);
    CHECK(screen.find("messages: 30 new") != std::string::npos);
}

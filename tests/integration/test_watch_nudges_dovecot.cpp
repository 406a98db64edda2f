// watch's nudges through the mailsync program: `mailsync sync` while watch runs gets watch's result
// (not exit 75); a local change while the server is away makes watch reconnect before its backoff
// would; the backoff stays below watch_max_backoff; each line of the log has its time; watch's
// pulls keep `status --json`'s last_success fresh; in a network namespace of its own, the network
// coming up (netlink) ends watch's wait at once.
#include <catch2/catch.hpp>

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "sync/local/local_changes.hpp"
#include "tests/integration/cli_account.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/private_dovecot.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/files.hpp"
#include "tests/support/program.hpp"

using namespace mailsync;
using test::DovecotFixture;
using test::Program;
using namespace std::chrono_literals;
using test::eventually;
using test::read_file;

namespace {

using Cli = test::CliAccount;

// The waits watch announced ("retrying in 1.9 s"), in seconds, in order.
std::vector<double> backoff_waits(const std::string& log) {
    std::vector<double> waits;
    const std::regex retrying(R"(retrying in ([0-9.]+) s)");
    for (auto it = std::sregex_iterator(log.begin(), log.end(), retrying); it != std::sregex_iterator(); ++it)
        waits.push_back(std::stod((*it)[1].str()));
    return waits;
}

std::size_t outstanding(const std::filesystem::path& store_dir) {
    auto store = store::Store::open(store_dir, store::Access::shared);
    return store.read([](const store::ReadTxn& txn) { return sync::outstanding_changes(txn).size(); });
}

// `status --json`'s last_success ("" when null).
std::string last_success(const Cli& cli) {
    std::string errors;
    const auto json_file = cli.dir.path() / "status.json";
    {
        Program status(cli.args({"--json", "status"}), json_file);
        REQUIRE(status.wait(30s) == 0);
    }
    const std::string json = read_file(json_file);
    std::filesystem::remove(json_file);
    std::smatch match;
    if (std::regex_search(json, match, std::regex(R"re("last_success":"([^"]+)")re"))) return match[1].str();
    return "";
}

}  // namespace

TEST_CASE("sync while watch runs is answered by watch: its result, not exit 75", "[watch][cli][control]") {
    Cli cli(DovecotFixture::get().imap_port);
    const std::string u = cli.user.name;
    test::seed(u, "INBOX", test::make_message(u + "-first"));
    Program watch(cli.args({"-v", "watch"}), cli.log);
    REQUIRE(eventually([&] { return cli.output().find("test: idling on INBOX") != std::string::npos; }, 30s));

    // Work is made on the server after watch's first pull; the sync asked of watch pulls it.
    test::seed(u, "Work", test::make_message(u + "-work"));
    std::string errors;
    const auto sync_output = cli.dir.path() / "sync.out";
    int code = -1;
    {
        Program sync(cli.args({"-v", "sync"}), sync_output, cli.dir.path() / "sync.err");
        code = sync.wait(60s);
    }
    errors = read_file(cli.dir.path() / "sync.err");
    INFO("sync's stderr:\n" << errors << "\nwatch's log:\n" << cli.output());
    CHECK(code == 0);
    CHECK(errors.find("synced by the running `mailsync watch`") != std::string::npos);
    CHECK(errors.find("test: mailboxes: ") != std::string::npos);
    CHECK(cli.output().find("`mailsync sync` asked for a sync") != std::string::npos);
    {
        auto store = store::Store::open(cli.store_dir, store::Access::shared);
        CHECK(test::mirror_messages(store, "Work").size() == 1);
    }

    // --json: the array of one object per account, as a sync of its own prints.
    {
        Program sync(cli.args({"--json", "sync"}), sync_output, cli.dir.path() / "sync.err");
        CHECK(sync.wait(60s) == 0);
    }
    CHECK(read_file(sync_output).find("[{\"account\":\"test\"") != std::string::npos);

    watch.signal(SIGTERM);
    CHECK(watch.wait(20s) == 0);
    CHECK_FALSE(std::filesystem::exists(cli.store_dir / "watch.sock"));
    // Without watch, sync works on its own again.
    CHECK(cli.run({"sync"}) == 0);
}

TEST_CASE("watch's pulls keep status's last_success fresh", "[watch][cli][status]") {
    Cli cli(DovecotFixture::get().imap_port);
    const std::string u = cli.user.name;
    Program watch(cli.args({"-v", "watch"}), cli.log);
    REQUIRE(eventually([&] { return cli.output().find("test: idling on INBOX") != std::string::npos; }, 30s));
    const std::string first = last_success(cli);
    INFO("watch's log:\n" << cli.output());
    REQUIRE_FALSE(first.empty());
    // A second later (the record has seconds), the server reports new mail and watch pulls it.
    std::this_thread::sleep_for(1100ms);
    test::seed(u, "INBOX", test::make_message(u + "-later"));
    CHECK(eventually([&] { return last_success(cli) > first; }, 20s));
    watch.signal(SIGTERM);
    CHECK(watch.wait(20s) == 0);
}

TEST_CASE("a local change while the server is away makes watch reconnect before its backoff ends",
          "[watch][cli][nudge]") {
    test::PrivateDovecot dovecot;
    Cli cli(dovecot.imap_port, "    watch_max_backoff: 3600\n");
    const std::string u = cli.user.name;
    Program watch(cli.args({"-v", "watch"}), cli.log);
    REQUIRE(eventually([&] { return cli.output().find("test: idling on INBOX") != std::string::npos; }, 30s));

    dovecot.stop();
    // Let the backoff grow until one wait is long (12 s or more: the fourth, 16 s ± 25 %).
    double wait = 0;
    std::chrono::steady_clock::time_point announced;
    REQUIRE(eventually([&] {
        const auto waits = backoff_waits(cli.output());
        if (waits.empty() || waits.back() < 12) return false;
        wait = waits.back();
        announced = std::chrono::steady_clock::now();
        return true;
    }, 60s));
    dovecot.restart();
    REQUIRE(cli.run({"mkdir", "Made-Offline"}) == 0);
    CHECK(eventually([&] { return outstanding(cli.store_dir) == 0; }, 20s));
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - announced).count();
    INFO("watch's log:\n" << cli.output());
    CHECK(took < wait - 1);
    CHECK(cli.output().find("a local change is queued: retrying now") != std::string::npos);
    watch.signal(SIGTERM);
    CHECK(watch.wait(20s) == 0);
}

TEST_CASE("watch's backoff stays below watch_max_backoff, and each line of its log has its time",
          "[watch][cli]") {
    Cli cli(test::closed_port(), "    watch_max_backoff: 2\n");
    Program watch(cli.args({"-v", "watch"}), cli.log);
    REQUIRE(eventually([&] { return backoff_waits(cli.output()).size() >= 6; }, 30s));
    watch.signal(SIGTERM);
    CHECK(watch.wait(20s) == 0);
    const std::string log = cli.output();
    INFO("watch's log:\n" << log);
    const auto waits = backoff_waits(log);
    for (const double wait : waits) CHECK(wait <= 2.0);
    CHECK(waits.back() >= 1.5);   // it did grow to the cap (2 s, jitter below it)
    std::istringstream lines(log);
    std::string line;
    const std::regex stamped(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d (mailsync: warning: )?test: .*)");
    while (std::getline(lines, line)) CHECK(std::regex_match(line, stamped));

    // Watch is gone: sync works on its own; with the server away that is exit 75.
    CHECK(cli.run({"sync"}) == 75);
}

TEST_CASE("sync while watch runs and the server is away: watch tries at once and its failure is sync's, 75",
          "[watch][cli][control]") {
    Cli cli(test::closed_port(), "    watch_max_backoff: 3600\n");
    Program watch(cli.args({"-v", "watch"}), cli.log);
    REQUIRE(eventually([&] { return !backoff_waits(cli.output()).empty(); }, 30s));
    std::string errors;
    const auto before = std::chrono::steady_clock::now();
    CHECK(cli.run_split({"sync"}, errors) == 75);
    CHECK(std::chrono::steady_clock::now() - before < 15s);
    INFO("sync's stderr:\n" << errors << "\nwatch's log:\n" << cli.output());
    CHECK(errors.find("mailsync: test:") != std::string::npos);
    CHECK(cli.output().find("`mailsync sync` asked for a sync: retrying now") != std::string::npos);
    // -q: a "try again later" prints nothing, as for a sync of its own.
    CHECK(cli.run_split({"-q", "sync"}, errors) == 75);
    CHECK(errors.empty());
    watch.signal(SIGTERM);
    CHECK(watch.wait(20s) == 0);
}

// Root only: a network namespace of its own, where loopback starts down, so that bringing it up is
// a real RTM_NEWADDR/RTM_NEWROUTE that only this test's processes see.
TEST_CASE("in a network namespace of its own, the network coming up ends watch's wait at once",
          "[watch][cli][netlink]") {
    if (::geteuid() != 0 || std::system("unshare -n true 2>/dev/null") != 0 ||
        std::system("command -v ip >/dev/null") != 0) {
        WARN("skipped: needs root, unshare -n and ip(8)");
        return;
    }
    Cli cli(143, "    watch_max_backoff: 3600\n");
    const auto script = cli.dir.path() / "netns.sh";
    // In the namespace: watch cannot reach 127.0.0.1 (lo is down) and backs off; once its waits are
    // long, lo comes up; watch must retry (and fail: no server listens there) at once.
    std::ofstream(script) << "set -e\n"
                          << "\"$@\" >>'" << cli.log.string() << "' 2>&1 & pid=$!\n"
                          << "for i in $(seq 100); do grep -q 'retrying in \\(1[2-9]\\|2[0-9]\\)' '" << cli.log.string()
                          << "' && break; sleep 0.5; done\n"
                          << "ip link set lo up\n"
                          << "sleep 3\n"
                          << "kill -TERM $pid; wait $pid\n";
    std::vector<std::string> command{"/usr/bin/unshare", "-n", "/bin/sh", script.string()};
    const auto args = cli.args({"-v", "watch"});
    command.insert(command.end(), args.begin(), args.end());
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::vector<char*> argv;
        for (auto& argument : command) argv.push_back(argument.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    const std::string log = cli.output();
    INFO("watch's log:\n" << log);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    const auto waits = backoff_waits(log);
    REQUIRE_FALSE(waits.empty());
    CHECK(log.find("the network changed: retrying now") != std::string::npos);
}

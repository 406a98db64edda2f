#include "tests/fault/sync_campaign.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "store/store.hpp"
#include "tests/fault/server_truth.hpp"
#include "sync/local/local_changes.hpp"
#include "sync/push/replay.hpp"
#include "sync/push/replay_ledger.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/account_config.hpp"

using namespace std::chrono_literals;

namespace mailsync::test::campaign {

namespace {

const std::string binary = MAILSYNC_BINARY_DIR "/cli/mailsync";
constexpr int kStallTimeoutSeconds = 1;
constexpr auto kHangBound = 40s;  // a stalled run must have exited 75 long before this

std::string join_flags(std::vector<std::string> flags) {
    std::sort(flags.begin(), flags.end());
    std::string joined;
    for (const auto& flag : flags) joined += (joined.empty() ? "" : ",") + flag;
    return joined;
}

// Starts `arguments`, its output added to the file `output` (or replacing it: `append` false).
pid_t start(const std::vector<std::string>& arguments, const std::filesystem::path& output, bool append = true) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0600);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        std::vector<std::string> copy = arguments;
        std::vector<char*> argv;
        for (auto& argument : copy) argv.push_back(argument.data());
        argv.push_back(nullptr);
        ::execv(binary.c_str(), argv.data());
        ::_exit(127);
    }
    return pid;
}

// Exit status (128+signal when killed), or -1 if still running at `until`.
int wait_until(pid_t pid, std::chrono::steady_clock::time_point until) {
    while (true) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (std::chrono::steady_clock::now() >= until) return -1;
        std::this_thread::sleep_for(500us);
    }
}

int reap_killed(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

// With $MAILSYNC_CAMPAIGN_TRACE set: each step of each trial and its time, on stderr.
void trace(const std::string& step) {
    static const bool on = std::getenv("MAILSYNC_CAMPAIGN_TRACE") != nullptr;
    static auto last = std::chrono::steady_clock::now();
    if (!on) return;
    const auto now = std::chrono::steady_clock::now();
    std::fprintf(stderr, "campaign: %-40s %7.3f s\n", step.c_str(), std::chrono::duration<double>(now - last).count());
    last = now;
}

// "sha|flags" → Contents entry.
void add_entry(Contents& contents, const std::string& mailbox, const std::string& entry) {
    const auto bar = entry.find('|');
    contents[mailbox][entry.substr(0, bar)].push_back(entry.substr(bar + 1));
}

std::string Interrupt::describe() const {
    std::ostringstream text;
    switch (kind) {
        case Interruption::none: text << "uninterrupted"; break;
        case Interruption::kill:
            text << "SIGKILL after " << offset << (local_event ? " local file changes" : " bytes through the proxy");
            break;
        case Interruption::cut:
            text << (every_connection ? "cut (each connection) after " : "cut after ") << offset
                 << (to_server ? " bytes to server" : " bytes to client");
            break;
        case Interruption::stall:
            text << (every_connection ? "stall (each connection) after " : "stall after ") << offset << " bytes to client";
            break;
    }
    return text.str();
}

// Where the accounts' stores live: $MAILSYNC_CAMPAIGN_DIR, else /dev/shm (tmpfs) where there is one,
// else the temporary directory. The campaign kills processes and cuts connections, never the
// machine: what a store must survive is in the page cache either way, so fsync's durability is
// not under test, only its cost. On a disk that other work keeps busy that cost dominated: a first
// sync of 1000 messages took 9.9 s with the store on ext4 and 0.66 s on tmpfs (RESULTS.md).
std::filesystem::path campaign_directory() {
    if (const char* dir = std::getenv("MAILSYNC_CAMPAIGN_DIR"); dir && *dir) return dir;
    std::error_code error;
    if (std::filesystem::is_directory("/dev/shm", error) && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
    return std::filesystem::temp_directory_path();
}

Account::Account(const std::string& hint) : user_(unique_user(hint)) {
    std::string pattern = (campaign_directory() / "mailsync-campaign-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    write_config(DovecotFixture::get().imap_port);
}

Account::~Account() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

void Account::write_config(std::uint16_t port, int timeout_seconds) const {
    test::write_account_config(dir_ / "config.yaml",
                               {.port = port, .user = user_, .store = store_dir(),
                                .extra = "    timeout_seconds: " + std::to_string(timeout_seconds) + "\n" + extra_config_});
}

int Account::run(const std::vector<std::string>& args, std::chrono::milliseconds limit) const {
    std::vector<std::string> all{binary, "-c", (dir_ / "config.yaml").string()};
    all.insert(all.end(), args.begin(), args.end());
    const pid_t pid = start(all, dir_ / "output.log");
    const int status = wait_until(pid, std::chrono::steady_clock::now() + limit);
    if (status >= 0) return status;
    reap_killed(pid);
    return -1;
}

int Account::run_capturing(const std::vector<std::string>& args, std::string& output) const {
    std::vector<std::string> all{binary, "-c", (dir_ / "config.yaml").string()};
    all.insert(all.end(), args.begin(), args.end());
    const auto file = dir_ / "captured.log";
    const pid_t pid = start(all, file, false);
    int status = wait_until(pid, std::chrono::steady_clock::now() + std::chrono::seconds(120));
    if (status < 0) status = (reap_killed(pid), -1);
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    output = text.str();
    return status;
}

int Account::run_sync_killed_when(const std::function<bool()>& fire, bool& killed) const {
    killed = false;
    const pid_t pid = start({binary, "-c", (dir_ / "config.yaml").string(), "sync"}, dir_ / "output.log");
    const auto until = std::chrono::steady_clock::now() + kHangBound;
    while (std::chrono::steady_clock::now() < until) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (fire()) {
            killed = true;
            return reap_killed(pid);
        }
        std::this_thread::sleep_for(100us);
    }
    reap_killed(pid);
    return -1;
}

std::string Account::log_tail() const {
    std::ifstream in(dir_ / "output.log");
    std::stringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    return all.size() > 1500 ? all.substr(all.size() - 1500) : all;
}

void Account::remove_store() const {
    std::error_code ignored;
    std::filesystem::remove_all(store_dir(), ignored);
}

std::map<std::string, std::map<std::uint32_t, std::string>> Account::mirror_by_uid() const {
    std::map<std::string, std::map<std::uint32_t, std::string>> result;
    auto store = store::Store::open(store_dir(), store::Access::shared);
    std::size_t without_uid = 0;
    store.read([&](const store::ReadTxn& txn) {
        for (const auto& mailbox : txn.mailboxes())
            txn.for_each_message(mailbox.id, [&](const store::MessageRecord& message) {
                if (!message.uid) ++without_uid;
            });
    });
    for (const auto& name : mirror_mailboxes(store)) {
        auto& box = result[name];
        for (const auto& [uid, message] : mirror_messages(store, name))
            box[uid] = message.sha256 + "|" + join_flags(message.record.flags);
    }
    // A message without a UID after convergence is a change that never reached the server.
    if (without_uid) result["(messages without UID)"][0] = std::to_string(without_uid);
    return result;
}

std::size_t Account::queued_changes() const {
    auto store = store::Store::open(store_dir(), store::Access::shared);
    return store.read([](const store::ReadTxn& txn) { return sync::outstanding_changes(txn).size(); });
}

std::size_t Account::refused_for_good() const {
    auto store = store::Store::open(store_dir(), store::Access::shared);
    return store.read([](const store::ReadTxn& txn) {
        const auto records = sync::outstanding_changes(txn);
        return static_cast<std::size_t>(std::count_if(records.begin(), records.end(), [](const store::QueueRecord& r) {
            return sync::refused_for_good(r);
        }));
    });
}

std::uint64_t Account::message_id(const std::string& mailbox, std::uint32_t uid) const {
    auto store = store::Store::open(store_dir(), store::Access::shared);
    return store.read([&](const store::ReadTxn& txn) {
        const auto box = txn.mailbox_by_name(mailbox);
        if (!box) throw std::runtime_error("no mailbox " + mailbox + " in the mirror");
        const auto message = txn.message_by_uid(box->id, uid);
        if (!message) throw std::runtime_error("no UID " + std::to_string(uid) + " in " + mailbox);
        return static_cast<std::uint64_t>(message->id);
    });
}

std::map<std::string, std::map<std::uint32_t, std::string>> Account::server_by_uid() const {
    return read_server_truth(DovecotFixture::get().imap_port, user_.name, user_.password);
}

Contents Account::server_contents() const {
    Contents contents;
    for (const auto& [mailbox, messages] : server_by_uid()) {
        contents[mailbox];
        for (const auto& [uid, entry] : messages) add_entry(contents, mailbox, entry);
    }
    return contents;
}

void load_messages(const Account& account, const std::string& mailbox, const std::string& tag, std::size_t count) {
    const auto dir = account.dir() / ("load-" + tag);
    std::filesystem::create_directories(dir);
    for (std::size_t i = 0; i < count; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "%06zu.eml", i);
        std::ofstream(dir / name, std::ios::binary)
            << make_message(account.user().name + "-" + tag + "-" + std::to_string(i), (i % 11) * 700);
    }
    const std::string command = std::string(MAILSYNC_SOURCE_DIR "/scripts/load-mail.sh ") + DovecotFixture::get().dir +
                                " " + account.user().name + " '" + mailbox + "' " + dir.string() +
                                " --flags random >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("load-mail.sh failed: " + command);
    std::filesystem::remove_all(dir);
}

Campaign::Campaign(std::string name, Link link) : link_(std::move(link)) { summary_.name = std::move(name); }

namespace {
// Counts the changes of a scenario's local fingerprint, polled as a kill's trigger is.
struct LocalChanges {
    LocalChanges(const LocalFingerprint& of, const Account& watched) : fingerprint(of), account(watched), last(of(watched)) {}
    std::uint64_t poll() {
        if (auto now = fingerprint(account); now != last) ++count, last = std::move(now);
        return count;
    }
    const LocalFingerprint& fingerprint;
    const Account& account;
    std::string last;
    std::uint64_t count = 0;
};
}  // namespace

void Campaign::calibrate(const Prepare& prepare, Account& account) {
    const Expected expected = prepare(account);
    FaultProxy proxy("127.0.0.1", DovecotFixture::get().imap_port);
    proxy.set_faults(link_.faults);
    account.write_config(proxy.port(), link_.timeout_seconds);
    const auto began = std::chrono::steady_clock::now();
    int status = 0;
    if (local_) {
        LocalChanges changes(local_, account);
        bool killed = false;
        status = account.run_sync_killed_when([&] { return changes.poll(), false; }, killed);
        summary_.calibrated_local_events = changes.count;
    } else {
        status = account.run({"sync"});
    }
    summary_.calibrated_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    const auto connections = proxy.connections();
    summary_.calibrated_connections = connections.size();
    if (!connections.empty()) {
        summary_.calibrated_bytes = connections[0].server_to_client;
        client_bytes_ = connections[0].client_to_server;
    }
    for (const auto& connection : connections)
        summary_.calibrated_total_bytes += connection.server_to_client + connection.client_to_server;
    proxy.stop();
    account.write_config(DovecotFixture::get().imap_port);
    ++summary_.trials;
    ++summary_.completed;
    if (status != 0 && !(status == kRefusedStatus && expected.refused > 0)) {
        ++summary_.failed_convergence;
        summary_.failures.push_back("calibration run exited " + std::to_string(status) + ": " + account.log_tail());
    }
    check(account, expected, "calibration");
}

namespace {
// `count` offsets in the middle of `count` equal slices of [0, total): spread over the whole run.
std::vector<std::uint64_t> even_offsets(std::uint64_t total, std::size_t count) {
    std::vector<std::uint64_t> offsets;
    for (std::size_t i = 0; i < count && total > 0; ++i) offsets.push_back(total * (2 * i + 1) / (2 * count));
    return offsets;
}
}  // namespace

std::vector<Interrupt> Campaign::plan(std::size_t kills, std::size_t cuts, std::size_t stalls,
                                      std::size_t local_kills) const {
    std::vector<Interrupt> interrupts;
    for (std::size_t k = 1; k <= kills; ++k)
        interrupts.push_back({.kind = Interruption::kill,
                              .offset = summary_.calibrated_total_bytes * k / (kills + 1)});
    // At least the first change: a kill planned at change 0 would fire before the run did anything.
    for (std::size_t k = 1; k <= local_kills && local_; ++k)
        interrupts.push_back({.kind = Interruption::kill,
                              .offset = std::max<std::uint64_t>(1, summary_.calibrated_local_events * k / (local_kills + 1)),
                              .local_event = true});
    // Cuts of the client's bytes (an APPEND or UID STORE sent, its answer never read) in every
    // campaign that has two cuts or more.
    const std::size_t client_cuts = cuts >= 2 ? std::max<std::size_t>(1, cuts / 3) : 0;
    // Every other cut hits each connection (the engine may use several at once), not only the first.
    bool every = false;
    for (const auto offset : even_offsets(summary_.calibrated_bytes, cuts - client_cuts))
        interrupts.push_back({.kind = Interruption::cut, .offset = offset, .every_connection = (every = !every)});
    for (const auto offset : even_offsets(client_bytes_, client_cuts))
        interrupts.push_back(
            {.kind = Interruption::cut, .offset = offset, .to_server = true, .every_connection = (every = !every)});
    for (const auto offset : even_offsets(summary_.calibrated_bytes, stalls))
        interrupts.push_back({.kind = Interruption::stall, .offset = offset});
    return interrupts;
}

bool Campaign::trial(const Prepare& prepare, Account& account, const Interrupt& interrupt) {
    trace("(between trials)");
    const Expected expected = prepare(account);
    trace("prepare");
    FaultProxy proxy("127.0.0.1", DovecotFixture::get().imap_port);
    proxy.set_faults(link_.faults);
    int status = 0;
    bool acceptable = false;
    bool landed = false;
    switch (interrupt.kind) {
        case Interruption::none:
            account.write_config(proxy.port(), link_.timeout_seconds);
            status = account.run({"sync"}, kHangBound);
            acceptable = status == 0;
            break;
        case Interruption::kill: {
            ++summary_.kills;
            account.write_config(proxy.port(), link_.timeout_seconds);
            // The kill lands when the bytes exchanged (every connection, both ways) reach the
            // offset: mailsync is then connected and mid-run, whatever its speed today. A local
            // kill lands at the offset-th change of the local files, counted as in calibrate().
            std::optional<LocalChanges> local_changes;
            if (interrupt.local_event) local_changes.emplace(local_, account);
            const auto fire = [&] {
                if (local_changes) return local_changes->poll() >= interrupt.offset;
                std::uint64_t bytes = 0;
                for (const auto& c : proxy.connections()) bytes += c.server_to_client + c.client_to_server;
                return bytes >= interrupt.offset;
            };
            bool killed = false;
            status = account.run_sync_killed_when(fire, killed);
            landed = killed;
            acceptable = status == 0 || status == 128 + SIGKILL;
            break;
        }
        case Interruption::cut: {
            ++summary_.cuts;
            ConnectionFaults connection = link_.faults;
            (interrupt.to_server ? connection.client_to_server : connection.server_to_client).cut_after =
                interrupt.offset;
            if (interrupt.every_connection)
                proxy.set_faults(connection);
            else
                proxy.push_faults(connection);
            account.write_config(proxy.port(), link_.timeout_seconds);
            status = account.run({"sync"}, kHangBound);
            acceptable = status == 0 || status == 75;
            break;
        }
        case Interruption::stall: {
            ++summary_.stalls;
            ConnectionFaults connection = link_.faults;
            connection.server_to_client.stall_after = interrupt.offset;
            if (interrupt.every_connection)
                proxy.set_faults(connection);
            else
                proxy.push_faults(connection);
            account.write_config(proxy.port(), kStallTimeoutSeconds);
            status = account.run({"sync"}, kHangBound);
            acceptable = status == 0 || status == 75;
            break;
        }
    }
    for (const auto& connection : proxy.connections())
        if ((interrupt.kind == Interruption::cut && connection.cut) ||
            (interrupt.kind == Interruption::stall && connection.stalled))
            landed = true;
    proxy.stop();
    trace(interrupt.describe() + (landed ? ", landed" : ", did not land") + ", exit " + std::to_string(status));
    account.write_config(DovecotFixture::get().imap_port);
    ++summary_.trials;
    // A run that ends on the expected refusals exits 76: it was not stopped short.
    const bool ran_to_its_end = status == 0 || (status == kRefusedStatus && expected.refused > 0);
    ++(ran_to_its_end ? summary_.completed : summary_.interrupted);
    if (landed) ++summary_.landed;
    if (status == kRefusedStatus && expected.refused > 0) acceptable = true;
    if (!acceptable) {
        ++summary_.failed_convergence;
        summary_.failures.push_back(interrupt.describe() + ": interrupted run " +
                                    (status < 0 ? std::string("hung") : "exited " + std::to_string(status)) + "\n" +
                                    account.log_tail());
    }
    check(account, expected, interrupt.describe());
    return landed || !ran_to_its_end;
}

std::string campaign_size() {
    const char* value = std::getenv("MAILSYNC_CAMPAIGN");
    const std::string size = value ? value : "";
    return size == "long" || size == "medium" ? size : "short";
}

}  // namespace mailsync::test::campaign

#include "sync/watch.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/local_changes.hpp"

namespace mailsync::sync {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// DIR/queue-changed, closed after a write by a local command.
class QueueWatch {
public:
    explicit QueueWatch(const std::filesystem::path& directory) {
        fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd_ < 0) throw Error(ErrorCategory::io, fmt::format("inotify: {}", std::strerror(errno)));
        if (::inotify_add_watch(fd_, directory.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
            const int saved = errno;
            ::close(fd_);
            throw Error(ErrorCategory::io, fmt::format("cannot watch {}: {}", directory.string(), std::strerror(saved)));
        }
    }
    ~QueueWatch() { ::close(fd_); }
    QueueWatch(const QueueWatch&) = delete;
    QueueWatch& operator=(const QueueWatch&) = delete;
    int fd() const { return fd_; }

    // Reads what is pending; whether the queue-changed file was among it.
    bool drain() {
        bool changed = false;
        alignas(inotify_event) std::array<char, 4096> buffer;
        while (true) {
            const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
            if (n <= 0) break;
            for (ssize_t at = 0; at < n;) {
                inotify_event event;
                std::memcpy(&event, buffer.data() + at, sizeof event);
                if (event.len > 0) {
                    const char* name = buffer.data() + at + static_cast<ssize_t>(sizeof event);
                    if (std::string_view(name) == queue_changed_file_name) changed = true;
                }
                at += static_cast<ssize_t>(sizeof event + event.len);
            }
        }
        return changed;
    }

private:
    int fd_ = -1;
};

enum class Wake { timeout, stop, queue };

class Watcher {
public:
    Watcher(store::Store& store, const WatchHooks& hooks, int stop_fd, const WatchOptions& options)
        : store_(store), hooks_(hooks), stop_fd_(stop_fd), options_(options), queue_(store.directory()),
          random_(std::random_device{}()) {}

    void run();

private:
    void session_loop();
    void replay_now(imap::Session& session);
    void pull_now();
    Wake wait_fds(milliseconds timeout);
    void emit(WatchEvent::Kind kind, std::string text, const ReplayReport* replay = nullptr,
              const PullReport* pull = nullptr) {
        if (!hooks_.on_event) return;
        WatchEvent event;
        event.kind = kind;
        event.text = std::move(text);
        event.replay = replay;
        event.pull = pull;
        hooks_.on_event(event);
    }

    store::Store& store_;
    const WatchHooks& hooks_;
    int stop_fd_;
    const WatchOptions& options_;
    QueueWatch queue_;
    std::mt19937_64 random_;
    bool stopping_ = false;
};

// Polls the stop fd and the inotify fd; timeout 0 checks without waiting.
Wake Watcher::wait_fds(milliseconds timeout) {
    std::array<pollfd, 2> fds{pollfd{stop_fd_, POLLIN, 0}, pollfd{queue_.fd(), POLLIN, 0}};
    const auto deadline = Clock::now() + timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<milliseconds::rep>(0, left.count())));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) throw Error(ErrorCategory::io, fmt::format("poll: {}", std::strerror(errno)));
        if (fds[0].revents != 0) {
            stopping_ = true;
            return Wake::stop;
        }
        if (fds[1].revents != 0 && queue_.drain()) return Wake::queue;
        if (ready == 0 || Clock::now() >= deadline) return Wake::timeout;
    }
}

void Watcher::run() {
    unsigned attempt = 0;
    while (!stopping_) {
        try {
            session_loop();
            attempt = 0;
        } catch (const Error& error) {
            if (error.category() != ErrorCategory::unavailable) throw;
            emit(WatchEvent::Kind::connection_lost, error.what());
            const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
            const milliseconds delay = backoff_delay(attempt, options_.backoff_initial, options_.backoff_max, jitter);
            ++attempt;
            emit(WatchEvent::Kind::retrying, fmt::format("retrying in {:.1f} s", static_cast<double>(delay.count()) / 1000));
            // A local change while the server is away changes nothing: it is replayed on return.
            const auto until = Clock::now() + delay;
            while (!stopping_ && Clock::now() < until)
                wait_fds(std::chrono::duration_cast<milliseconds>(until - Clock::now()));
        }
    }
    emit(WatchEvent::Kind::stopping, "stopping");
}

void Watcher::replay_now(imap::Session& session) {
    if (!options_.push || !has_outstanding_changes(store_)) return;
    const ReplayReport report = replay(session, store_, options_.replay);
    emit(WatchEvent::Kind::replayed,
         fmt::format("{} changes pushed, {} conflicts, {} failed, {} left", report.confirmed, report.conflicts,
                     report.failed, report.left),
         &report);
}

void Watcher::pull_now() {
    const PullReport report = hooks_.pull();
    emit(WatchEvent::Kind::pulled, "pulled", nullptr, &report);
}

// One connection's life: returns when stopping; throws Error(unavailable) when the connection is lost.
void Watcher::session_loop() {
    Connection connection = hooks_.connect();
    imap::Session& session = *connection.session;
    emit(WatchEvent::Kind::connected, "connected");
    queue_.drain();   // what is queued now is replayed below
    replay_now(session);
    pull_now();
    const bool idle = session.has_capability("IDLE");
    auto next_full = Clock::now() + options_.full_pull_interval;
    while (!stopping_) {
        imap::cmd::Select examine;
        examine.mailbox = options_.idle_mailbox;
        examine.read_only = true;
        session.select(examine);
        emit(WatchEvent::Kind::idling, idle ? "idling on " + options_.idle_mailbox : "polling " + options_.idle_mailbox);
        const auto keepalive_at = Clock::now() + (idle ? options_.keepalive : options_.poll_interval);
        auto wall = std::chrono::system_clock::now();
        auto mono = Clock::now();
        bool server_event = false;
        Wake wake = Wake::timeout;
        if (idle) session.idle_start();
        while (true) {
            const auto slice_end = std::min(Clock::now() + options_.slice, std::min(keepalive_at, next_full));
            if (idle) {
                if (session.idle_wait(slice_end)) {
                    server_event = true;
                    break;
                }
            }
            wake = wait_fds(idle ? milliseconds(0)
                                 : std::chrono::duration_cast<milliseconds>(
                                       std::max(slice_end - Clock::now(), Clock::duration::zero())));
            if (wake != Wake::timeout) break;
            const auto now = Clock::now();
            // A suspend: the wall clock moved on, the monotonic one did not (much).
            const auto wall_now = std::chrono::system_clock::now();
            const bool suspended = (wall_now - wall) - (now - mono) > std::chrono::seconds(30);
            wall = wall_now;
            mono = now;
            if (suspended || now >= keepalive_at || now >= next_full) break;
        }
        if (idle) session.idle_done();   // a dead connection fails here, within the session timeout
        if (wake == Wake::stop) break;
        if (!idle) {
            // NOOP: the server reports what changed meanwhile as untagged data.
            struct Events final : imap::UntaggedHandler {
                bool changed = false;
                void on_untagged(const imap::Response& r) override {
                    changed = changed || std::holds_alternative<imap::ExistsData>(r) ||
                              std::holds_alternative<imap::ExpungeData>(r) ||
                              std::holds_alternative<imap::VanishedData>(r) || std::holds_alternative<imap::FetchData>(r);
                }
            } events;
            session.set_handler(&events);
            try {
                session.run_ok(imap::cmd::Noop{});
            } catch (...) {
                session.set_handler(nullptr);
                throw;
            }
            session.set_handler(nullptr);
            server_event = server_event || events.changed;
        } else {
            session.run_ok(imap::cmd::Noop{});
        }
        if (wake == Wake::queue) replay_now(session);
        if (Clock::now() >= next_full) {
            replay_now(session);
            pull_now();
            next_full = Clock::now() + options_.full_pull_interval;
        } else if (server_event) {
            pull_now();
        }
    }
    session.logout();
}

}  // namespace

void watch(store::Store& store, const WatchHooks& hooks, int stop_fd, const WatchOptions& options) {
    Watcher watcher(store, hooks, stop_fd, options);
    watcher.run();
}

std::chrono::milliseconds backoff_delay(unsigned attempt, std::chrono::milliseconds initial,
                                        std::chrono::milliseconds max, double random01) {
    double base = static_cast<double>(initial.count());
    for (unsigned i = 0; i < attempt && base < static_cast<double>(max.count()); ++i) base *= 2;
    base = std::min(base, static_cast<double>(max.count()));
    const double jittered = base * (0.75 + 0.5 * std::clamp(random01, 0.0, 1.0));
    return milliseconds(static_cast<milliseconds::rep>(jittered));
}

}  // namespace mailsync::sync

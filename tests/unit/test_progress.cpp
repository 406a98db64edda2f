// sync's progress (cli/progress.hpp, sync/pull/worker_progress.hpp): the total known from the
// mailbox plan before the first message, refined per mailbox; an ETA from the messages' pace.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli/progress.hpp"
#include "sync/pull/worker_progress.hpp"

using namespace mailsync;
using namespace std::chrono_literals;

namespace {

struct Recorder final : sync::PullProgress {
    std::vector<sync::PullCounts> calls;
    void on_progress(const sync::PullCounts& counts, const std::string&) override { calls.push_back(counts); }
};

sync::PullCounts counts(std::uint64_t done, std::uint64_t total, std::uint64_t bytes = 0) {
    sync::PullCounts c;
    c.messages_done = done;
    c.messages_total = total;
    c.bytes_done = bytes;
    return c;
}

}  // namespace

TEST_CASE("the planned total is shown before any message and replaced by what each mailbox finds", "[progress]") {
    Recorder recorder;
    sync::WorkerProgress progress(&recorder);
    progress.expect("INBOX", 300);
    progress.expect("Archive", 200);
    progress.expect("Empty", 0);
    progress.announce();
    REQUIRE(recorder.calls.size() == 1);
    CHECK(recorder.calls[0].messages_total == 500);
    CHECK(recorder.calls[0].messages_done == 0);

    // INBOX holds 280 new ones (some were expunged meanwhile): the estimate gives way.
    progress.learn_total("INBOX", 280);
    progress.add_done(10, 0, "INBOX");
    CHECK(recorder.calls.back().messages_total == 480);
    // Archive had nothing new after all (its count grew by a move the pull recognises): settled.
    progress.settle("Archive");
    progress.add_done(270, 0, "INBOX");
    CHECK(recorder.calls.back().messages_total == 280);
    CHECK(recorder.calls.back().messages_done == 280);
    // Settling again, or a mailbox never expected, changes nothing.
    progress.settle("Archive");
    progress.settle("Other");
    progress.add_done(0, 0, "INBOX");
    CHECK(recorder.calls.back().messages_total == 280);
}

TEST_CASE("nothing to announce when nothing is expected", "[progress]") {
    Recorder recorder;
    sync::WorkerProgress progress(&recorder);
    progress.announce();
    CHECK(recorder.calls.empty());
}

TEST_CASE("the progress line: the total from the start, the ETA from the messages' pace", "[progress]") {
    // Before any message: the total, no rate, no ETA.
    const std::string start = cli::progress_line(counts(0, 500), "INBOX", 0ms);
    CHECK(start.find("0/500 msgs") != std::string::npos);
    CHECK(start.find("ETA") == std::string::npos);

    // 100 of 500 in 10 s: 400 more at the same pace is 40 s, whatever the bytes say.
    const std::string line = cli::progress_line(counts(100, 500, 50'000'000), "INBOX", 10s);
    CHECK(line.find("100/500 msgs") != std::string::npos);
    CHECK(line.find("50.0 MB") != std::string::npos);
    CHECK(line.find("5.0 MB/s") != std::string::npos);
    CHECK(line.find("ETA 0:40") != std::string::npos);
    CHECK(line.find("[####----------------]") != std::string::npos);

    // Too early to tell (under 2 s): no ETA rather than a wild one.
    CHECK(cli::progress_line(counts(3, 500, 10), "INBOX", 1500ms).find("ETA") == std::string::npos);
    // Done: no ETA.
    CHECK(cli::progress_line(counts(500, 500, 10), "INBOX", 60s).find("ETA") == std::string::npos);
    // An hour or more: h:mm:ss.
    CHECK(cli::progress_line(counts(1, 4000, 10), "INBOX", 3s).find("ETA 3:19:57") != std::string::npos);
}

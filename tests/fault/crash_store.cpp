// Crash safety of the store: a child process writes messages, bodies and queue entries as a sync
// would, and is SIGKILLed at a random moment, many times over. The moment is timed from the
// child's progress, not from fork: it reports each committed transaction on a pipe, and the kill
// comes a random 0–15 ms after its 1st to 3rd commit of the round (so it lands while bodies are
// written or a transaction commits, and every round has made progress to survive, however loaded
// the machine). After every kill the store must open
// (the account lock died with the child), verify clean (every row names an existing body with the
// right hash, every index and counter in step), and the next writer must continue where the last
// one stopped. The seed is printed on failure, so a failing run can be replayed.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "store/store.hpp"
#include "../unit/store_test_support.hpp"

using namespace mailsync::store;
using mailsync::store::testing::TempDir;

namespace {

// A body of a size that varies from tiny to ~200 KB; every 5th repeats an earlier one, to
// exercise "same content, one file".
std::string body_for(Uid uid) {
    Uid content = uid % 5 == 0 ? uid / 5 : uid;
    std::string body = "Message-ID: <" + std::to_string(content) + "@crash.test>\r\n\r\n";
    std::size_t size = (content * 2654435761u) % (200u << 10);
    body.append(size, static_cast<char>('a' + content % 26));
    return body;
}

// The child: writes forever (until killed), resuming after the highest UID present; one byte on
// `progress` after each committed transaction.
[[noreturn]] void write_until_killed(const std::filesystem::path& directory, int progress) {
    try {
        auto store = Store::open(directory, Access::exclusive);
        MailboxId inbox = store.write([](WriteTxn& t) {
            if (auto existing = t.mailbox_by_name("INBOX")) return existing->id;
            MailboxRecord mailbox;
            mailbox.name = "INBOX";
            return t.add_mailbox(mailbox);
        });
        auto uids = store.read([&](const ReadTxn& t) { return t.uids(inbox); });
        Uid next = uids.empty() ? 1 : uids.back().first + 1;
        for (;; next += 4) {
            // Bodies first, as the engine does: then one transaction naming them.
            std::vector<MessageRecord> batch;
            for (Uid uid = next; uid < next + 4; ++uid) {
                std::string content = body_for(uid);
                BlobWriter writer = store.begin_body();
                for (std::size_t at = 0; at < content.size(); at += 8192) {
                    writer.write(std::string_view(content).substr(at, 8192));
                }
                StoredBody body = writer.commit();
                MessageRecord message;
                message.mailbox = inbox;
                message.uid = uid;
                message.body_hash = body.hash;
                message.size = body.size;
                message.message_id = "<" + std::to_string(uid) + "@crash.test>";
                message.flags = uid % 2 ? std::vector<std::string>{"\\Seen"} : std::vector<std::string>{};
                batch.push_back(message);
            }
            store.write([&](WriteTxn& t) {
                MessageId first = 0;
                for (const auto& message : batch) {
                    const MessageId id = t.add_message(message);
                    if (first == 0) first = id;
                }
                // Now and then an expunge and a queued change, so that indexes shrink too. The change
                // names the batch's first message (UID next), never a victim (UID next - 2 of a batch).
                if (next % 3 == 0) {
                    if (auto victim = t.message_by_uid(inbox, next - 2)) t.remove_message(victim->id);
                    QueueRecord change;
                    change.kind = QueueKind::flags;
                    change.message = first;
                    change.mailbox = inbox;
                    change.uid = next;
                    change.add_flags = {"\\Flagged"};
                    t.enqueue(change);
                }
            });
            if (::write(progress, "c", 1) != 1) ::_exit(3);
        }
    } catch (...) {
        ::_exit(2);
    }
}

}  // namespace

TEST_CASE("a store writer killed at random moments leaves a sound store", "[store][fault]") {
    TempDir dir;
    auto seed = static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    CAPTURE(seed);
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> commits(1, 3);
    std::uniform_int_distribution<int> delay_ms(0, 15);

    constexpr int kills = 25;
    std::size_t previous_count = 0;
    int progressed = 0;
    for (int round = 0; round < kills; ++round) {
        CAPTURE(round);
        int progress[2];
        REQUIRE(::pipe(progress) == 0);
        pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            ::close(progress[0]);
            write_until_killed(dir.store(), progress[1]);
        }
        ::close(progress[1]);
        // Wait for the child's commits of this round (60 s at most: a writer that stalls fails).
        const int wanted = commits(random);
        int seen = 0;
        for (char byte; seen < wanted;) {
            pollfd ready{.fd = progress[0], .events = POLLIN, .revents = 0};
            if (::poll(&ready, 1, 60'000) != 1 || ::read(progress[0], &byte, 1) != 1) break;
            ++seen;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
        ::kill(child, SIGKILL);
        ::close(progress[0]);
        CHECK(seen == wanted);
        int status = 0;
        ::waitpid(child, &status, 0);
        REQUIRE(WIFSIGNALED(status));   // the writer did not stop on an error of its own

        auto store = Store::open(dir.store(), Access::exclusive);
        auto problems = store.verify(true);
        for (const auto& problem : problems) FAIL_CHECK(problem);
        store.sweep(std::chrono::seconds(0));   // the killed writer's tmp file and orphan bodies
        CHECK(store.verify(true).empty());
        CHECK(std::filesystem::is_empty(dir.store() / "tmp"));

        std::size_t count = store.read([](const ReadTxn& t) {
            auto inbox = t.mailbox_by_name("INBOX");
            return inbox ? t.uids(inbox->id).size() : 0u;
        });
        CHECK(count >= previous_count);   // committed rows survive every later kill
        if (count > previous_count) ++progressed;
        previous_count = count;
    }
    // The writers did resume and add messages after every kill (not merely survive them).
    CHECK(progressed == kills);
    CHECK(previous_count > 0);
}

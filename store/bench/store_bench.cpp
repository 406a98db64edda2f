// Micro benchmark of the queries local commands make, on one 100k-message mailbox:
//   store_bench [DIR] [MESSAGES]
// Not a test: it prints timings. DIR (default: a fresh directory under /tmp) is left behind.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "store/store.hpp"

using namespace mailsync::store;
using Clock = std::chrono::steady_clock;

namespace {

template <class Action>
double milliseconds(Action&& action) {
    auto start = Clock::now();
    action();
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

MessageRecord realistic_message(MailboxId mailbox, Uid uid) {
    MessageRecord message;
    message.mailbox = mailbox;
    message.uid = uid;
    message.flags = uid % 4 == 0 ? std::vector<std::string>{} : std::vector<std::string>{"\\Seen"};
    message.synced_flags = message.flags;
    message.modseq = uid * 3ULL;
    message.internaldate = 1600000000 + uid * 60LL;
    message.size = 4000 + uid % 70000;
    message.body_hash = Sha256::of(std::to_string(uid));
    message.message_id = fmt::format("<{}.{}@mail.example.com>", uid, uid * 7919ULL);
    message.date = "Tue, 14 Nov 2023 22:13:20 +0000";
    message.from = fmt::format("Sender Number {} <sender{}@example.org>", uid % 500, uid % 500);
    message.subject = fmt::format("Re: quarterly report, draft {} of the planning document", uid);
    return message;
}

}  // namespace

int main(int argc, char** argv) {
    std::filesystem::path directory =
        argc > 1 ? std::filesystem::path(argv[1])
                 : std::filesystem::temp_directory_path() / fmt::format("mailsync-store-bench-{}", ::getpid());
    Uid count = argc > 2 ? static_cast<Uid>(std::strtoul(argv[2], nullptr, 10)) : 100000;

    auto store = Store::open(directory, Access::exclusive);
    MailboxId inbox = store.write([](WriteTxn& t) {
        MailboxRecord mailbox;
        mailbox.name = "INBOX";
        return t.add_mailbox(mailbox);
    });
    constexpr Uid batch = 1000;
    double insert_ms = milliseconds([&] {
        for (Uid first = 1; first <= count; first += batch) {
            store.write([&](WriteTxn& t) {
                for (Uid uid = first; uid < first + batch && uid <= count; ++uid) t.add_message(realistic_message(inbox, uid));
            });
        }
    });
    fmt::print("store: {}  messages: {}\n", directory.string(), count);
    fmt::print("insert, batches of {} per transaction: {:8.1f} ms\n", batch, insert_ms);

    std::size_t listed = 0;
    double list_ms = milliseconds([&] {
        store.read([&](const ReadTxn& t) {
            t.for_each_message(inbox, [&](const MessageRecord& m) { listed += m.subject.empty() ? 0u : 1u; });
        });
    });
    fmt::print("list (every record decoded, UID order):   {:8.1f} ms ({} rows)\n", list_ms, listed);

    double uids_ms = milliseconds([&] { listed = store.read([&](const ReadTxn& t) { return t.uids(inbox).size(); }); });
    fmt::print("known UIDs (index only):                  {:8.1f} ms ({} rows)\n", uids_ms, listed);

    MailboxCounts counted;
    double counts_ms = milliseconds([&] { counted = store.read([&](const ReadTxn& t) { return *t.counts(inbox); }); });
    fmt::print("counts from the counters record:          {:8.3f} ms ({} messages, {} unseen)\n", counts_ms,
               counted.messages, counted.unseen);
    double scan_ms = milliseconds([&] { counted = store.read([&](const ReadTxn& t) { return t.count_by_scan(inbox); }); });
    fmt::print("counts by a cursor scan:                  {:8.1f} ms ({} messages, {} unseen)\n", scan_ms,
               counted.messages, counted.unseen);

    constexpr Uid lookups = 10000;
    double lookup_ms = milliseconds([&] {
        store.read([&](const ReadTxn& t) {
            for (Uid i = 0; i < lookups; ++i) listed += t.message(MessageId{i * 7 % count} + 1) ? 1u : 0u;
        });
    });
    fmt::print("lookup by id:                             {:8.4f} ms each\n", lookup_ms / lookups);
    double by_uid_ms = milliseconds([&] {
        store.read([&](const ReadTxn& t) {
            for (Uid i = 0; i < lookups; ++i) listed += t.message_by_uid(inbox, i * 13 % count + 1) ? 1u : 0u;
        });
    });
    fmt::print("lookup by UID:                            {:8.4f} ms each\n", by_uid_ms / lookups);
    double by_hash_ms = milliseconds([&] {
        store.read([&](const ReadTxn& t) {
            for (Uid i = 0; i < lookups; ++i) listed += t.messages_with_body(Sha256::of(std::to_string(i + 1))).size();
        });
    });
    fmt::print("lookup by body hash (incl. hashing):      {:8.4f} ms each\n", by_hash_ms / lookups);
    double open_ms = milliseconds([&] { Store::open(directory, Access::shared); });
    fmt::print("open (shared):                            {:8.2f} ms\n", open_ms);
    fmt::print("data.mdb: {:.1f} MiB\n",
               static_cast<double>(std::filesystem::file_size(directory / "data.mdb")) / (1 << 20));
    return 0;
}

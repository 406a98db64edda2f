// The store's tables through its transactions: indexes and counters kept in step, aborts that
// leave nothing, ids never reused, a map that grows.
#include <catch2/catch.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <fmt/format.h>

#include "common/error.hpp"
#include "store/store.hpp"
#include "store_test_support.hpp"

using namespace mailsync;
using namespace mailsync::store;
using mailsync::store::testing::sample_mailbox;
using mailsync::store::testing::sample_message;
using mailsync::store::testing::TempDir;

namespace {

ErrorCategory category_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& error) {
        return error.category();
    }
    FAIL("no mailsync::Error was thrown");
    return ErrorCategory::internal;
}

std::vector<std::optional<Uid>> uids_listed(Store& store, MailboxId mailbox) {
    return store.read([&](const ReadTxn& t) {
        std::vector<std::optional<Uid>> out;
        t.for_each_message(mailbox, [&](const MessageRecord& m) { out.push_back(m.uid); });
        return out;
    });
}

}  // namespace

TEST_CASE("a write that throws leaves nothing behind", "[store][txn]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    CHECK_THROWS_WITH(store.write([&](WriteTxn& t) {
        MailboxId inbox = t.add_mailbox(sample_mailbox("INBOX"));
        t.add_message(sample_message(inbox, 1, Sha256::of("x")));
        t.enqueue(QueueRecord{});
        throw std::runtime_error("stop");
    }),
                      "stop");
    store.read([&](const ReadTxn& t) {
        CHECK(t.mailboxes().empty());
        CHECK_FALSE(t.mailbox_by_name("INBOX"));
        CHECK_FALSE(t.message(1));
        CHECK(t.queue().empty());
        CHECK(t.messages_with_body(Sha256::of("x")).empty());
    });
    // The id counters were rolled back too.
    CHECK(store.write([](WriteTxn& t) { return t.add_mailbox(sample_mailbox("INBOX")); }) == 1);
}

TEST_CASE("a committed write is there after reopening", "[store][txn]") {
    TempDir dir;
    MessageId id = 0;
    {
        auto store = Store::open(dir.store(), Access::exclusive);
        id = store.write([&](WriteTxn& t) {
            MailboxId inbox = t.add_mailbox(sample_mailbox("INBOX"));
            return t.add_message(sample_message(inbox, 10, Sha256::of("x")));
        });
    }
    auto store = Store::open(dir.store(), Access::shared);
    auto message = store.read([&](const ReadTxn& t) { return t.message(id); });
    REQUIRE(message);
    CHECK(message->uid == 10u);
    CHECK(message->body_hash == Sha256::of("x"));
}

TEST_CASE("mailboxes: names are unique, renames follow, removal takes the messages", "[store][txn]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    auto [inbox, work] = store.write([](WriteTxn& t) {
        return std::pair{t.add_mailbox(sample_mailbox("INBOX")), t.add_mailbox(sample_mailbox("Work"))};
    });
    CHECK(inbox != work);
    CHECK(category_of([&] { store.write([](WriteTxn& t) { t.add_mailbox(sample_mailbox("Work")); }); }) ==
          ErrorCategory::bad_input);
    CHECK(category_of([&] { store.write([](WriteTxn& t) { t.add_mailbox(sample_mailbox("")); }); }) ==
          ErrorCategory::bad_input);
    CHECK(category_of([&] { store.write([](WriteTxn& t) { t.remove_mailbox(999); }); }) == ErrorCategory::bad_input);

    store.write([&, work = work](WriteTxn& t) {
        MailboxRecord record = *t.mailbox(work);
        record.name = "Projects";
        record.highestmodseq = 55;
        t.put_mailbox(record);
    });
    store.read([&, work = work](const ReadTxn& t) {
        CHECK_FALSE(t.mailbox_by_name("Work"));
        REQUIRE(t.mailbox_by_name("Projects"));
        CHECK(t.mailbox_by_name("Projects")->id == work);
        CHECK(t.mailbox(work)->highestmodseq == 55);
    });
    // Renaming onto a name in use is refused and changes nothing.
    CHECK(category_of([&, work = work] {
              store.write([&](WriteTxn& t) {
                  MailboxRecord record = *t.mailbox(work);
                  record.name = "INBOX";
                  t.put_mailbox(record);
              });
          }) == ErrorCategory::bad_input);

    MessageId in_work = store.write([&, work = work](WriteTxn& t) {
        t.add_message(sample_message(work, 1, Sha256::of("a")));
        return t.add_message(sample_message(work, 2, Sha256::of("b")));
    });
    store.write([&, work = work](WriteTxn& t) { t.remove_mailbox(work); });
    store.read([&, work = work, inbox = inbox](const ReadTxn& t) {
        CHECK_FALSE(t.mailbox(work));
        CHECK_FALSE(t.mailbox_by_name("Projects"));
        CHECK_FALSE(t.message(in_work));
        CHECK(t.messages_with_body(Sha256::of("a")).empty());
        CHECK(t.mailboxes().size() == 1);
        CHECK(t.mailboxes().front().id == inbox);
    });
}

TEST_CASE("messages are listed in UID order, then those waiting for a UID", "[store][txn]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    MailboxId inbox = store.write([](WriteTxn& t) { return t.add_mailbox(sample_mailbox("INBOX")); });
    MailboxId other = store.write([](WriteTxn& t) { return t.add_mailbox(sample_mailbox("Other")); });
    for (const char* body : {"m", "offline", "o"}) store.put_body(body);   // so that verify passes
    MessageId offline = 0;
    store.write([&](WriteTxn& t) {
        for (Uid uid : {500u, 3u, 70000u, 256u}) t.add_message(sample_message(inbox, uid, Sha256::of("m")));
        offline = t.add_message(sample_message(inbox, std::nullopt, Sha256::of("offline")));
        t.add_message(sample_message(other, 1, Sha256::of("o")));
    });
    CHECK(uids_listed(store, inbox) == std::vector<std::optional<Uid>>{3u, 256u, 500u, 70000u, std::nullopt});
    // Backwards (`list --limit`): that order reversed, only as far as asked, never into the next
    // mailbox's entries, and the last mailbox's too (no key after its prefix).
    const auto backward = [&](MailboxId mailbox, std::size_t most) {
        return store.read([&](const ReadTxn& t) {
            std::vector<std::optional<Uid>> out;
            t.for_each_message_backward(mailbox, [&](const MessageRecord& m) {
                out.push_back(m.uid);
                return out.size() < most;
            });
            return out;
        });
    };
    CHECK(backward(inbox, 10) == std::vector<std::optional<Uid>>{std::nullopt, 70000u, 500u, 256u, 3u});
    CHECK(backward(inbox, 2) == std::vector<std::optional<Uid>>{std::nullopt, 70000u});
    CHECK(backward(other, 10) == std::vector<std::optional<Uid>>{1u});
    CHECK(backward(other + 1, 10).empty());
    store.read([&](const ReadTxn& t) {
        auto uids = t.uids(inbox);
        REQUIRE(uids.size() == 4);
        CHECK(uids.front().first == 3u);
        CHECK(t.message(uids.front().second)->uid == 3u);
        std::vector<std::pair<Uid, MessageId>> visited;   // the same, without collecting them in the store
        t.for_each_uid(inbox, [&](Uid uid, MessageId id) { visited.emplace_back(uid, id); });
        CHECK(visited == uids);
        std::size_t in_other = 0;
        t.for_each_uid(other, [&](Uid uid, MessageId) { in_other += uid == 1u ? 1 : 100; });
        CHECK(in_other == 1);
        CHECK(t.messages_without_uid(inbox) == std::vector<MessageId>{offline});
        CHECK(t.message_by_uid(inbox, 256)->uid == 256u);
        CHECK_FALSE(t.message_by_uid(inbox, 257));
        CHECK_FALSE(t.message_by_uid(other, 256));
    });

    SECTION("an offline message gets its UID and keeps its id") {
        store.write([&](WriteTxn& t) {
            MessageRecord record = *t.message(offline);
            record.uid = 70001;
            t.put_message(record);
        });
        CHECK(uids_listed(store, inbox) == std::vector<std::optional<Uid>>{3u, 256u, 500u, 70000u, 70001u});
        store.read([&](const ReadTxn& t) {
            CHECK(t.message_by_uid(inbox, 70001)->id == offline);
            CHECK(t.messages_without_uid(inbox).empty());
        });
    }
    SECTION("a UID in use is refused and nothing changes") {
        CHECK(category_of([&] {
                  store.write([&](WriteTxn& t) {
                      MessageRecord record = *t.message(offline);
                      record.uid = 500;
                      t.put_message(record);
                  });
              }) == ErrorCategory::bad_input);
        CHECK(category_of([&] { store.write([&](WriteTxn& t) { t.add_message(sample_message(inbox, 3, {})); }); }) ==
              ErrorCategory::bad_input);
        CHECK(uids_listed(store, inbox).size() == 5);
        CHECK(store.verify(false).empty());
    }
    SECTION("a move keeps the id and changes the listing of both mailboxes") {
        store.write([&](WriteTxn& t) {
            MessageRecord record = *t.message_by_uid(inbox, 500);
            record.mailbox = other;
            record.uid.reset();
            t.put_message(record);
        });
        CHECK(uids_listed(store, inbox) == std::vector<std::optional<Uid>>{3u, 256u, 70000u, std::nullopt});
        CHECK(uids_listed(store, other) == std::vector<std::optional<Uid>>{1u, std::nullopt});
        CHECK(store.verify(false).empty());
    }
    SECTION("unknown ids are bad input") {
        CHECK(category_of([&] { store.write([](WriteTxn& t) { t.remove_message(424242); }); }) ==
              ErrorCategory::bad_input);
        CHECK(category_of([&] { store.write([](WriteTxn& t) { t.add_message(sample_message(99, 1, {})); }); }) ==
              ErrorCategory::bad_input);
        MessageRecord ghost = sample_message(inbox, 9, {});
        ghost.id = 424242;
        CHECK(category_of([&] { store.write([&](WriteTxn& t) { t.put_message(ghost); }); }) ==
              ErrorCategory::bad_input);
    }
}

TEST_CASE("the kept UID count, the highest UID and a UID range agree with a walk of the index", "[store][txn]") {
    // What a resync reads instead of walking a mailbox's UIDs (sync/pull/mailbox_sync.cpp): checked
    // against the walk after random adds, offline messages, UIDs given, moves and removals.
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    const MailboxId inbox = store.write([](WriteTxn& t) { return t.add_mailbox(sample_mailbox("INBOX")); });
    const MailboxId other = store.write([](WriteTxn& t) { return t.add_mailbox(sample_mailbox("Other")); });
    const MailboxId last = store.write([](WriteTxn& t) { return t.add_mailbox(sample_mailbox("Last")); });
    const std::vector<MailboxId> mailboxes{inbox, other, last};
    std::mt19937 random(5);
    const auto check = [&] {
        store.read([&](const ReadTxn& t) {
            for (MailboxId mailbox : mailboxes) {
                std::vector<Uid> walked;
                t.for_each_uid(mailbox, [&](Uid uid, MessageId) { walked.push_back(uid); });
                REQUIRE(t.count_uids(mailbox) == walked.size());
                if (walked.empty()) REQUIRE_FALSE(t.highest_uid(mailbox));
                else REQUIRE(t.highest_uid(mailbox) == walked.back());
                const Uid first = static_cast<Uid>(random() % 300), to = first + static_cast<Uid>(random() % 100);
                std::vector<Uid> between, expected;
                t.for_each_uid_between(mailbox, first, to, [&](Uid uid, MessageId) { between.push_back(uid); });
                for (Uid uid : walked)
                    if (uid >= first && uid <= to) expected.push_back(uid);
                REQUIRE(between == expected);
            }
        });
    };
    check();
    for (int step = 0; step < 400; ++step) {
        store.write([&](WriteTxn& t) {
            const MailboxId mailbox = mailboxes[random() % mailboxes.size()];
            const auto ids = [&](MailboxId in) {
                std::vector<MessageId> out;
                t.for_each_message(in, [&](const MessageRecord& m) { out.push_back(m.id); });
                return out;
            };
            switch (random() % 5) {
            case 0:
            case 1: {   // a pulled message (a UID in use is skipped, as the pull does)
                const Uid uid = 1 + static_cast<Uid>(random() % 300);
                if (!t.message_by_uid(mailbox, uid)) t.add_message(sample_message(mailbox, uid, Sha256::of("m")));
                break;
            }
            case 2: {   // an offline append, or a UID given to one
                const auto waiting = t.messages_without_uid(mailbox);
                const Uid uid = 1 + static_cast<Uid>(random() % 300);
                if (waiting.empty() || t.message_by_uid(mailbox, uid)) {
                    t.add_message(sample_message(mailbox, std::nullopt, Sha256::of("offline")));
                } else {
                    MessageRecord record = *t.message(waiting.front());
                    record.uid = uid;
                    t.put_message(record);
                }
                break;
            }
            case 3: {   // a local move: into another mailbox, waiting for its UID there
                const auto here = ids(mailbox);
                if (here.empty()) break;
                MessageRecord record = *t.message(here[random() % here.size()]);
                record.mailbox = mailboxes[random() % mailboxes.size()];
                record.uid.reset();
                t.put_message(record);
                break;
            }
            default: {   // an expunge
                const auto here = ids(mailbox);
                if (!here.empty()) t.remove_message(here[random() % here.size()]);
                break;
            }
            }
        });
        if (step % 10 == 0) check();
    }
    check();
}

TEST_CASE("message ids are never reused", "[store][txn]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    MailboxId inbox = store.write([](WriteTxn& t) { return t.add_mailbox(sample_mailbox("INBOX")); });
    MessageId first = store.write([&](WriteTxn& t) { return t.add_message(sample_message(inbox, 1, {})); });
    store.write([&](WriteTxn& t) { t.remove_message(first); });
    MessageId second = store.write([&](WriteTxn& t) { return t.add_message(sample_message(inbox, 1, {})); });
    CHECK(second > first);
}

TEST_CASE("counters follow adds, flag changes, moves and removals", "[store][txn]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    auto [inbox, archive] = store.write([](WriteTxn& t) {
        return std::pair{t.add_mailbox(sample_mailbox("INBOX")), t.add_mailbox(sample_mailbox("Archive"))};
    });
    std::vector<MessageId> ids;
    store.write([&, inbox = inbox](WriteTxn& t) {
        for (Uid uid = 1; uid <= 10; ++uid) {
            MessageRecord message = sample_message(inbox, uid, Sha256::of(std::to_string(uid)));
            if (uid % 3 == 0) message.flags = {"\\Seen"};
            ids.push_back(t.add_message(message));
        }
    });
    auto counts = [&](MailboxId mailbox) { return store.read([&](const ReadTxn& t) { return *t.counts(mailbox); }); };
    CHECK(counts(inbox) == MailboxCounts{10, 7});
    store.write([&](WriteTxn& t) {
        MessageRecord read_now = *t.message(ids[0]);
        read_now.flags.push_back("\\Seen");
        t.put_message(read_now);
        MessageRecord moved = *t.message(ids[1]);
        moved.mailbox = archive;
        t.put_message(moved);
        t.remove_message(ids[2]);   // a seen one
    });
    CHECK(counts(inbox) == MailboxCounts{8, 5});
    CHECK(counts(archive) == MailboxCounts{1, 1});
    store.read([&, inbox = inbox, archive = archive](const ReadTxn& t) {
        CHECK(t.count_by_scan(inbox) == *t.counts(inbox));
        CHECK(t.count_by_scan(archive) == *t.counts(archive));
    });
}

TEST_CASE("body and Message-ID indexes find every place of a message", "[store][txn]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    BodyHash shared = Sha256::of("same body");
    auto [a, b, c] = store.write([&](WriteTxn& t) {
        MailboxId inbox = t.add_mailbox(sample_mailbox("INBOX"));
        MailboxId all = t.add_mailbox(sample_mailbox("[Gmail]/All Mail"));
        MessageRecord first = sample_message(inbox, 1, shared);
        first.message_id = "<one@example.com>";
        MessageRecord second = sample_message(all, 1, shared);
        second.message_id = "<one@example.com>";
        MessageRecord third = sample_message(all, 2, Sha256::of("other"));
        third.message_id = "<two@example.com>";
        return std::tuple{t.add_message(first), t.add_message(second), t.add_message(third)};
    });
    store.read([&, a = a, b = b, c = c](const ReadTxn& t) {
        CHECK(t.messages_with_body(shared) == std::vector<MessageId>{a, b});
        CHECK(t.messages_with_body(Sha256::of("other")) == std::vector<MessageId>{c});
        CHECK(t.messages_with_message_id("<one@example.com>") == std::vector<MessageId>{a, b});
        CHECK(t.messages_with_message_id("<two@example.com>") == std::vector<MessageId>{c});
        CHECK(t.messages_with_message_id("<three@example.com>").empty());
        CHECK(t.messages_with_message_id("").empty());
    });
    store.write([&, a = a](WriteTxn& t) {
        MessageRecord changed = *t.message(a);
        changed.message_id = "<renamed@example.com>";
        changed.body_hash = Sha256::of("re-fetched");
        t.put_message(changed);
    });
    store.read([&, a = a, b = b](const ReadTxn& t) {
        CHECK(t.messages_with_body(shared) == std::vector<MessageId>{b});
        CHECK(t.messages_with_message_id("<one@example.com>") == std::vector<MessageId>{b});
        CHECK(t.messages_with_message_id("<renamed@example.com>") == std::vector<MessageId>{a});
    });
}

TEST_CASE("the offline queue keeps order and replay state, and conflicts are kept", "[store][txn]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    auto seqs = store.write([](WriteTxn& t) {
        std::vector<Seq> out;
        for (auto kind : {QueueKind::flags, QueueKind::move, QueueKind::append}) {
            QueueRecord change;
            change.kind = kind;
            out.push_back(t.enqueue(change));
        }
        return out;
    });
    CHECK(std::is_sorted(seqs.begin(), seqs.end()));
    store.write([&](WriteTxn& t) {
        QueueRecord sent = *t.queue_entry(seqs[1]);
        sent.state = QueueState::sent;
        sent.attempts = 1;
        t.put_queue_entry(sent);
        t.remove_queue_entry(seqs[0]);
    });
    auto queue = store.read([](const ReadTxn& t) { return t.queue(); });
    REQUIRE(queue.size() == 2);
    CHECK(queue[0].seq == seqs[1]);
    CHECK(queue[0].kind == QueueKind::move);
    CHECK(queue[0].state == QueueState::sent);
    CHECK(queue[1].kind == QueueKind::append);
    CHECK(category_of([&] { store.write([&](WriteTxn& t) { t.remove_queue_entry(seqs[0]); }); }) ==
          ErrorCategory::bad_input);
    // A new entry never takes the place of a removed one.
    Seq next = store.write([](WriteTxn& t) { return t.enqueue(QueueRecord{}); });
    CHECK(next > seqs[2]);

    store.write([](WriteTxn& t) {
        ConflictRecord conflict;
        conflict.rule = "delete-wins";
        t.add_conflict(conflict);
        t.add_conflict(conflict);
    });
    auto conflicts = store.read([](const ReadTxn& t) { return t.conflicts(); });
    REQUIRE(conflicts.size() == 2);
    CHECK(conflicts[0].seq < conflicts[1].seq);
    CHECK(conflicts[1].rule == "delete-wins");
}

TEST_CASE("export state and token cache", "[store][txn]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    store.write([](WriteTxn& t) {
        t.put_export_state("maildir:/backup", ExportStateRecord{"maildir", "/backup", 41, 5});
        t.put_oauth_token("token", OAuthTokenRecord{"secret", 99});
    });
    store.read([](const ReadTxn& t) {
        CHECK(t.export_state("maildir:/backup")->last_message == 41);
        CHECK_FALSE(t.export_state("mbox:/x"));
        CHECK(t.oauth_token("token")->access_token == "secret");
    });
    store.write([](WriteTxn& t) { t.remove_oauth_token("token"); });
    CHECK_FALSE(store.read([](const ReadTxn& t) { return t.oauth_token("token"); }));
}

TEST_CASE("the map grows when a write does not fit", "[store][txn]") {
    TempDir dir;
    OpenOptions options;
    options.initial_map_size = 64u << 10;
    auto store = Store::open(dir.store(), Access::exclusive, options);
    std::size_t initial = store.map_size();
    MailboxId inbox = store.write([](WriteTxn& t) { return t.add_mailbox(sample_mailbox("INBOX")); });
    int runs = 0;
    constexpr Uid count = 3000;
    store.write([&](WriteTxn& t) {
        ++runs;
        for (Uid uid = 1; uid <= count; ++uid) {
            MessageRecord message = sample_message(inbox, uid, Sha256::of(std::to_string(uid)));
            message.subject = std::string(200, 's');
            t.add_message(message);
        }
    });
    CHECK(runs > 1);   // the body ran again after the map grew
    CHECK(store.map_size() > initial);
    CHECK(store.read([&](const ReadTxn& t) { return t.uids(inbox).size(); }) == count);
    CHECK(store.read([&](const ReadTxn& t) { return *t.counts(inbox); }).messages == count);
    // No body files were written for these rows; every other invariant holds.
    for (const auto& problem : store.verify(false)) CHECK(problem.find("its body") != std::string::npos);
}

namespace {

// The resident part of this process's mappings of `file` (/proc/self/smaps), in KB.
std::size_t resident_kb_of(const std::filesystem::path& file) {
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    bool inside = false;
    std::size_t kb = 0;
    const std::string name = std::filesystem::canonical(file).string();
    while (std::getline(smaps, line)) {
        if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < line.find(' ')) {
            inside = line.size() >= name.size() && line.compare(line.size() - name.size(), name.size(), name) == 0;
        } else if (inside && line.rfind("Rss:", 0) == 0) {
            kb += std::stoul(line.substr(4));
        }
    }
    return kb;
}

}  // namespace

TEST_CASE("reads spread over a large store do not leave the whole file resident", "[store][txn]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    constexpr int records = 60'000;
    const std::string value(300, 'v');
    const auto key = [](int i) { return fmt::format("scale-{:08}", i); };
    store.write([&](WriteTxn& t) {
        for (int i = 0; i < records; ++i) t.lmdb().put(t.tables().meta, key(i), value);
    });
    const auto file_kb = std::filesystem::file_size(dir.store() / "data.mdb") / 1024;
    REQUIRE(file_kb > 20'000);
    // Random lookups over all of it: with fault-around each one would map 64 KB of the file.
    std::mt19937 random(42);
    std::uniform_int_distribution<int> any_record(0, records - 1);
    std::size_t found = 0;
    store.read([&](const ReadTxn& t) {
        for (int i = 0; i < 20'000; ++i) if (t.lmdb().get(t.tables().meta, key(any_record(random)))) ++found;
    });
    CHECK(found == 20'000);
    // Dropped every 128 operations (store/lmdb.cpp): at most 128 lookups' worth stays mapped.
    CHECK(resident_kb_of(dir.store() / "data.mdb") < 10'000);
}

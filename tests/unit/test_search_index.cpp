// The search index (sync/search/search_index.hpp) against a real store: what each operator finds,
// how flag changes, moves and removals reach the index (and which of them re-read a body), and
// that an index left behind by a crash is never believed: it is compared and repaired.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>
#include <xapian.h>

#include "store/store.hpp"
#include "sync/search/search.hpp"
#include "sync/search/search_index.hpp"
#include "sync/search/search_query.hpp"
#include "tests/unit/store_test_support.hpp"

using namespace mailsync;
using namespace mailsync::sync::search;
using store::testing::TempDir;

namespace {

struct Account {
    TempDir dir;
    store::Store store = store::Store::open(dir.store(), store::Access::exclusive);
    store::MailboxId inbox = 0, archive = 0;

    Account() {
        store.write([&](store::WriteTxn& txn) {
            inbox = txn.add_mailbox(store::testing::sample_mailbox("INBOX"));
            archive = txn.add_mailbox(store::testing::sample_mailbox("Archive"));
        });
    }

    store::MessageId add(store::MailboxId mailbox, const std::string& raw, std::vector<std::string> flags = {},
                         store::UnixTime date = 1795392000) {
        const auto body = store.put_body(raw);
        auto record = store::testing::sample_message(mailbox, std::nullopt, body.hash);
        record.flags = std::move(flags);
        record.internaldate = date;
        record.size = raw.size();
        return store.write([&](store::WriteTxn& txn) { return txn.add_message(record); });
    }

    void change(store::MessageId id, const std::function<void(store::MessageRecord&)>& edit) {
        store.write([&](store::WriteTxn& txn) {
            auto record = *txn.message(id);
            edit(record);
            txn.put_message(record);
        });
    }

    std::vector<store::MessageId> find(const std::string& query, SearchOptions options = {}) {
        const auto parsed = parse_query(query, [&](std::string_view name) -> std::optional<store::MailboxId> {
            if (name == "INBOX") return inbox;
            if (name == "Archive") return archive;
            return std::nullopt;
        });
        return find_messages(store.directory(), parsed, options);
    }
};

std::string mail(const std::string& from, const std::string& subject, const std::string& body,
                 const std::string& extra_headers = "") {
    return "From: " + from + "\r\nTo: Team <team@example.org>\r\nCc: boss@example.org\r\nSubject: " + subject +
           "\r\nMessage-ID: <" + subject + "@test>\r\n" + extra_headers + "\r\n" + body + "\r\n";
}

using Ids = std::vector<store::MessageId>;

}  // namespace

TEST_CASE("search index: each operator finds its messages, newest first", "[search]") {
    Account account;
    const auto report_id = account.add(account.inbox, mail("Alice <alice@example.org>", "Quarterly report",
                                                           "The quarterly report is attached. Grüße aus München"),
                                       {"\\Seen"}, 1795392000);
    const auto lunch_id = account.add(account.inbox, mail("Bob <bob@example.org>", "Lunch", "日本語のメールです。 report later"),
                                      {"\\Flagged", "$Label1"}, 1795392000 + 3600);
    const auto old_id = account.add(account.archive,
                                    mail("Carol <carol@example.org>", "Old news",
                                         "--b\r\nContent-Type: text/plain\r\n\r\nnews inside\r\n--b\r\n"
                                         "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; "
                                         "filename=x.bin\r\n\r\n" + std::string(3000, 'x') + "\r\n--b--",
                                         "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"),
                                    {"\\Seen", "\\Answered"}, 1700000000);
    const auto report = update_index(account.store);
    CHECK(report.added == 3);
    CHECK(report.current);
    CHECK(index_is_current(account.store));
    CHECK(store::testing::permissions_of(index_directory(account.store.directory())) == 0700);

    CHECK(account.find("report") == Ids{lunch_id, report_id});   // newest first
    CHECK(account.find("\"quarterly report\"") == Ids{report_id});
    CHECK(account.find("\"report quarterly\"").empty());
    CHECK(account.find("from:alice") == Ids{report_id});
    CHECK(account.find("from:\"Bob\"") == Ids{lunch_id});
    CHECK(account.find("to:team") == Ids{lunch_id, report_id, old_id});
    CHECK(account.find("cc:boss") == Ids{lunch_id, report_id, old_id});
    CHECK(account.find("subject:lunch") == Ids{lunch_id});
    CHECK(account.find("subject:report").size() == 1);   // the body's "report" is not the subject
    CHECK(account.find("flag:seen") == Ids{report_id, old_id});
    CHECK(account.find("not flag:seen") == Ids{lunch_id});
    CHECK(account.find("flag:answered") == Ids{old_id});
    CHECK(account.find("keyword:$label1") == Ids{lunch_id});
    CHECK(account.find("mailbox:Archive") == Ids{old_id});
    CHECK(account.find("has:attachment") == Ids{old_id});
    CHECK(account.find("larger:2k") == Ids{old_id});
    CHECK(account.find("smaller:2k") == Ids{lunch_id, report_id});
    CHECK(account.find("date:2026-11-23") == Ids{lunch_id, report_id});
    CHECK(account.find("date:..2025") == Ids{old_id});
    CHECK(account.find("date:2023-11..2023-11") == Ids{old_id});
    CHECK(account.find("news or lunch") == Ids{lunch_id, old_id});
    CHECK(account.find("inside") == Ids{old_id});   // the text part of a multipart
    CHECK(account.find("(news or lunch) and flag:seen") == Ids{old_id});
    CHECK(account.find("report and not from:bob") == Ids{report_id});
    CHECK(account.find("Grüße") == Ids{report_id});
    CHECK(account.find("münchen") == Ids{report_id});
    CHECK(account.find("日本語") == Ids{lunch_id});
    CHECK(account.find("report", {.mailbox = account.archive}).empty());
    CHECK(account.find("to:team", {.limit = 2}) == Ids{lunch_id, report_id});
}

TEST_CASE("search index: phrases in body text and headers, under not, or, and, NEAR, an address", "[search]") {
    Account account;
    const store::UnixTime day = 86400;
    const auto in_body = account.add(account.inbox, mail("a@example.org", "One", "The quarterly report is late."), {}, 1795392000);
    const auto apart = account.add(account.inbox, mail("b@example.org", "Two", "A report on the quarterly numbers."), {},
                                   1795392000 + day);
    const auto in_subject = account.add(account.inbox, mail("c@example.org", "Quarterly report", "nothing here"), {},
                                        1795392000 + 2 * day);
    const auto archived = account.add(account.archive, mail("d@example.org", "Four", "see the quarterly report, and write "
                                                            "to alice@example.org"), {"\\Flagged"}, 1795392000 + 3 * day);
    const auto neither = account.add(account.inbox, mail("e@example.org", "Five", "lunch"), {}, 1795392000 + 4 * day);
    update_index(account.store);

    CHECK(account.find("\"quarterly report\"") == Ids{archived, in_subject, in_body});
    CHECK(account.find("\"report quarterly\"").empty());
    CHECK(account.find("\"report on the quarterly\"") == Ids{apart});
    CHECK(account.find("\"quarterly report\"", {.limit = 2}) == Ids{archived, in_subject});
    CHECK(account.find("\"quarterly report\"", {.mailbox = account.inbox}) == Ids{in_subject, in_body});
    CHECK(account.find("\"quarterly report\" and mailbox:Archive") == Ids{archived});
    CHECK(account.find("not \"quarterly report\"") == Ids{neither, apart});
    CHECK(account.find("quarterly -\"quarterly report\"") == Ids{apart});
    CHECK(account.find("\"quarterly report\" or lunch") == Ids{neither, archived, in_subject, in_body});
    CHECK(account.find("\"quarterly report\" and flag:flagged") == Ids{archived});
    CHECK(account.find("quarterly NEAR numbers") == Ids{apart});
    CHECK(account.find("alice@example.org") == Ids{archived});   // an address is a phrase of its words
    CHECK(account.find("subject:\"quarterly report\"") == Ids{in_subject});

    // A flag change updates the document's record part only: its positions stay.
    account.change(in_body, [](store::MessageRecord& record) { record.flags = {"\\Seen"}; });
    CHECK(update_index(account.store).updated == 1);
    CHECK(account.find("\"quarterly report\" and flag:seen") == Ids{in_body});
}

TEST_CASE("search index: text is decoded: quoted-printable, base64, charsets, encoded words", "[search]") {
    Account account;
    const auto qp = account.add(account.inbox,
                                "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <j@example.org>\r\nSubject: =?ISO-8859-1?Q?Gr=FC=DFe?=\r\n"
                                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
                                "Content-Transfer-Encoding: quoted-printable\r\n\r\nSch=F6ne Gr=FC=DFe aus K=F6ln\r\n");
    // "日本語のテキスト" in base64, beside an HTML alternative (the same text: not indexed twice).
    const auto b64 = account.add(account.inbox,
                                 "From: a@example.org\r\nSubject: base64\r\nMIME-Version: 1.0\r\n"
                                 "Content-Type: multipart/alternative; boundary=z\r\n\r\n--z\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                                 "5pel5pys6Kqe44Gu44OG44Kt44K544OI\r\n--z\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                                 "<p>rendered <b>alternative</b></p>\r\n--z--\r\n");
    // HTML alone is reduced to its text.
    const auto html = account.add(account.inbox,
                                  "From: a@example.org\r\nSubject: html\r\nMIME-Version: 1.0\r\n"
                                  "Content-Type: text/html; charset=utf-8\r\n\r\n<p>rendered <b>hypertext</b></p>\r\n");
    update_index(account.store);
    CHECK(account.find("from:jürgen") == Ids{qp});
    CHECK(account.find("subject:grüße") == Ids{qp});
    CHECK(account.find("köln") == Ids{qp});
    CHECK(account.find("\"schöne grüße\"") == Ids{qp});
    CHECK(account.find("日本語") == Ids{b64});
    CHECK(account.find("hypertext") == Ids{html});
    CHECK(account.find("alternative").empty());
    CHECK(account.find("5pel5pys6kqe44gu44og44kt44k544oi").empty());   // not the encoded form
    CHECK(account.find("iso").empty());   // nor header parameters
}

TEST_CASE("search index: flags, moves and removals update documents without re-reading bodies", "[search]") {
    Account account;
    const auto first = account.add(account.inbox, mail("alice@example.org", "First", "alpha"));
    const auto second = account.add(account.inbox, mail("bob@example.org", "Second", "beta"));
    update_index(account.store);

    account.change(first, [](store::MessageRecord& r) { r.flags = {"\\Flagged"}; });
    CHECK_FALSE(index_is_current(account.store));
    auto report = update_index(account.store);
    CHECK(report.updated == 1);
    CHECK(report.added == 0);
    CHECK(account.find("flag:flagged") == Ids{first});

    account.change(second, [&](store::MessageRecord& r) { r.mailbox = account.archive; r.uid = 5; });
    report = update_index(account.store);
    CHECK(report.updated == 1);
    CHECK(report.added == 0);
    CHECK(account.find("mailbox:Archive") == Ids{second});
    CHECK(account.find("beta") == Ids{second});   // its text stays

    account.store.write([&](store::WriteTxn& txn) { txn.remove_message(first); });
    report = update_index(account.store);
    CHECK(report.removed == 1);
    CHECK(account.find("alpha").empty());

    // A body that changed (a re-paired message whose content differs) is read again.
    const auto body = account.store.put_body(mail("bob@example.org", "Second", "gamma"));
    account.change(second, [&](store::MessageRecord& r) { r.body_hash = body.hash; });
    report = update_index(account.store);
    CHECK(report.added == 1);
    CHECK(account.find("beta").empty());
    CHECK(account.find("gamma") == Ids{second});

    // Nothing changed: nothing done.
    report = update_index(account.store);
    CHECK(report.changes() == 0);
    CHECK(report.current);
}

TEST_CASE("search index: messages deleted on the server are found only when asked for", "[search]") {
    Account account;
    const auto kept = account.add(account.inbox, mail("alice@example.org", "Kept", "delta"));
    account.change(kept, [](store::MessageRecord& r) { r.deleted_on_server = 1795392000; });
    update_index(account.store);
    CHECK(account.find("delta").empty());
    CHECK(account.find("delta", {.deleted = true}) == Ids{kept});
}

TEST_CASE("search index: a store commit the index missed is caught up, never believed", "[search]") {
    Account account;
    const auto id = account.add(account.inbox, mail("alice@example.org", "Torn", "epsilon"));
    update_index(account.store);
    // The state of a kill -9 between the store's commit and the index's: the mirror moved on.
    account.change(id, [](store::MessageRecord& r) { r.flags = {"\\Seen"}; });
    const auto added = account.add(account.inbox, mail("bob@example.org", "Late", "epsilon"));
    CHECK_FALSE(index_is_current(account.store));
    update_index(account.store);
    CHECK(index_is_current(account.store));
    CHECK(account.find("epsilon and flag:seen") == Ids{id});
    CHECK(account.find("epsilon") == Ids{added, id});
}

TEST_CASE("search index: an index whose update was cut short claims no state", "[search]") {
    Account account;
    for (int i = 0; i < 30; ++i) account.add(account.inbox, mail("a@example.org", "m" + std::to_string(i), "zeta"));
    // Stop after the first batch: what a crash mid-update leaves.
    IndexUpdateOptions options;
    options.batch = 10;
    options.progress = [](std::uint64_t done, std::uint64_t) {
        if (done == 10) throw std::runtime_error("cut");
    };
    CHECK_THROWS(update_index(account.store, options));
    CHECK_FALSE(index_is_current(account.store));
    const auto report = update_index(account.store);
    CHECK(report.added == 20);   // the first batch was committed and is kept
    CHECK(account.find("zeta").size() == 30);
}

TEST_CASE("search index: a batch is committed early once its text reaches batch_text_bytes", "[search]") {
    // Xapian holds a batch's postings in memory until it commits: the text bounds a batch too.
    const auto revisions = [](std::uint64_t text_bytes) {
        Account account;
        for (int i = 0; i < 30; ++i)
            account.add(account.inbox, mail("a@example.org", "m" + std::to_string(i), std::string(1000, 'w') + " zeta"));
        IndexUpdateOptions options;
        options.batch = 1000;   // one batch by count
        options.batch_text_bytes = text_bytes;
        CHECK(update_index(account.store, options).added == 30);
        CHECK(account.find("zeta").size() == 30);
        return Xapian::Database(index_directory(account.store.directory()).string()).get_revision();
    };
    const auto by_count = revisions(1ull << 30);
    const auto by_text = revisions(2500);   // a commit every third message
    CHECK(by_text >= by_count + 9);
}

TEST_CASE("search index: a build from empty is compacted, the copy swapped in whole", "[search]") {
    Account account;
    std::vector<store::MessageId> ids;
    for (int i = 0; i < 40; ++i)
        ids.push_back(account.add(account.inbox, mail("a@example.org", "m" + std::to_string(i), "eta theta " + std::to_string(i)),
                                  {}, 1795392000 + i));
    const auto directory = index_directory(account.store.directory());
    const auto left_over = directory.parent_path() / "search.compact";
    std::filesystem::create_directory(left_over);   // as a crash during a compaction leaves it
    IndexUpdateOptions options;
    options.batch = 7;   // several commits, as a long first build makes
    options.compact_after = 10;
    const auto built = update_index(account.store, options);
    CHECK(built.rebuilt);
    CHECK(built.added == 40);
    // A compacted copy starts its revisions afresh: one, where the build made seven.
    CHECK(Xapian::Database(directory.string()).get_revision() == 1);
    CHECK_FALSE(std::filesystem::exists(left_over));
    CHECK(store::testing::permissions_of(directory) == 0700);
    CHECK(index_is_current(account.store));
    CHECK(account.find("theta").size() == 40);
    CHECK(account.find("\"eta theta\"", {.limit = 1}) == Ids{ids.back()});
    // And it takes updates as any index does.
    account.change(ids.front(), [](store::MessageRecord& r) { r.flags = {"\\Seen"}; });
    CHECK(update_index(account.store, options).updated == 1);
    CHECK(account.find("flag:seen") == Ids{ids.front()});
}

TEST_CASE("search index: follow_pull indexes what a pull adds while it adds it, and the update after finds it done", "[search]") {
    Account account;
    account.add(account.inbox, mail("a@example.org", "before", "kappa"));
    REQUIRE(update_index(account.store).current);

    // Nothing new: the index is not touched, and stays current.
    std::atomic<bool> done{true};
    std::mutex mutex;   // as sync/pull/serialized_store.hpp serialises the workers' transactions
    const StoreRead read = [&](const std::function<void(const store::ReadTxn&)>& body) {
        std::lock_guard lock(mutex);
        account.store.read([&](const store::ReadTxn& txn) { body(txn); });
    };
    follow_pull(account.store.directory(), account.store, read, done);
    CHECK(index_is_current(account.store));

    // A "pull" adding 30 messages in batches while the index follows from another thread.
    done = false;
    std::thread follower([&] { follow_pull(account.store.directory(), account.store, read, done); });
    for (int batch = 0; batch < 3; ++batch) {
        for (int i = 0; i < 10; ++i) {
            std::lock_guard lock(mutex);
            account.add(account.inbox, mail("b@example.org", "m" + std::to_string(batch * 10 + i), "lambda"));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
    done = true;
    follower.join();
    CHECK_FALSE(index_is_current(account.store));   // it records no state: the update after does
    CHECK(account.find("lambda").size() == 30);
    IndexUpdateOptions options;
    options.compact_after = 10;
    const auto after = update_index(account.store, options);
    CHECK(after.added == 0);
    CHECK(after.current);
    CHECK(account.find("lambda or kappa").size() == 31);
    // It grew from one document to 31: compacted (a compacted copy starts at revision 1).
    const auto revision = [&] { return Xapian::Database(index_directory(account.store.directory()).string()).get_revision(); };
    CHECK(revision() == 1);
    // One more is not twice as many: no compaction.
    account.add(account.inbox, mail("c@example.org", "after", "mu"));
    CHECK(update_index(account.store, options).added == 1);
    CHECK(revision() > 1);
}

TEST_CASE("search index: a damaged index is rebuilt from the mirror", "[search]") {
    Account account;
    const auto id = account.add(account.inbox, mail("alice@example.org", "Damaged", "eta"));
    update_index(account.store);
    const auto directory = index_directory(account.store.directory());
    for (const auto& entry : std::filesystem::directory_iterator(directory))
        if (entry.path().extension() == ".glass") std::ofstream(entry.path(), std::ios::trunc) << "garbage";
    CHECK_FALSE(index_is_current(account.store));
    const auto report = update_index(account.store);
    CHECK(report.rebuilt);
    CHECK(account.find("eta") == Ids{id});
}

TEST_CASE("search index: kill -9 while indexing, then a correct search", "[search]") {
    Account account;
    for (int i = 0; i < 400; ++i)
        account.add(account.inbox, mail("a@example.org", "k" + std::to_string(i), "theta " + std::string(2000, 'y')),
                    i % 2 ? std::vector<std::string>{"\\Seen"} : std::vector<std::string>{});
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // Another process's indexing, killed mid-way (it commits every 20 documents).
        auto store = store::Store::open(account.store.directory(), store::Access::shared);
        IndexUpdateOptions options;
        options.batch = 20;
        update_index(store, options);
        ::_exit(0);
    }
    // Wait until some batches are committed, then kill.
    const auto directory = index_directory(account.store.directory());
    for (int i = 0; i < 400; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        try {
            if (Xapian::Database(directory.string()).get_doccount() >= 40) break;
        } catch (const Xapian::Error&) {
        }
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) CHECK_FALSE(index_is_current(account.store));
    else WARN("the indexing finished before the kill landed");
    // Xapian's lock is released with the process: the next update takes it and repairs.
    update_index(account.store);
    CHECK(index_is_current(account.store));
    CHECK(account.find("theta").size() == 400);
    CHECK(account.find("theta and flag:seen").size() == 200);
}

TEST_CASE("search index: after a local command only its messages are compared, when nothing else wrote", "[search]") {
    Account account;
    const auto first = account.add(account.inbox, mail("alice@example.org", "First", "iota"));
    const auto second = account.add(account.inbox, mail("bob@example.org", "Second", "iota"));
    update_index(account.store);

    // One write transaction after the index's state: only the named messages are looked at (a
    // change to another one, made in the same transaction, would not be seen — which is why the
    // caller names every message its command changed).
    std::string before = store_state(account.store);
    account.store.write([&](store::WriteTxn& txn) {
        for (const auto id : {first, second}) {
            auto record = *txn.message(id);
            record.flags = {"\\Flagged"};
            txn.put_message(record);
        }
    });
    auto report = update_index_after(account.store, {first}, before);
    CHECK(report.updated == 1);
    CHECK(report.current);
    CHECK(account.find("flag:flagged") == Ids{first});

    // Two transactions since: the named messages are not enough, everything is compared.
    before = store_state(account.store);
    account.change(first, [](store::MessageRecord& r) { r.flags = {}; });
    account.change(second, [](store::MessageRecord& r) { r.flags = {"\\Seen"}; });
    report = update_index_after(account.store, {first}, before);
    CHECK(report.updated == 2);
    CHECK(index_is_current(account.store));
    CHECK(account.find("flag:flagged").empty());
    CHECK(account.find("flag:seen") == Ids{second});

    // A message removed by the command.
    before = store_state(account.store);
    account.store.write([&](store::WriteTxn& txn) { txn.remove_message(first); });
    report = update_index_after(account.store, {first}, before);
    CHECK(report.removed == 1);
    CHECK(account.find("iota") == Ids{second});
}

TEST_CASE("search index: opening the store or reading it leaves its state, so a current index stays current", "[search]") {
    Account account;
    account.add(account.inbox, mail("alice@example.org", "Still", "kappa"));
    update_index(account.store);
    const std::string state = store_state(account.store);
    {
        auto again = store::Store::open(account.store.directory(), store::Access::shared);
        again.read([](const store::ReadTxn& txn) { return txn.mailboxes().size(); });
        CHECK(store_state(again) == state);
    }
    CHECK(index_is_current(account.store));
    CHECK(update_index(account.store).changes() == 0);
}

TEST_CASE("search index: a body that cannot be read is found by its record, and read again once restored", "[search]") {
    Account account;
    const std::string raw = mail("alice@example.org", "Lost", "lambda");
    const auto id = account.add(account.inbox, raw);
    const auto hash = account.store.read([&](const store::ReadTxn& txn) { return txn.message(id)->body_hash; });
    std::filesystem::remove(account.store.body_path(hash));
    auto report = update_index(account.store);
    CHECK(report.unreadable == 1);
    CHECK(report.current);   // no full comparison at every search because of one damaged file
    CHECK(account.find("subject:subject") == Ids{id});   // the record's summary (sample_message's subject)
    CHECK(account.find("lambda").empty());

    account.store.put_body(raw);   // restored (same bytes, same hash)
    account.change(id, [](store::MessageRecord& r) { r.flags = {"\\Seen"}; });
    report = update_index(account.store);
    CHECK(report.unreadable == 0);
    CHECK(report.added == 1);
    CHECK(account.find("lambda and flag:seen") == Ids{id});
}

// The store on disk: permissions, the account lock across processes, schema versions, body files.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "common/error.hpp"
#include "store/store.hpp"
#include "store_test_support.hpp"
#include "tests/support/files.hpp"

using namespace mailsync;
using namespace mailsync::store;
using mailsync::test::read_file;
using mailsync::store::testing::permissions_of;
using mailsync::store::testing::sample_mailbox;
using mailsync::store::testing::sample_message;
using mailsync::store::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// Runs child() in a forked process; returns its exit status (child() returns it).
int in_child_process(const std::function<int()>& child) {
    pid_t pid = ::fork();
    if (pid == 0) {
        int status = 1;
        try {
            status = child();
        } catch (...) {
            status = 100;
        }
        ::_exit(status);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::size_t files_under(const fs::path& directory) {
    std::size_t count = 0;
    for (const auto& entry : fs::recursive_directory_iterator(directory)) count += entry.is_regular_file() ? 1u : 0u;
    return count;
}

}  // namespace

TEST_CASE("the store directory is 0700 and its files 0600", "[store][files]") {
    TempDir dir;
    ::umask(022);   // a typical, permissive umask: the store must not depend on it
    auto store = Store::open(dir.store(), Access::exclusive);
    StoredBody body = store.put_body("Subject: hi\r\n\r\nbody\r\n");
    CHECK(permissions_of(dir.store()) == 0700);
    CHECK(permissions_of(dir.store().parent_path()) == 0700);   // created parents too
    for (const char* file : {"data.mdb", "lock.mdb", "lock"}) {
        INFO(file);
        CHECK(permissions_of(dir.store() / file) == 0600);
    }
    CHECK(permissions_of(dir.store() / "bodies") == 0700);
    CHECK(permissions_of(dir.store() / "tmp") == 0700);
    CHECK(permissions_of(store.body_path(body.hash).parent_path()) == 0700);
    CHECK(permissions_of(store.body_path(body.hash)) == 0600);
}

TEST_CASE("an existing store directory open to others is made private", "[store][files]") {
    TempDir dir;
    fs::create_directories(dir.store());
    fs::permissions(dir.store(), fs::perms::all);
    Store::open(dir.store(), Access::shared);
    CHECK(permissions_of(dir.store()) == 0700);
}

TEST_CASE("a second exclusive open from another process is refused as busy", "[store][lock]") {
    TempDir dir;
    constexpr int busy = 10, wrong_error = 11, opened = 12;
    auto open_exclusive = [&] {
        try {
            Store::open(dir.store(), Access::exclusive);
            return opened;
        } catch (const Error& error) {
            std::string message = error.what();
            bool names_holder = message.find("pid " + std::to_string(::getppid())) != std::string::npos;
            return error.category() == ErrorCategory::busy && names_holder ? busy : wrong_error;
        }
    };
    {
        auto store = Store::open(dir.store(), Access::exclusive);
        CHECK(in_child_process(open_exclusive) == busy);
        // Readers need no lock.
        CHECK(in_child_process([&] {
                  auto reader = Store::open(dir.store(), Access::shared);
                  return reader.read([](const ReadTxn& t) { return t.schema_version(); }) == current_schema().version ? 0 : 1;
              }) == 0);
    }
    // Released when the store closes (and by the kernel when a holder dies).
    CHECK(in_child_process(open_exclusive) == opened);
}

TEST_CASE("a store written by a newer mailsync is refused, an older one is migrated", "[store][schema]") {
    TempDir dir;
    {
        auto store = Store::open(dir.store(), Access::exclusive);
        store.write([](WriteTxn& t) { t.add_mailbox(sample_mailbox("INBOX")); });
        CHECK(store.read([](const ReadTxn& t) { return t.schema_version(); }) == current_schema().version);
    }
    // A future mailsync with schema version current+1, whose migration renames every mailbox.
    int migrations_run = 0;
    Schema newer{current_schema().version + 1,
                 {{current_schema().version, "prefix mailbox names", [&](WriteTxn& t) {
                       ++migrations_run;
                       for (auto mailbox : t.mailboxes()) {
                           mailbox.name = "migrated/" + mailbox.name;
                           t.put_mailbox(mailbox);
                       }
                   }}}};
    OpenOptions with_newer;
    with_newer.schema = &newer;
    {
        auto store = Store::open(dir.store(), Access::exclusive, with_newer);
        CHECK(migrations_run == 1);
        store.read([&](const ReadTxn& t) {
            CHECK(t.schema_version() == newer.version);
            CHECK(t.mailbox_by_name("migrated/INBOX"));
            CHECK_FALSE(t.mailbox_by_name("INBOX"));
        });
    }
    // Opening again does not migrate twice.
    Store::open(dir.store(), Access::exclusive, with_newer);
    CHECK(migrations_run == 1);

    // This mailsync must not touch what the newer one wrote.
    try {
        Store::open(dir.store(), Access::shared);
        FAIL("a newer store was opened");
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::io);
        std::string message = error.what();
        CHECK(message.find(dir.store().string()) != std::string::npos);
        CHECK(message.find("newer mailsync") != std::string::npos);
        CHECK(message.find("schema " + std::to_string(newer.version)) != std::string::npos);
    }
}

TEST_CASE("a migration that fails leaves the store at its old version", "[store][schema]") {
    TempDir dir;
    Store::open(dir.store(), Access::exclusive).write([](WriteTxn& t) { t.add_mailbox(sample_mailbox("INBOX")); });
    Schema broken{current_schema().version + 1, {{current_schema().version, "fails half-way", [](WriteTxn& t) {
                                                       t.add_mailbox(sample_mailbox("half"));
                                                       throw Error(ErrorCategory::io, "disk on fire");
                                                   }}}};
    OpenOptions options;
    options.schema = &broken;
    CHECK_THROWS_WITH(Store::open(dir.store(), Access::exclusive, options), "disk on fire");
    auto store = Store::open(dir.store(), Access::exclusive);
    store.read([](const ReadTxn& t) {
        CHECK(t.schema_version() == current_schema().version);
        CHECK_FALSE(t.mailbox_by_name("half"));
    });
}

TEST_CASE("bodies are stored once per content, by SHA-256", "[store][blobs]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    std::string content = "From: a@example.com\r\nSubject: same\r\n\r\nbody\r\n";
    BlobWriter writer = store.begin_body();
    for (std::size_t i = 0; i < content.size(); i += 7) writer.write(std::string_view(content).substr(i, 7));
    StoredBody first = writer.commit();
    StoredBody second = store.put_body(content);
    CHECK(first.hash == Sha256::of(content));
    CHECK(first.size == content.size());
    CHECK(second.hash == first.hash);
    CHECK(files_under(dir.store() / "bodies") == 1);
    CHECK(files_under(dir.store() / "tmp") == 0);
    CHECK(read_file(store.body_path(first.hash)) == content);
    std::string streamed(content.size() + 1, '\0');
    auto opened = store.open_body(first.hash);
    opened.read(streamed.data(), static_cast<std::streamsize>(streamed.size()));
    CHECK(streamed.substr(0, static_cast<std::size_t>(opened.gcount())) == content);
    CHECK_THROWS_AS(store.open_body(Sha256::of("never stored")), Error);
    CHECK(store.check_body(first.hash) == BodyCheck::ok);

    store.put_body("other content");
    CHECK(files_under(dir.store() / "bodies") == 2);
}

TEST_CASE("a body file that was changed or lost is found by check and verify", "[store][blobs]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    StoredBody body = store.put_body("original bytes");
    store.write([&](WriteTxn& t) { t.add_message(sample_message(t.add_mailbox(sample_mailbox("INBOX")), 1, body.hash)); });
    CHECK(store.verify(true).empty());
    { std::ofstream(store.body_path(body.hash), std::ios::binary) << "tampered bytes"; }
    CHECK(store.check_body(body.hash) == BodyCheck::mismatch);
    CHECK(store.verify(false).empty());   // without re-hashing only presence is checked
    CHECK(store.verify(true).size() == 1);
    fs::remove(store.body_path(body.hash));
    CHECK(store.check_body(body.hash) == BodyCheck::missing);
    CHECK(store.verify(false).size() == 1);
}

TEST_CASE("verify puts what it finds on the damaged list, and takes off what is sound again", "[store][blobs]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    const StoredBody first = store.put_body("first body");
    const StoredBody second = store.put_body("second body");
    store.write([&](WriteTxn& t) {
        const auto inbox = t.add_mailbox(sample_mailbox("INBOX"));
        t.add_message(sample_message(inbox, 1, first.hash));
        t.add_message(sample_message(inbox, 2, second.hash));
    });
    const auto listed = [&] { return store.read([](const ReadTxn& t) { return t.damaged_bodies(); }); };
    CHECK(listed().empty());
    { std::ofstream(store.body_path(first.hash), std::ios::binary) << "tampered"; }
    fs::remove(store.body_path(second.hash));
    CHECK(store.verify(false).size() == 1);
    CHECK(listed().empty());   // a check without re-hashing leaves the list alone
    CHECK(store.verify(true).size() == 2);
    CHECK(listed() == std::vector<BodyHash>{first.hash, second.hash});
    CHECK(store.verify(true).size() == 2);
    CHECK(listed().size() == 2);   // each once
    store.put_body("first body");
    CHECK(store.verify(true).size() == 1);
    CHECK(listed() == std::vector<BodyHash>{second.hash});
    store.write([&](WriteTxn& t) {
        t.mark_body_sound(second.hash);
        t.mark_body_sound(second.hash);   // not listed: nothing happens
        t.mark_body_damaged(first.hash);
        t.mark_body_damaged(first.hash);
    });
    CHECK(listed() == std::vector<BodyHash>{first.hash});
}

TEST_CASE("a truncated database is refused with a message, never read past its end", "[store][damage]") {
    TempDir dir;
    {
        auto store = Store::open(dir.store(), Access::exclusive);
        StoredBody body = store.put_body("a body");
        store.write([&](WriteTxn& t) {
            MailboxId inbox = t.add_mailbox(sample_mailbox("INBOX"));
            for (Uid uid = 1; uid <= 3000; ++uid) t.add_message(sample_message(inbox, uid, body.hash));
        });
    }
    const fs::path database = dir.store() / "data.mdb";
    const std::string intact = read_file(database);
    REQUIRE(intact.size() > 64 * 1024);

    // In a child process: a SIGBUS there shows as -1 instead of killing the test program.
    auto open_and_read = [&] {
        return in_child_process([&] {
            try {
                auto store = Store::open(dir.store(), Access::exclusive);
                auto count = store.read([](const ReadTxn& t) { return t.messages(t.mailbox_by_name("INBOX")->id).size(); });
                return count == 3000 ? 0 : 2;
            } catch (const Error& error) {
                return error.category() == ErrorCategory::io && std::string(error.what()).find("truncated") != std::string::npos ? 74 : 3;
            }
        });
    };
    for (std::size_t size : {intact.size() / 2, std::size_t{16384}, std::size_t{8192}}) {
        INFO("truncated to " << size << " bytes");
        fs::resize_file(database, size);
        CHECK(open_and_read() == 74);
        std::ofstream(database, std::ios::binary | std::ios::trunc) << intact;
    }
    CHECK(open_and_read() == 0);
}

TEST_CASE("a damaged page of the database is refused, naming data.mdb", "[store][damage]") {
    TempDir dir;
    {
        auto store = Store::open(dir.store(), Access::exclusive);
        const StoredBody body = store.put_body("a body");
        store.write([&](WriteTxn& t) {
            const auto inbox = t.add_mailbox(sample_mailbox("INBOX"));
            for (Uid uid = 1; uid <= 200; ++uid) t.add_message(sample_message(inbox, uid, body.hash));
        });
    }
    // Every page after the two meta pages zeroed: the header is sound, the tree is not.
    const fs::path database = dir.store() / "data.mdb";
    const auto size = fs::file_size(database);
    REQUIRE(size > 3 * 4096);
    {
        std::fstream out(database, std::ios::in | std::ios::out | std::ios::binary);
        out.seekp(2 * 4096);
        const std::string zeros(size - 2 * 4096, '\0');
        out.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    }
    const auto read_all = [&] {
        auto store = Store::open(dir.store(), Access::shared);
        return store.read([](const ReadTxn& t) { return t.mailboxes().size(); });
    };
    CHECK_THROWS_MATCHES(read_all(), Error, Catch::Predicate<Error>([&](const Error& e) {
                             const std::string text = e.what();
                             return e.category() == ErrorCategory::io && text.find("data.mdb is damaged") != std::string::npos &&
                                    text.find(dir.store().string()) != std::string::npos;
                         }));
}

TEST_CASE("a database without the store's tables beside body files is refused, not taken for a new store", "[store][damage]") {
    TempDir dir;
    {
        auto store = Store::open(dir.store(), Access::exclusive);
        store.put_body("a body of a message the lost database named");
    }
    // A data.mdb LMDB accepts but that holds no table: what a damaged catalog of tables reads as.
    const fs::path bare = dir.path() / "bare";
    fs::create_directories(bare);
    { lmdb::Env::open(bare, lmdb::EnvOptions{}); }
    fs::copy_file(bare / "data.mdb", dir.store() / "data.mdb", fs::copy_options::overwrite_existing);
    fs::remove(dir.store() / "lock.mdb");
    CHECK_THROWS_MATCHES(Store::open(dir.store(), Access::shared), Error, Catch::Predicate<Error>([](const Error& e) {
                             return e.category() == ErrorCategory::io && std::string(e.what()).find("no schema version") != std::string::npos;
                         }));
}

TEST_CASE("an empty or missing database beside body files is refused, not taken for a new store", "[store][damage]") {
    TempDir dir;
    {
        auto store = Store::open(dir.store(), Access::exclusive);
        StoredBody body = store.put_body("kept mail");
        store.write([&](WriteTxn& t) { t.add_message(sample_message(t.add_mailbox(sample_mailbox("INBOX")), 1, body.hash)); });
    }
    const fs::path database = dir.store() / "data.mdb";
    auto refusal = [&] {
        try {
            Store::open(dir.store(), Access::exclusive);
        } catch (const Error& error) {
            CHECK(error.category() == ErrorCategory::io);
            return std::string(error.what());
        }
        return std::string("opened");
    };
    fs::resize_file(database, 0);
    CHECK_THAT(refusal(), Catch::Contains("is empty") && Catch::Contains("damaged"));
    fs::remove(database);
    CHECK_THAT(refusal(), Catch::Contains("is missing") && Catch::Contains("damaged"));
    CHECK(files_under(dir.store() / "bodies") == 1);   // nothing was swept or rebuilt meanwhile

    // Without bodies an empty database is what a first run interrupted before its first commit leaves.
    TempDir fresh;
    fs::create_directories(fresh.store());
    std::ofstream(fresh.store() / "data.mdb").close();
    CHECK_NOTHROW(Store::open(fresh.store(), Access::exclusive));
}

TEST_CASE("an unfinished body leaves no file, even after a crash", "[store][blobs]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    SECTION("a writer dropped without commit removes its tmp file") {
        {
            BlobWriter writer = store.begin_body();
            writer.write("partial");
            CHECK(files_under(dir.store() / "tmp") == 1);
        }
        CHECK(files_under(dir.store() / "tmp") == 0);
        CHECK(files_under(dir.store() / "bodies") == 0);
    }
    SECTION("a process killed before the rename leaves a tmp file that sweep removes") {
        CHECK(in_child_process([&] {
                  BlobWriter writer = store.begin_body();
                  writer.write("partial body of a process that dies");
                  ::_exit(0);   // no destructor runs: as if killed
                  return 1;
              }) == 0);
        CHECK(files_under(dir.store() / "tmp") == 1);
        CHECK(files_under(dir.store() / "bodies") == 0);
        // A tmp file of a live process (this one) is left alone.
        BlobWriter mine = store.begin_body();
        mine.write("in progress");
        SweepReport report = store.sweep(std::chrono::seconds(0));
        CHECK(report.stale_tmp_files == 1);
        CHECK(files_under(dir.store() / "tmp") == 1);
        StoredBody finished = mine.commit();
        CHECK(store.check_body(finished.hash) == BodyCheck::ok);
    }
}

TEST_CASE("bodies written in a batch have no name until the batch commits, and none if it never does", "[store][blobs]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    const std::vector<std::string> contents = {"Subject: one\r\n\r\n1\r\n", "Subject: two\r\n\r\n2\r\n",
                                               "Subject: one\r\n\r\n1\r\n", std::string(100000, 'x')};
    SECTION("commit makes each body readable under its hash name") {
        BlobBatch batch;
        std::vector<StoredBody> stored;
        for (const auto& content : contents) {
            BlobWriter writer = store.begin_body();
            writer.write(content);
            stored.push_back(batch.add(std::move(writer)));
        }
        CHECK(batch.size() == contents.size());
        CHECK(stored[0].hash == stored[2].hash);   // the same content, the same name
        CHECK(stored[3].size == 100000);
        for (const auto& body : stored) CHECK_FALSE(store.has_body(body.hash));   // not before the commit
        CHECK(files_under(dir.store() / "tmp") == contents.size());
        batch.commit();
        CHECK(batch.size() == 0);
        for (std::size_t i = 0; i < contents.size(); ++i) {
            CHECK(store.check_body(stored[i].hash) == BodyCheck::ok);
            CHECK(read_file(store.body_path(stored[i].hash)) == contents[i]);
        }
        CHECK(files_under(dir.store() / "tmp") == 0);
        CHECK(files_under(dir.store() / "bodies") == 3);
        batch.commit();   // an empty batch: nothing to do
    }
    SECTION("a batch dropped without commit leaves no file") {
        {
            BlobBatch batch;
            for (const auto& content : contents) {
                BlobWriter writer = store.begin_body();
                writer.write(content);
                batch.add(std::move(writer));
            }
        }
        CHECK(files_under(dir.store() / "tmp") == 0);
        CHECK(files_under(dir.store() / "bodies") == 0);
    }
}

TEST_CASE("sweep removes bodies nothing names, and only those", "[store][blobs]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    StoredBody kept = store.put_body("named by a message");
    StoredBody shared = store.put_body("named by two messages");
    StoredBody queued = store.put_body("named by an offline append");
    StoredBody orphan = store.put_body("named by nothing");
    MessageId one_of_two = store.write([&](WriteTxn& t) {
        MailboxId inbox = t.add_mailbox(sample_mailbox("INBOX"));
        MailboxId all = t.add_mailbox(sample_mailbox("All"));
        t.add_message(sample_message(inbox, 1, kept.hash));
        t.add_message(sample_message(all, 1, shared.hash));
        QueueRecord append;
        append.kind = QueueKind::append;
        append.mailbox = inbox;
        append.name = "INBOX";
        append.body_hash = queued.hash;
        t.enqueue(append);
        return t.add_message(sample_message(inbox, 2, shared.hash));
    });
    // A fresh orphan may be a body whose row is about to commit in another process.
    CHECK(store.sweep(std::chrono::hours(1)).orphan_bodies == 0);
    CHECK(store.has_body(orphan.hash));

    SweepReport report = store.sweep(std::chrono::seconds(0));
    CHECK(report.orphan_bodies == 1);
    CHECK(report.orphan_bytes == orphan.size);
    CHECK_FALSE(store.has_body(orphan.hash));
    for (const auto& hash : {kept.hash, shared.hash, queued.hash}) CHECK(store.has_body(hash));

    store.write([&](WriteTxn& t) { t.remove_message(one_of_two); });
    store.sweep(std::chrono::seconds(0));
    CHECK(store.has_body(shared.hash));   // still named by the other place
    CHECK(store.verify(true).empty());
}

TEST_CASE("the sweep after a sync looks at what removals left, and at every body after a crash", "[store][blobs]") {
    TempDir dir;
    const auto store_with = [&](const std::function<void(Store&)>& use) {
        auto store = Store::open(dir.store(), Access::exclusive);
        use(store);
    };
    StoredBody kept, removed, planted;
    MessageId gone = 0;
    store_with([&](Store& store) {
        kept = store.put_body("kept");
        removed = store.put_body("removed");
        gone = store.write([&](WriteTxn& t) {
            MailboxId inbox = t.add_mailbox(sample_mailbox("INBOX"));
            t.add_message(sample_message(inbox, 1, kept.hash));
            return t.add_message(sample_message(inbox, 2, removed.hash));
        });
        CHECK(fs::exists(dir.store() / "sweep-due"));   // bodies written: the mark is there
        // Rows committed and nothing removed: the sweep after the sync has nothing to look at.
        SweepReport report = store.sweep_if_due(std::chrono::seconds(0));
        CHECK(report.orphan_bodies == 0);
        CHECK_FALSE(fs::exists(dir.store() / "sweep-due"));
    });
    store_with([&](Store& store) {
        // A body file nothing names, not left by a removal nor by a crash (as if dropped there by
        // hand): the candidates do not list it, so it stays.
        const fs::path stray = store.body_path(Sha256::of("stray"));
        fs::create_directories(stray.parent_path());
        std::ofstream(stray) << "stray";
        // A removal makes its body a candidate: swept once old enough, a candidate until then.
        store.write([&](WriteTxn& t) { t.remove_message(gone); });
        store.read([&](const ReadTxn& t) { CHECK(t.sweep_candidates() == std::vector<BodyHash>{removed.hash}); });
        SweepReport young = store.sweep_if_due(std::chrono::hours(1));
        CHECK(young.orphan_bodies == 0);
        CHECK(young.young_orphans == std::vector<BodyHash>{removed.hash});
        CHECK(store.has_body(removed.hash));
        SweepReport later = store.sweep_if_due(std::chrono::seconds(0));
        CHECK(later.orphan_bodies == 1);
        CHECK(later.orphan_bytes == removed.size);
        CHECK_FALSE(store.has_body(removed.hash));
        store.read([&](const ReadTxn& t) { CHECK(t.sweep_candidates().empty()); });
        CHECK(fs::exists(stray));
        CHECK(store.has_body(kept.hash));
    });
    // A process that dies after writing a body and before its row: the mark stays, and the next
    // store's sweep looks at every body file.
    CHECK(in_child_process([&] {
              auto store = Store::open(dir.store(), Access::shared);
              planted = store.put_body("body of a process killed before its row");
              ::_exit(0);
              return 1;
          }) == 0);
    CHECK(fs::exists(dir.store() / "sweep-due"));
    store_with([&](Store& store) {
        SweepReport report = store.sweep_if_due(std::chrono::seconds(0));
        CHECK(report.orphan_bodies == 2);   // the killed process's body and the stray file
        CHECK_FALSE(store.has_body(Sha256::of("body of a process killed before its row")));
        CHECK(store.has_body(kept.hash));
        CHECK_FALSE(fs::exists(dir.store() / "sweep-due"));
        CHECK(store.verify(true).empty());
    });
}

TEST_CASE("the store keeps its bodies' count and bytes, for status, without listing them", "[store][blobs]") {
    TempDir dir;
    const fs::path stray = dir.store() / "bodies" / "ab" / std::string(62, 'c');
    {
        auto store = Store::open(dir.store(), Access::exclusive);
        CHECK(store.usage().bodies.files == 0);
        StoredBody a = store.put_body("aaaa");
        store.put_body("aaaa");   // the same content: one file
        StoredBody b = store.put_body("bbbbbbbb");
        MessageId id = store.write([&](WriteTxn& t) {   // the next write counts them
            MailboxId inbox = t.add_mailbox(sample_mailbox("INBOX"));
            t.add_message(sample_message(inbox, 1, a.hash));
            return t.add_message(sample_message(inbox, 2, b.hash));
        });
        CHECK(store.usage().bodies.files == 2);
        CHECK(store.usage().bodies.bytes == 12);
        store.write([&](WriteTxn& t) { t.remove_message(id); });
        CHECK(store.sweep_if_due(std::chrono::seconds(0)).orphan_bodies == 1);
        CHECK(store.usage().bodies.files == 1);
        CHECK(store.usage().bodies.bytes == 4);
        // A file put there by something else is not seen by the kept figure...
        fs::create_directories(stray.parent_path());
        std::ofstream(stray) << "stray";
        CHECK(store.usage().bodies.files == 1);
        // ... nor is a figure lost: a store made before the figure was kept lists its files,
        store.write([](WriteTxn& t) { t.lmdb().remove(t.tables().meta, "body_usage"); });
    }
    auto store = Store::open(dir.store(), Access::exclusive);
    CHECK(store.usage().bodies.files == 2);
    // and its next sweep counts them into the figure.
    store.sweep_if_due(std::chrono::hours(1));
    CHECK(store.read([](const ReadTxn& t) { return t.body_usage(); }) == BodyUsage{2, 9});
}

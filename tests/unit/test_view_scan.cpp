// The Maildir view's scan without a server: client changes become the queued changes the commands
// make, and what an interrupted update left is recognised and only recorded (never queued twice).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include "store/store.hpp"
#include "store_test_support.hpp"
#include "sync/local/local_changes.hpp"
#include "sync/view/maildir_view.hpp"
#include "tests/support/files.hpp"

using namespace mailsync;
using namespace mailsync::sync;
using mailsync::store::testing::sample_mailbox;
using mailsync::store::testing::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr store::UnixTime now = 1800000000;

struct ScanFixture {
    TempDir dir;
    store::Store store = store::Store::open(dir.store(), store::Access::exclusive);
    MaildirViewSettings settings{dir.path() / "Mail", MaildirLayout::verbatim, "host"};
    store::MailboxId inbox = store.write([](store::WriteTxn& t) { return t.add_mailbox(sample_mailbox("INBOX")); });
    store::MailboxId archive = store.write([](store::WriteTxn& t) { return t.add_mailbox(sample_mailbox("Archive")); });

    store::MessageId add(store::MailboxId mailbox, store::Uid uid, const std::string& body, std::vector<std::string> flags = {}) {
        const store::StoredBody stored = store.put_body(body);
        auto message = store::testing::sample_message(mailbox, uid, stored.hash);
        message.size = stored.size;
        message.flags = flags;
        message.synced_flags = std::move(flags);
        return store.write([&](store::WriteTxn& t) { return t.add_message(message); });
    }
    fs::path file(store::MessageId id) {
        const auto record = store.read([&](const store::ReadTxn& t) { return t.view_file(id); });
        REQUIRE(record);
        return settings.root / record->path;
    }
    std::vector<store::QueueRecord> queue() {
        return store.read([](const store::ReadTxn& t) { return outstanding_changes(t); });
    }
    store::MessageRecord message(store::MessageId id) {
        return *store.read([&](const store::ReadTxn& t) { return t.message(id); });
    }
};

fs::path renamed_info(const fs::path& file, const std::string& info) {
    const std::string name = file.filename().string();
    return file.parent_path() / (name.substr(0, name.find(":2,") + 3) + info);
}

}  // namespace

TEST_CASE("scan: each client change is queued once, and a second scan finds nothing", "[view][scan]") {
    ScanFixture f;
    const auto read = f.add(f.inbox, 1, "Subject: a\r\n\r\na\r\n", {"$Label1"});
    const auto moved = f.add(f.inbox, 2, "Subject: b\r\n\r\nb\r\n");
    const auto gone = f.add(f.inbox, 3, "Subject: c\r\n\r\nc\r\n");
    update_maildir_view(f.store, f.settings);

    fs::rename(f.file(read), renamed_info(f.file(read), "ST"));
    fs::rename(f.file(moved), f.settings.root / "Archive/cur" / f.file(moved).filename());
    fs::remove(f.file(gone));
    mailsync::test::write_file(f.settings.root / "Archive/new/1800000000.R1.laptop", "Subject: new\n\nnew\n");
    mailsync::test::write_file(f.settings.root / "Archive/new/1800000001.R2.laptop", "not a message at all");

    ViewScanReport report = scan_maildir_view(f.store, f.settings, now);
    CHECK(report.flags == 1);
    CHECK(report.moves == 1);
    CHECK(report.deletes == 1);
    CHECK(report.appends == 1);
    REQUIRE(report.problems.size() == 1);
    CHECK_THAT(report.problems.front(), Catch::Contains("1800000001.R2.laptop"));
    const auto queued = f.queue();
    REQUIRE(queued.size() == 4);
    std::multiset<store::QueueKind> kinds;
    for (const auto& record : queued) kinds.insert(record.kind);
    CHECK(kinds == std::multiset<store::QueueKind>{store::QueueKind::flags, store::QueueKind::move, store::QueueKind::remove,
                                                   store::QueueKind::append});
    for (const auto& record : queued)
        if (record.kind == store::QueueKind::flags) CHECK(record.add_flags == std::vector<std::string>{"\\Seen", "\\Deleted"});
    CHECK(f.message(read).flags == std::vector<std::string>{"$Label1", "\\Seen", "\\Deleted"});   // the keyword kept
    CHECK(f.message(moved).mailbox == f.archive);

    report = scan_maildir_view(f.store, f.settings, now);
    CHECK(report.changes() == 0);
    CHECK(f.queue().size() == 4);
    CHECK(maildir_view_status(f.store, f.settings).problems.size() == 1);
    // Until the update, the appended file is still the client's (its bytes, LF line ends, its mode):
    // verify calls that out of date, not damage (an interrupted sync leaves the view so).
    const ViewCheck before_update = check_maildir_view(f.store, f.settings, true);
    CHECK(before_update.damage.empty());
    CHECK(std::any_of(before_update.out_of_date.begin(), before_update.out_of_date.end(),
                      [](const std::string& line) { return line.find("1800000000.R1.laptop") != std::string::npos; }));

    // The update names the appended file as ours, a link to the stored body; still nothing to queue.
    update_maildir_view(f.store, f.settings);
    CHECK_FALSE(fs::exists(f.settings.root / "Archive/new/1800000000.R1.laptop"));
    CHECK(scan_maildir_view(f.store, f.settings, now).changes() == 0);
    CHECK(check_maildir_view(f.store, f.settings, true).damage.empty());
}

TEST_CASE("scan: what an interrupted update left is recorded, never queued", "[view][scan]") {
    ScanFixture f;
    const auto renamed = f.add(f.inbox, 1, "Subject: a\r\n\r\na\r\n");
    const auto moved = f.add(f.inbox, 2, "Subject: b\r\n\r\nb\r\n");
    const auto expunged = f.add(f.inbox, 3, "Subject: c\r\n\r\nc\r\n");
    update_maildir_view(f.store, f.settings);
    const auto old_renamed = f.file(renamed), old_moved = f.file(moved), old_expunged = f.file(expunged);

    // The pull changed the mirror; the update did each file step, then "crashed" before its records.
    f.store.write([&](store::WriteTxn& t) {
        auto a = *t.message(renamed);
        a.flags = a.synced_flags = {"\\Seen"};
        t.put_message(a);
        auto b = *t.message(moved);
        b.mailbox = f.archive;
        t.put_message(b);
        t.remove_message(expunged);
    });
    const auto added = f.add(f.inbox, 4, "Subject: d\r\n\r\nd\r\n");
    fs::rename(old_renamed, renamed_info(old_renamed, "S"));
    fs::rename(old_moved, f.settings.root / "Archive/cur" / old_moved.filename());
    fs::remove(old_expunged);
    fs::create_hard_link(f.store.body_path(f.message(added).body_hash),
                         f.settings.root / "INBOX/cur" / ("1700000000." + std::to_string(added) + "_0.host,U=4:2,"));

    const ViewScanReport report = scan_maildir_view(f.store, f.settings, now);
    CHECK(report.changes() == 0);
    CHECK(report.adopted == 3);
    CHECK(f.queue().empty());
    CHECK(update_maildir_view(f.store, f.settings).created == 0);   // the added file was adopted, not written twice
    CHECK(check_maildir_view(f.store, f.settings, true).out_of_date.empty());
}

TEST_CASE("scan: a missing view or INBOX folder queues nothing", "[view][scan]") {
    ScanFixture f;
    f.add(f.inbox, 1, "Subject: a\r\n\r\na\r\n");
    update_maildir_view(f.store, f.settings);
    fs::remove_all(f.settings.root / "INBOX");
    const ViewScanReport report = scan_maildir_view(f.store, f.settings, now);
    CHECK(report.view_missing);
    CHECK(report.changes() == 0);
    CHECK(f.queue().empty());
}

// A no-op sync must not pay a commit (an fsync) for the view: a scan and an update that find
// nothing to do write nothing. The state's `updated` is planted to tell a rewrite.
TEST_CASE("scan and update: nothing changed, nothing written", "[view][scan]") {
    ScanFixture f;
    f.add(f.inbox, 1, "Subject: a\r\n\r\na\r\n");
    f.add(f.archive, 2, "Subject: b\r\n\r\nb\r\n");
    update_maildir_view(f.store, f.settings);
    f.store.write([](store::WriteTxn& t) {
        auto state = *t.view_state();
        state.updated = 1;
        t.put_view_state(state);
    });
    CHECK(scan_maildir_view(f.store, f.settings, now).changes() == 0);
    CHECK(update_maildir_view(f.store, f.settings).changes() == 0);
    CHECK(f.store.read([](const store::ReadTxn& t) { return t.view_state(); })->updated == 1);
    // A change is still written, and dates the state again.
    f.add(f.inbox, 3, "Subject: c\r\n\r\nc\r\n");
    CHECK(update_maildir_view(f.store, f.settings).created == 1);
    CHECK(f.store.read([](const store::ReadTxn& t) { return t.view_state(); })->updated > 1);
}

// The Maildir view without a server: names and folders, and the mirror written out as files
// (sync/view/README.md).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "store/store.hpp"
#include "store_test_support.hpp"
#include "sync/view/maildir_view.hpp"
#include "tests/support/files.hpp"

using namespace mailsync;
using namespace mailsync::sync;
using mailsync::store::testing::sample_mailbox;
using mailsync::store::testing::TempDir;
namespace fs = std::filesystem;

TEST_CASE("info letters: flags to letters and back, keywords left out", "[view]") {
    CHECK(maildir_info({"\\Seen", "$Label1", "\\flagged", "\\Answered", "$Forwarded", "\\Draft", "\\Deleted"}) == "DFPRST");
    CHECK(maildir_info({"$Label1"}).empty());
    CHECK(flags_of_maildir_info("TSx") == std::vector<std::string>{"\\Seen", "\\Deleted"});
    CHECK(normalized_maildir_info("SRSF") == "FRS");
}

TEST_CASE("file names carry the id and the UID, and read back", "[view]") {
    store::MessageRecord message;
    message.id = 42;
    message.internaldate = 1700000000;
    message.flags = {"\\Seen", "\\Flagged", "$Label1"};
    CHECK(view_file_name(message, "laptop") == "1700000000.42_0.laptop:2,FS");
    message.uid = 7;
    const std::string name = view_file_name(message, maildir_host_part("my/host:x,y"));
    CHECK(name == "1700000000.42_0.my\\057host\\072x\\054y,U=7:2,FS");
    const MaildirFileName parsed = parse_maildir_file_name(name);
    CHECK(parsed.id == store::MessageId{42});
    CHECK(parsed.uid == store::Uid{7});
    CHECK(parsed.info == "FS");
    CHECK(parsed.base == "1700000000.42_0.my\\057host\\072x\\054y,U=7");
    // Other programs' names: no id.
    CHECK_FALSE(parse_maildir_file_name("1700000000.R123456.host:2,S").id);
    CHECK_FALSE(parse_maildir_file_name("1700000000.M20P30.host,S=100:2,").id);
    CHECK_FALSE(parse_maildir_file_name("draft.txt").id);
    CHECK(parse_maildir_file_name("1700000000.R1.host").info.empty());
}

TEST_CASE("folders per layout, and back", "[view]") {
    using enum MaildirLayout;
    CHECK(maildir_folder("INBOX", "/", verbatim) == "INBOX");
    CHECK(maildir_folder("inbox", ".", maildir_plus_plus).empty());
    CHECK(maildir_folder("Archive/2023", "/", verbatim) == "Archive/2023");
    CHECK(maildir_folder("Archive/2023", "/", maildir_plus_plus) == ".Archive.2023");
    CHECK(maildir_folder("Archive.2023", ".", verbatim) == "Archive/2023");
    CHECK(maildir_folder("a.b/c", "/", maildir_plus_plus) == ".a%2Eb.c");   // a '.' inside a level
    CHECK(maildir_folder("a/b.c", ".", verbatim) == "a%2Fb/c");             // a '/' inside a level
    CHECK(maildir_folder("Caf&AOk-", "/", verbatim) == "Caf\xc3\xa9");      // modified UTF-7 decoded
    CHECK(maildir_folder(".hidden/new/100%", "/", verbatim) == "%2Ehidden/%6Eew/100%25");
    for (const auto& [wire, delimiter] : std::vector<std::pair<std::string, std::string>>{
             {"Archive/2023", "/"}, {"a.b/c", "/"}, {".hidden/new/100%", "/"}, {"x.y", "."}, {"INBOX", "/"}}) {
        for (const MaildirLayout layout : {verbatim, maildir_plus_plus}) {
            INFO(wire << " " << to_string(layout));
            CHECK(mailbox_of_maildir_folder(maildir_folder(wire, delimiter, layout), delimiter, layout) == wire);
        }
    }
    CHECK_FALSE(mailbox_of_maildir_folder("plain", "/", maildir_plus_plus));
    CHECK_FALSE(mailbox_of_maildir_folder("bad%4", "/", verbatim));
}

namespace {

struct ViewFixture {
    TempDir dir;
    store::Store store = store::Store::open(dir.store(), store::Access::exclusive);
    MaildirViewSettings settings{dir.path() / "Mail", MaildirLayout::verbatim, "host"};

    store::MessageId add(store::MailboxId mailbox, store::Uid uid, const std::string& body, std::vector<std::string> flags = {}) {
        const store::StoredBody stored = store.put_body(body);
        auto message = store::testing::sample_message(mailbox, uid, stored.hash);
        message.size = stored.size;
        message.flags = std::move(flags);
        return store.write([&](store::WriteTxn& t) { return t.add_message(message); });
    }
    // Every file below the root, relative to it.
    std::set<std::string> files() const {
        std::set<std::string> found;
        for (const auto& entry : fs::recursive_directory_iterator(settings.root))
            if (entry.is_regular_file()) found.insert(fs::relative(entry.path(), settings.root).string());
        return found;
    }
};

}  // namespace

TEST_CASE("the view is written from the mirror and follows it", "[view]") {
    ViewFixture f;
    const auto inbox = f.store.write([](store::WriteTxn& t) { return t.add_mailbox(sample_mailbox("INBOX")); });
    const auto archive = f.store.write([](store::WriteTxn& t) { return t.add_mailbox(sample_mailbox("Archive/2023")); });
    const auto first = f.add(inbox, 1, "Subject: one\r\n\r\nbody one\r\n", {"\\Seen"});
    const auto second = f.add(inbox, 2, "Subject: two\r\n\r\nbody two\r\n");

    ViewUpdateReport report = update_maildir_view(f.store, f.settings);
    CHECK(report.started_afresh);
    CHECK(report.created == 2);
    CHECK(report.folders_created == 2);
    CHECK(report.copies == 0);
    const std::string one = "INBOX/cur/1700000000." + std::to_string(first) + "_0.host,U=1:2,S";
    const std::string two = "INBOX/cur/1700000000." + std::to_string(second) + "_0.host,U=2:2,";
    CHECK(f.files() == std::set<std::string>{one, two});
    CHECK(fs::is_directory(f.settings.root / "Archive/2023/new"));
    CHECK(fs::is_directory(f.settings.root / "INBOX/tmp"));
    // A hard link to the body, read-only.
    struct stat view_file {}, body {};
    REQUIRE(::stat((f.settings.root / one).c_str(), &view_file) == 0);
    const auto message = f.store.read([&](const store::ReadTxn& t) { return *t.message(first); });
    REQUIRE(::stat(f.store.body_path(message.body_hash).c_str(), &body) == 0);
    CHECK(view_file.st_ino == body.st_ino);
    CHECK((view_file.st_mode & 0777) == 0400);
    CHECK(mailsync::test::read_file(f.settings.root / one) == "Subject: one\r\n\r\nbody one\r\n");

    // Nothing changed: nothing done.
    report = update_maildir_view(f.store, f.settings);
    CHECK(report.changes() == 0);
    CHECK_FALSE(report.started_afresh);

    // Flags change, a message moves, one is expunged, one arrives.
    f.store.write([&](store::WriteTxn& t) {
        auto changed = *t.message(first);
        changed.flags = {"\\Seen", "\\Flagged", "$Label1"};
        t.put_message(changed);
        auto moved = *t.message(second);
        moved.mailbox = archive;
        moved.uid = 5;
        t.put_message(moved);
    });
    const auto third = f.add(inbox, 3, "Subject: three\r\n\r\nbody three\r\n");
    report = update_maildir_view(f.store, f.settings);
    CHECK(report.renamed == 2);
    CHECK(report.created == 1);
    const std::string one_flagged = "INBOX/cur/1700000000." + std::to_string(first) + "_0.host,U=1:2,FS";
    const std::string two_moved = "Archive/2023/cur/1700000000." + std::to_string(second) + "_0.host,U=5:2,";
    const std::string three = "INBOX/cur/1700000000." + std::to_string(third) + "_0.host,U=3:2,";
    CHECK(f.files() == std::set<std::string>{one_flagged, two_moved, three});

    f.store.write([&](store::WriteTxn& t) { t.remove_message(third); });
    report = update_maildir_view(f.store, f.settings);
    CHECK(report.removed == 1);
    CHECK(f.files() == std::set<std::string>{one_flagged, two_moved});

    // A renamed mailbox: its folder is renamed, files and all.
    f.store.write([&](store::WriteTxn& t) {
        auto mailbox = *t.mailbox(archive);
        mailbox.name = "Old/2023";
        t.put_mailbox(mailbox);
    });
    report = update_maildir_view(f.store, f.settings);
    CHECK(report.folders_renamed == 1);
    CHECK(report.renamed == 0);
    CHECK(f.files() == std::set<std::string>{one_flagged, "Old/2023/cur/1700000000." + std::to_string(second) + "_0.host,U=5:2,"});

    const ViewCheck check = check_maildir_view(f.store, f.settings, true);
    CHECK(check.damage.empty());
    CHECK(check.out_of_date.empty());
    const ViewStatus status = maildir_view_status(f.store, f.settings);
    CHECK(status.written);
    CHECK(status.files == 2);
}

TEST_CASE("an interrupted update is finished by the next (one-way view), then rebuild and verify", "[view]") {
    ViewFixture f;
    f.settings.two_way = false;   // a two-way view leaves this case to the scan (test_view_scan.cpp)
    const auto inbox = f.store.write([](store::WriteTxn& t) { return t.add_mailbox(sample_mailbox("INBOX")); });
    const auto first = f.add(inbox, 1, "Subject: one\r\n\r\nbody one\r\n");
    update_maildir_view(f.store, f.settings);
    const std::string name = "INBOX/cur/1700000000." + std::to_string(first) + "_0.host,U=1:2,";
    // A rename done before a crash, its record not written: the next update finds the file in place.
    f.store.write([&](store::WriteTxn& t) {
        auto changed = *t.message(first);
        changed.flags = {"\\Seen"};
        t.put_message(changed);
    });
    fs::rename(f.settings.root / name, f.settings.root / (name + "S"));
    CHECK(update_maildir_view(f.store, f.settings).changes() == 1);   // written again under the same name
    CHECK(f.files() == std::set<std::string>{name + "S"});

    // verify: a file whose bytes changed is damage; a missing one is only out of date.
    fs::permissions(f.settings.root / (name + "S"), fs::perms::owner_write, fs::perm_options::add);
    CHECK(check_maildir_view(f.store, f.settings, false).damage.size() == 1);
    fs::remove(f.settings.root / (name + "S"));
    const ViewCheck check = check_maildir_view(f.store, f.settings, true);
    CHECK(check.damage.empty());
    CHECK(check.out_of_date.size() == 1);

    // rebuild: stale files of ours go, a client's file stays, the view is whole again.
    mailsync::test::write_file(f.settings.root / "INBOX/cur/1700000001.R77.laptop:2,", "Subject: draft\n\nmine\n");
    fs::create_directories(f.settings.root / "INBOX/new");
    mailsync::test::write_file(f.settings.root / "INBOX/new/1700000000.999_0.host,U=9:2,", "stale");
    const ViewUpdateReport rebuilt = rebuild_maildir_view(f.store, f.settings);
    CHECK(rebuilt.started_afresh);
    CHECK(f.files() == std::set<std::string>{name + "S", "INBOX/cur/1700000001.R77.laptop:2,"});
    CHECK(check_maildir_view(f.store, f.settings, true).out_of_date.empty());
}

TEST_CASE("another root or layout starts a fresh view, and maildir++ puts INBOX at the root", "[view]") {
    ViewFixture f;
    const auto inbox = f.store.write([](store::WriteTxn& t) { return t.add_mailbox(sample_mailbox("INBOX")); });
    const auto sent = f.store.write([](store::WriteTxn& t) { return t.add_mailbox(sample_mailbox("Sent")); });
    const auto first = f.add(inbox, 1, "Subject: one\r\n\r\nbody\r\n");
    const auto second = f.add(sent, 1, "Subject: two\r\n\r\nbody\r\n");
    update_maildir_view(f.store, f.settings);
    MaildirViewSettings plus{f.dir.path() / "Mail2", MaildirLayout::maildir_plus_plus, "host"};
    CHECK_FALSE(maildir_view_status(f.store, plus).written);
    CHECK(update_maildir_view(f.store, plus).started_afresh);
    CHECK(fs::exists(plus.root / ("cur/1700000000." + std::to_string(first) + "_0.host,U=1:2,")));
    CHECK(fs::exists(plus.root / (".Sent/cur/1700000000." + std::to_string(second) + "_0.host,U=1:2,")));
    CHECK(maildir_view_status(f.store, plus).files == 2);
}

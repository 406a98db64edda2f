// The Maildir view's records in the store (schema 2) and the migration that brings a store of
// schema 1 to them.
#include <catch2/catch.hpp>

#include "store/store.hpp"
#include "store_test_support.hpp"

using namespace mailsync;
using namespace mailsync::store;
using mailsync::store::testing::sample_mailbox;
using mailsync::store::testing::TempDir;

TEST_CASE("view records round-trip and clear_view forgets them", "[store][view]") {
    TempDir dir;
    auto store = Store::open(dir.store(), Access::exclusive);
    const ViewFileRecord file{7, 2, "INBOX/cur/1.7_0.host,U=9:2,FS", "FS", Uid{9}, 1234, true};
    const ViewFileRecord pending{8, 2, "INBOX/cur/1.8_0.host:2,", "", std::nullopt, 99, false};
    const ViewFolderRecord folder{2, "INBOX", 555};
    const ViewStateRecord state{"/home/u/Mail", "verbatim", {"INBOX/cur/junk: not a message"}, 3, 1700000000};
    store.write([&](WriteTxn& t) {
        t.put_view_file(file);
        t.put_view_file(pending);
        t.put_view_folder(folder);
        t.put_view_state(state);
    });
    store.read([&](const ReadTxn& t) {
        CHECK(t.view_file(7) == file);
        CHECK(t.view_file(8) == pending);
        CHECK_FALSE(t.view_file(9));
        CHECK(t.view_files() == std::vector<ViewFileRecord>{file, pending});
        CHECK(t.view_folder(2) == folder);
        CHECK(t.view_folders().size() == 1);
        CHECK(t.view_state() == state);
    });
    CHECK(store.verify(false).empty());
    store.write([](WriteTxn& t) { t.remove_view_file(7); });
    CHECK(store.read([](const ReadTxn& t) { return t.view_files().size(); }) == 1);
    store.write([](WriteTxn& t) { t.clear_view(); });
    store.read([](const ReadTxn& t) {
        CHECK(t.view_files().empty());
        CHECK(t.view_folders().empty());
        CHECK_FALSE(t.view_state());
    });
}

TEST_CASE("a store of schema 1 is migrated to 2 and gets the view tables", "[store][view][schema]") {
    TempDir dir;
    const Schema first{1, {}};
    OpenOptions old_program;
    old_program.schema = &first;
    Store::open(dir.store(), Access::exclusive, old_program).write([](WriteTxn& t) { t.add_mailbox(sample_mailbox("INBOX")); });
    REQUIRE(Store::open(dir.store(), Access::shared, old_program).read([](const ReadTxn& t) { return t.schema_version(); }) == 1);

    auto store = Store::open(dir.store(), Access::exclusive);
    store.read([](const ReadTxn& t) {
        CHECK(t.schema_version() == 2);
        CHECK(t.mailbox_by_name("INBOX"));
        CHECK(t.view_files().empty());
    });
    store.write([](WriteTxn& t) { t.put_view_folder(ViewFolderRecord{1, "INBOX", 1}); });
    CHECK(store.read([](const ReadTxn& t) { return t.view_folders().size(); }) == 1);
}

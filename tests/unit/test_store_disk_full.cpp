// The store's space reserve (store/store.hpp): on a disk filled to the last byte, the rows of the
// bodies already written still commit, and the reserve comes back once there is room.
#include <catch2/catch.hpp>

#include <fstream>
#include <vector>

#include "store/store.hpp"
#include "store_test_support.hpp"
#include "tests/support/small_disk.hpp"

using namespace mailsync::store;
using mailsync::store::testing::TempDir;

namespace {

// Writes a file until the disk refuses another byte.
void fill(const std::filesystem::path& file) {
    std::ofstream out(file, std::ios::binary);
    const std::vector<char> chunk(64 * 1024, 'x');
    while (out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()))) {
    }
    out.close();
    std::ofstream tail(file, std::ios::binary | std::ios::app);
    while (tail.put('x') && tail.flush()) {
    }
}

}  // namespace

TEST_CASE("a disk full to the last byte: a write transaction still commits, from the space reserve", "[store][disk]") {
    TempDir dir;
    mailsync::test::SmallDisk disk(dir.path() / "disk", 16);
    if (!disk.mounted()) {
        WARN("not run: cannot mount a tmpfs (" << disk.error() << "); needs root");
        return;
    }
    const auto store_dir = dir.path() / "disk" / "store";
    const auto reserve = store_dir / "space-reserve";
    {
        Store store = Store::open(store_dir, Access::exclusive);
        CHECK(std::filesystem::file_size(reserve) == 4u << 20);
        const MailboxId inbox = store.write([](WriteTxn& txn) { return txn.add_mailbox(testing::sample_mailbox("INBOX")); });
        fill(dir.path() / "disk" / "filler");

        // 2 000 rows: hundreds of new pages, none of which the full disk has room for.
        store.write([&](WriteTxn& txn) {
            for (Uid uid = 1; uid <= 2000; ++uid) txn.add_message(testing::sample_message(inbox, uid, Sha256::of(std::to_string(uid))));
        });
        CHECK_FALSE(std::filesystem::exists(reserve));
        CHECK(store.read([&](const ReadTxn& txn) { return txn.messages(inbox).size(); }) == 2000);
    }
    std::filesystem::remove(dir.path() / "disk" / "filler");
    Store again = Store::open(store_dir, Access::exclusive);
    CHECK(std::filesystem::file_size(reserve) == 4u << 20);
    CHECK(again.read([](const ReadTxn& txn) { return txn.messages(txn.mailbox_by_name("INBOX")->id).size(); }) == 2000);
}

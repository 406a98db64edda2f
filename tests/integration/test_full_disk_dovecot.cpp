// A disk that fills up during the first sync, for real: the store lives on a small tmpfs mounted
// for the test (root only; elsewhere the test says it did not run). The run must fail with a clear
// "no space" message and exit 74, keep every message it completed, leave a store that verifies,
// and once there is room the next run downloads only what is missing.
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "tests/integration/cli_account.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/small_disk.hpp"

using namespace mailsync;
using test::DovecotFixture;

namespace {

std::size_t stored_messages(const std::filesystem::path& store_dir) {
    auto store = store::Store::open(store_dir, store::Access::shared);
    return store.read([](const store::ReadTxn& txn) {
        const auto inbox = txn.mailbox_by_name("INBOX");
        return inbox ? txn.messages(inbox->id).size() : std::size_t{0};
    });
}

}  // namespace

TEST_CASE("a disk full during the first sync: exit 74 naming it, completed messages kept, the retry fetches only the rest",
          "[cli][disk]") {
    test::CliAccount cli(DovecotFixture::get().imap_port);
    test::SmallDisk disk(cli.store_dir, 12);
    if (!disk.mounted()) {
        WARN("not run: cannot mount a tmpfs for the store (" << disk.error() << "); needs root");
        return;
    }
    constexpr std::size_t messages = 40;   // 40 × 400 kB: 16 MB of mail for a 12 MB disk
    for (std::size_t i = 0; i < messages; ++i)
        test::seed(cli.user.name, "INBOX", test::make_message(cli.user.name + "-" + std::to_string(i), 400'000));

    std::string errors;
    CHECK(cli.run_split({"sync"}, errors) == 74);
    INFO(errors);
    CHECK(errors.find("No space left on device") != std::string::npos);
    const std::size_t kept = stored_messages(cli.store_dir);
    CHECK(kept > 0);
    CHECK(kept < messages);
    CHECK(cli.run({"verify"}) == 0);

    disk.grow(64);
    const auto before = cli.output().size();
    REQUIRE(cli.run({"sync", "--json"}) == 0);
    const std::string json = cli.output().substr(before);
    std::smatch downloaded;
    REQUIRE(std::regex_search(json, downloaded, std::regex("\"name\":\"INBOX\"[^}]*\"downloaded\":([0-9]+)")));
    CHECK(std::stoul(downloaded[1]) == messages - kept);
    CHECK(stored_messages(cli.store_dir) == messages);
    CHECK(cli.run({"verify"}) == 0);
}

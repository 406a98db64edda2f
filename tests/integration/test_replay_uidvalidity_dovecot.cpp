// Queued changes meet a mailbox the server recreated (a new UIDVALIDITY, its messages renumbered):
// the replay re-pairs each queued change with its message first, then carries it out on the right
// message. One test per kind of change (flag, delete, move, copy), each queued before the mailbox
// is recreated; the old UID of the changed message then names ANOTHER message, so a replay that
// used it would change the wrong one.
#include <catch2/catch.hpp>

#include "tests/integration/replay_test_support.hpp"

using namespace mailsync;
using namespace test::replay;

namespace {

// Box holds a, b, c (UIDs 1, 2, 3), mirrored; the test changes b offline; then recreate() makes
// Box again on the server with filler, c, b, a (UIDs 1..4, a new UIDVALIDITY): b's old UID 2 is c's now.
struct RenumberedBox {
    Account account;
    store::MessageId b = 0;
    std::uint32_t old_uidvalidity = 0;

    RenumberedBox() {
        for (const char* tag : {"a", "b", "c"}) account.seed("Box", tag_of(tag));
        account.pull();
        b = account.id("Box", 2);
        old_uidvalidity = test::status(account.user.name, "Box").uidvalidity;
    }
    std::string tag_of(const std::string& letter) const { return "uv-" + letter + "-" + account.user.name; }
    void recreate() {
        test::doveadm({"mailbox", "delete", "-u", account.user.name, "Box"});
        for (const char* tag : {"filler", "c", "b", "a"}) account.seed("Box", tag_of(tag));
        if (test::status(account.user.name, "Box").uidvalidity == old_uidvalidity)
            test::set_uidvalidity(account.user.name, "Box", old_uidvalidity + 1000);
        REQUIRE(test::status(account.user.name, "Box").uidvalidity != old_uidvalidity);
    }
    std::string sha(const std::string& letter) const { return sha_of(tag_of(letter)); }
    // Push (the replay meets the new UIDVALIDITY first), then pull; then nothing is left queued, no
    // change was dropped as unpaired, and the mirror equals the server.
    void sync_and_check(const std::vector<std::string>& mailboxes) {
        const auto pushed = account.push();
        CHECK(pushed.failed == 0);
        account.pull();
        CHECK(account.queue().empty());
        CHECK_FALSE(account.has_conflict("uidvalidity-changed"));
        for (const auto& mailbox : mailboxes) check_mirror_equals_server(account, mailbox);
        // A second sync changes nothing.
        const auto again = account.sync_all();
        CHECK(again.total_new() == 0);
        CHECK(again.total_changed() == 0);
        CHECK(again.total_expunged() == 0);
    }
};

}  // namespace

TEST_CASE("a flag change queued before a UIDVALIDITY change lands on its re-paired message", "[replay][uidvalidity]") {
    RenumberedBox box;
    sync::change_flags(*box.account.store, "Box", std::vector{box.b}, {"\\Seen", "$Queued"}, {}, now);
    box.recreate();
    box.sync_and_check({"Box"});
    const std::map<std::string, Flags> expected = {
        {box.sha("filler"), {}}, {box.sha("a"), {}}, {box.sha("b"), sorted({"$Queued", "\\Seen"})}, {box.sha("c"), {}}};
    CHECK(server_content(box.account, "Box") == expected);
}

TEST_CASE("a delete queued before a UIDVALIDITY change removes its re-paired message", "[replay][uidvalidity]") {
    RenumberedBox box;
    sync::delete_messages(*box.account.store, "Box", std::vector{box.b}, now);
    box.recreate();
    box.sync_and_check({"Box"});
    const std::map<std::string, Flags> expected = {{box.sha("filler"), {}}, {box.sha("a"), {}}, {box.sha("c"), {}}};
    CHECK(server_content(box.account, "Box") == expected);
}

namespace {

// b moved (or copied) to Archive before Box was renumbered: b ends in Archive once, and in Box only
// when copied.
void move_or_copy_across_renumbering(bool move) {
    RenumberedBox box;
    if (move) sync::move_messages(*box.account.store, "Box", std::vector{box.b}, "Archive", now);
    else sync::copy_messages(*box.account.store, "Box", std::vector{box.b}, "Archive", now);
    box.recreate();
    box.sync_and_check({"Box", "Archive"});
    std::map<std::string, Flags> expected_box = {{box.sha("filler"), {}}, {box.sha("a"), {}}, {box.sha("c"), {}}};
    if (!move) expected_box[box.sha("b")] = {};
    CHECK(server_content(box.account, "Box") == expected_box);
    const std::map<std::string, Flags> expected_archive = {{box.sha("b"), {}}};
    CHECK(server_content(box.account, "Archive") == expected_archive);
}

}  // namespace

TEST_CASE("a move queued before a UIDVALIDITY change moves its re-paired message, once", "[replay][uidvalidity]") {
    move_or_copy_across_renumbering(true);
}

TEST_CASE("a copy queued before a UIDVALIDITY change copies its re-paired message", "[replay][uidvalidity]") {
    move_or_copy_across_renumbering(false);
}

// The renumbered Box holds, instead of b, a look-alike: the same Message-ID and size, one byte of
// its header different (a resent or re-edited message). The queued flag change must not be paired
// with it (the pull's header check, used by the push too): b is gone, so the change is dropped
// (delete-wins) and the look-alike keeps its own flags.
TEST_CASE("a flag change queued before a UIDVALIDITY change is not paired with a look-alike of the same Message-ID and size",
          "[replay][uidvalidity]") {
    RenumberedBox box;
    Account& account = box.account;
    sync::change_flags(*account.store, "Box", std::vector{box.b}, {"$Queued"}, {}, now);
    std::string lookalike = test::make_message(box.tag_of("b"));
    const std::string subject = "Subject: " + box.tag_of("b");
    const auto at = lookalike.find(subject);
    REQUIRE(at != std::string::npos);
    lookalike[at + subject.find("uv-b") + 3] = 'B';   // "uv-B-...": same length, other header bytes
    test::doveadm({"mailbox", "delete", "-u", account.user.name, "Box"});
    account.seed("Box", box.tag_of("filler"));
    test::seed(account.user.name, "Box", lookalike);
    account.seed("Box", box.tag_of("a"));
    if (test::status(account.user.name, "Box").uidvalidity == box.old_uidvalidity)
        test::set_uidvalidity(account.user.name, "Box", box.old_uidvalidity + 1000);

    const auto pushed = account.push();
    CHECK(pushed.failed == 0);
    CHECK(account.has_conflict("delete-wins"));
    account.pull();
    CHECK(account.queue().empty());
    store::Sha256 hasher;
    hasher.update(lookalike);
    const std::map<std::string, Flags> expected = {{box.sha("filler"), {}}, {hasher.finish().hex(), {}}, {box.sha("a"), {}}};
    CHECK(server_content(account, "Box") == expected);
    check_mirror_equals_server(account, "Box");
}

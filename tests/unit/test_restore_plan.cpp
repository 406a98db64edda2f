// sync/restore: the pure decisions of `mailsync restore` (a mailbox's name on the target, which
// source messages the target holds already) as tables, and the restore journal on disk (what a
// re-run and an interrupted run find in it, a line cut by a crash).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/body_hash.hpp"
#include "store_test_support.hpp"
#include "sync/restore/restore_journal.hpp"
#include "sync/restore/restore_plan.hpp"

using namespace mailsync;
using sync::Match;
using sync::SourceMessage;
using sync::TargetMailbox;
using sync::Verdict;

namespace {

sync::HeaderDigest digest(const std::string& header) { return {store::Sha256::of(header), header.size()}; }

sync::RestoreJournal::Entry placed(std::uint32_t uidvalidity, store::Uid uid) { return {uidvalidity, uid, true}; }
sync::RestoreJournal::Entry sending(std::uint32_t uidvalidity) { return {uidvalidity, 0, false}; }

std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("a mailbox keeps its levels under the target's delimiter", "[restore]") {
    using sync::target_mailbox_name;
    CHECK(target_mailbox_name("INBOX", "/", '.') == "INBOX");
    CHECK(target_mailbox_name("inbox", "/", '/') == "INBOX");
    CHECK(target_mailbox_name("Archive/2024/May", "/", '.') == "Archive.2024.May");
    CHECK(target_mailbox_name("INBOX.Lists.dev", ".", '/') == "INBOX/Lists/dev");
    CHECK(target_mailbox_name("Archive/2024", "/", '/') == "Archive/2024");
    // A flat source name is one level, whatever it contains but the target's delimiter.
    CHECK(target_mailbox_name("a.b", "", '/') == "a.b");
    // A level holding the target's delimiter cannot be written there; nor levels on a flat target.
    CHECK_FALSE(target_mailbox_name("Reports 1.5/Q1", "/", '.'));
    CHECK_FALSE(target_mailbox_name("Archive/2024", "/", std::nullopt));
    CHECK(target_mailbox_name("Archive", "/", std::nullopt) == "Archive");
}

TEST_CASE("the journal's UID settles a message only while the target still holds it", "[restore]") {
    TargetMailbox target{7, {{1, 100}, {2, 200}, {3, 1000}, {5, 300}}};
    std::vector<SourceMessage> sources{
        {10, 100, placed(7, 1)},   // there: restored before
        {11, 200, placed(6, 2)},   // another UIDVALIDITY: the mailbox was made again; header check
        {12, 300, placed(7, 4)},   // UID 4 gone (expunged since): UID 5 has its size, a header check decides
        {13, 999, placed(7, 3)},   // UID 3 held with another size: the target changed the bytes, it is still ours
        {14, 400, sending(7)},     // in flight, nothing of its size: upload
        {15, 100, std::nullopt},   // never journaled, nothing of its size left unclaimed: upload
    };
    const sync::MatchPlan plan = sync::plan_matches(sources, target);
    REQUIRE(plan.matches.size() == sources.size());
    CHECK(plan.matches[0].verdict == Verdict::restored_before);
    CHECK(plan.matches[0].uid == 1);
    CHECK(plan.matches[3].verdict == Verdict::restored_before);
    CHECK(plan.matches[3].uid == 3);
    for (const std::size_t i : {1u, 2u, 4u, 5u}) CHECK(plan.matches[i].verdict == Verdict::upload);
    CHECK(plan.claimed == std::set<store::Uid>{1, 3});
    // Only the unclaimed target messages of a size an unsettled source has need their header.
    CHECK(plan.sources_to_check == std::vector<std::size_t>{1, 2});
    CHECK(plan.targets_to_check == std::vector<store::Uid>{2, 5});
}

TEST_CASE("the header check finds an upload cut before its answer, and mail the target had before", "[restore]") {
    TargetMailbox target{3, {{1, 50}, {2, 50}, {3, 80}, {4, 80}}};
    std::vector<SourceMessage> sources{
        {1, 50, sending(3)},       // in flight last run: the target has it at UID 2
        {2, 80, std::nullopt},     // the target had it before the restore, at UID 4
        {3, 80, std::nullopt},     // same size, another header: upload
        {4, 50, std::nullopt},     // the same message as source 1 (a duplicate in the mailbox): UID 2 is taken, upload
    };
    sync::MatchPlan plan = sync::plan_matches(sources, target);
    CHECK(plan.sources_to_check == std::vector<std::size_t>{0, 1, 2, 3});
    CHECK(plan.targets_to_check == std::vector<store::Uid>{1, 2, 3, 4});
    const std::map<std::size_t, std::optional<sync::HeaderDigest>> source_headers{
        {0, digest("Message-ID: <a@x>\r\n\r\n")},
        {1, digest("Subject: no id\r\n\r\n")},
        {2, digest("Subject: other\r\n\r\n")},
        {3, digest("Message-ID: <a@x>\r\n\r\n")},
    };
    const std::map<store::Uid, std::optional<sync::HeaderDigest>> target_headers{
        {1, digest("Message-ID: <b@x>\r\n\r\n")},
        {2, digest("Message-ID: <a@x>\r\n\r\n")},
        {3, std::nullopt},   // over the bound: matches nothing
        {4, digest("Subject: no id\r\n\r\n")},
    };
    sync::match_headers(plan, sources, target, source_headers, target_headers);
    CHECK(plan.matches[0].verdict == Verdict::recovered);
    CHECK(plan.matches[0].uid == 2);
    CHECK(plan.matches[1].verdict == Verdict::already_there);
    CHECK(plan.matches[1].uid == 4);
    CHECK(plan.matches[2].verdict == Verdict::upload);
    CHECK(plan.matches[3].verdict == Verdict::upload);
}

TEST_CASE("two identical messages in a mailbox take two target messages, never one", "[restore]") {
    TargetMailbox target{1, {{8, 60}, {9, 60}}};
    std::vector<SourceMessage> sources{{1, 60, std::nullopt}, {2, 60, std::nullopt}, {3, 60, std::nullopt}};
    sync::MatchPlan plan = sync::plan_matches(sources, target);
    const auto same = digest("Message-ID: <same@x>\r\n\r\n");
    sync::match_headers(plan, sources, target, {{0, same}, {1, same}, {2, same}}, {{8, same}, {9, same}});
    CHECK(plan.matches[0].uid == 8);
    CHECK(plan.matches[1].uid == 9);
    CHECK(plan.matches[2].verdict == Verdict::upload);
}

TEST_CASE("the restore journal keeps each message's last event, across runs and a line cut by a crash", "[restore]") {
    store::testing::TempDir temp;
    const auto directory = temp.path() / "restore";
    const std::string target = "me@imap.example.com:993";
    {
        auto journal = sync::RestoreJournal::open(directory, target, true);
        journal.sending("Archive.2024", 5, 77);
        journal.placed("Archive.2024", 5, 77, 12);
        journal.sending("INBOX", 6, 3);
        journal.placed("My Box", 7, 9, 0);
        journal.flush();
        CHECK(std::filesystem::status(directory).permissions() == std::filesystem::perms::owner_all);
    }
    const auto path = directory / sync::restore_journal_name(target);
    // A crash in the middle of writing a line: that line is not taken.
    std::ofstream(path, std::ios::app | std::ios::binary) << "placed 3 6 4";
    {
        auto journal = sync::RestoreJournal::open(directory, target, true);
        const auto archived = journal.find("Archive.2024", 5);
        REQUIRE(archived);
        CHECK(archived->placed);
        CHECK(archived->uid == 12);
        CHECK(archived->uidvalidity == 77);
        const auto in_flight = journal.find("INBOX", 6);
        REQUIRE(in_flight);
        CHECK_FALSE(in_flight->placed);
        const auto without_uid = journal.find("My Box", 7);
        REQUIRE(without_uid);
        CHECK(without_uid->placed);
        CHECK(without_uid->uid == 0);
        CHECK_FALSE(journal.find("INBOX", 5));
        CHECK_FALSE(journal.find("Archive.2024", 6));
        // The cut line is ended, so that this event is a line of its own.
        journal.placed("INBOX", 6, 3, 40);
    }
    auto again = sync::RestoreJournal::open(directory, target, false);
    REQUIRE(again.find("INBOX", 6));
    CHECK(again.find("INBOX", 6)->uid == 40);
    CHECK(read(path).find("placed 3 6 4\nplaced 3 6 40 ") != std::string::npos);

    // Another target starts from nothing; a dry run creates nothing.
    const auto other = sync::RestoreJournal::open(directory, "me@other.example.com:993", false);
    CHECK_FALSE(other.find("INBOX", 6));
    CHECK_FALSE(std::filesystem::exists(other.path()));
    CHECK(other.path() != path);
    CHECK_THROWS(sync::RestoreJournal::open(directory, "x@y:1", false).placed("INBOX", 1, 1, 1));
}

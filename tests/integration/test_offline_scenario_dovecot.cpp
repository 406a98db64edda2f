// Issue 11's "done means": one offline scenario through the mailsync program against Dovecot with
// each capability mask — its own list (QRESYNC), CONDSTORE only, no MOVE and no UIDPLUS, a bare
// IMAP4rev1 — with every kind of local change, conflicts made by a second client (doveadm) and a
// bystander's \Deleted message. Then, on every server:
//   - the server, read by an independent client (tests/fault/server_truth.py, Python's imaplib),
//     equals the expected model: every message exactly once, with its flags, in the right mailbox;
//   - the mirror equals the server (mailboxes, UIDs, bytes, flags; nothing without a UID);
//   - every queued change ended confirmed, resolved by a rule (its conflict recorded), or refused,
//     and each refusal shows in the exit code (76), a sentence on stderr and `queue --refused`.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>

#include "tests/fault/server_truth.hpp"
#include "tests/integration/cli_account.hpp"
#include "tests/support/masked_dovecot.hpp"

using namespace mailsync;

namespace {

using Model = std::map<std::string, std::multiset<std::string>>;   // mailbox → "sha256|flags" of each message

std::string sha_of(const std::string& tag) {
    store::Sha256 hasher;
    hasher.update(test::make_message(tag));
    return hasher.finish().hex();
}

// As server_truth.py writes a message: SHA-256, then the flags sorted and comma-joined.
std::string entry(const std::string& sha, std::vector<std::string> flags = {}) {
    std::sort(flags.begin(), flags.end());
    std::string joined;
    for (const auto& flag : flags) joined += (joined.empty() ? "" : ",") + flag;
    return sha + "|" + joined;
}

using Truth = std::map<std::string, std::map<std::uint32_t, std::string>>;   // as read_server_truth returns it

Model model_of(const Truth& truth) {
    Model model;
    for (const auto& [mailbox, messages] : truth) {
        auto& entries = model[mailbox];
        for (const auto& [uid, message] : messages) entries.insert(message);
    }
    return model;
}

// The mirror equals the server read independently: the same mailboxes, and in each the same UIDs
// with the same bytes and flags; no message without a UID anywhere.
void check_mirror_equals_server(const test::CliAccount& cli, const Truth& truth) {
    auto store = store::Store::open(cli.store_dir, store::Access::shared);
    const auto mirrored = test::mirror_mailboxes(store);
    std::set<std::string> server_names, mirror_names(mirrored.begin(), mirrored.end());
    for (const auto& [name, messages] : truth) server_names.insert(name);
    CHECK(mirror_names == server_names);
    for (const auto& [mailbox, messages] : truth) {
        INFO("mailbox " << mailbox);
        std::map<std::uint32_t, std::string> mirror;
        for (const auto& [uid, message] : test::mirror_messages(store, mailbox))
            mirror[uid] = entry(message.sha256, message.record.flags);
        CHECK(mirror == messages);
    }
    const std::size_t unplaced = store.read([](const store::ReadTxn& txn) {
        std::size_t count = 0;
        for (const auto& mailbox : txn.mailboxes()) count += txn.messages_without_uid(mailbox.id).size();
        return count;
    });
    CHECK(unplaced == 0);
}

struct Mask {
    std::string capabilities;   // empty: Dovecot's own list
    bool move_and_uidplus;
};

void offline_scenario(const Mask& mask) {
    test::MaskedDovecot dovecot(mask.capabilities);
    const std::uint16_t port = test::DovecotFixture::get().imap_port;
    test::CliAccount cli(port);
    const std::string& user = cli.user.name;
    const auto tag = [&](const std::string& name) { return name + "-" + user; };
    const auto seed = [&](const std::string& mailbox, const std::string& name) {
        return test::seed(user, mailbox, test::make_message(tag(name)));
    };

    // The server before: INBOX with a message for each change, Archive, Old (to rename), Empty and
    // Busy (to remove; a second client delivers into Busy meanwhile).
    std::map<std::string, std::uint32_t> uid;
    for (const char* name : {"flagged", "moved", "copied", "deleted", "merged", "dropped", "reuploaded", "bystander"})
        uid[name] = seed("INBOX", name);
    seed("Archive", "archived");
    seed("Old", "old");
    test::create_mailbox(user, "Empty");
    test::create_mailbox(user, "Busy");
    REQUIRE(cli.run({"sync"}) == 0);
    std::map<std::string, std::string> ids;   // the mirror's ids, as the commands take them
    for (const auto& [name, server_uid] : uid) ids[name] = cli.id_of("INBOX", server_uid);
    const auto id = [&](const std::string& name) { return ids.at(name); };

    // Offline, through the commands.
    REQUIRE(cli.run({"flag", "INBOX", id("flagged"), "+seen", "+$Work"}) == 0);
    REQUIRE(cli.run({"move", "INBOX", id("moved"), "Archive"}) == 0);
    REQUIRE(cli.run({"copy", "INBOX", id("copied"), "Archive"}) == 0);
    REQUIRE(cli.run({"delete", "INBOX", id("deleted")}) == 0);
    REQUIRE(cli.run({"append", "INBOX", cli.message_file(tag("appended")).string(), "--flags", "seen"}) == 0);
    REQUIRE(cli.run({"mkdir", "Projects"}) == 0);
    REQUIRE(cli.run({"append", "Projects", cli.message_file(tag("project")).string()}) == 0);
    REQUIRE(cli.run({"mkdir", "~Bad"}) == 0);   // Dovecot refuses the name: NO [CANNOT]
    REQUIRE(cli.run({"append", "~Bad", cli.message_file(tag("bad")).string()}) == 0);
    REQUIRE(cli.run({"rename", "Old", "Renamed"}) == 0);
    REQUIRE(cli.run({"rmdir", "Empty"}) == 0);
    REQUIRE(cli.run({"rmdir", "Busy"}) == 0);
    REQUIRE(cli.run({"flag", "INBOX", id("merged"), "+flagged"}) == 0);
    REQUIRE(cli.run({"flag", "INBOX", id("dropped"), "+seen"}) == 0);
    REQUIRE(cli.run({"move", "INBOX", id("reuploaded"), "Archive"}) == 0);

    // A second client meanwhile.
    test::add_flags(user, "INBOX", uid["merged"], {"$Server"});
    test::expunge(user, "INBOX", uid["dropped"]);
    test::expunge(user, "INBOX", uid["reuploaded"]);
    test::add_flags(user, "INBOX", uid["bystander"], {"\\Deleted"});   // not expunged: it must survive
    seed("Busy", "arrived");

    // The sync: refusals make it exit 76, each with its sentence on stderr.
    std::string said;
    CHECK(cli.run_split({"sync"}, said) == 76);
    INFO("stderr of the first sync:\n" << said);
    CHECK(said.find("The creation of mailbox '~Bad' was refused because the server answered NO to CREATE") !=
          std::string::npos);
    CHECK(said.find("The append of message") != std::string::npos);   // into ~Bad, made on top of it
    if (!mask.move_and_uidplus) {
        CHECK(said.find("The move of message " + id("moved")) != std::string::npos);
        CHECK(said.find("The deletion of message " + id("deleted")) != std::string::npos);
    }
    // A refusal that retrying may cure (the delete, while the bystander is marked \Deleted) is tried
    // by the next syncs, then refused for good; after that a sync is quiet.
    int runs = 1, status = 76;
    while (status == 76 && runs < 8) {
        status = cli.run({"sync"});
        ++runs;
    }
    CHECK(status == 0);
    CHECK(runs == (mask.move_and_uidplus ? 2 : 6));

    // Every change that is left is refused for good and listed by `queue --refused`.
    const auto listed_from = cli.output().size();
    REQUIRE(cli.run({"--json", "queue", "--refused"}) == 0);
    const auto refused = YAML::Load(cli.output().substr(listed_from));
    std::multiset<std::string> refused_kinds;
    for (const auto& record : refused) {
        CHECK(record["state"].as<std::string>() == "refused");
        CHECK_FALSE(record["last_error"].as<std::string>().empty());
        refused_kinds.insert(record["kind"].as<std::string>() + " " + record["mailbox"].as<std::string>());
    }
    std::multiset<std::string> expected_refused = {"mkdir ~Bad", "append ~Bad"};
    if (!mask.move_and_uidplus) expected_refused.insert({"move INBOX", "delete INBOX"});
    CHECK(refused_kinds == expected_refused);
    const auto queued_from = cli.output().size();
    REQUIRE(cli.run({"--json", "queue"}) == 0);
    CHECK(YAML::Load(cli.output().substr(queued_from)).size() == refused.size());   // nothing else outstanding

    // The conflicts, each resolved by its rule.
    const auto conflicts_from = cli.output().size();
    REQUIRE(cli.run({"--json", "conflicts"}) == 0);
    std::multiset<std::string> rules;
    for (const auto& conflict : YAML::Load(cli.output().substr(conflicts_from)))
        rules.insert(conflict["rule"].as<std::string>());
    CHECK(rules == std::multiset<std::string>{"flags-merge", "delete-wins", "move-reuploads", "mailbox-not-empty"});

    // The server equals the model: every message once, with its flags.
    Model expected;
    expected["INBOX"] = {entry(sha_of(tag("flagged")), {"\\Seen", "$Work"}), entry(sha_of(tag("copied"))),
                         entry(sha_of(tag("merged")), {"$Server", "\\Flagged"}),
                         entry(sha_of(tag("bystander")), {"\\Deleted"}), entry(sha_of(tag("appended")), {"\\Seen"})};
    expected["Archive"] = {entry(sha_of(tag("archived"))), entry(sha_of(tag("copied"))),
                           entry(sha_of(tag("reuploaded")))};
    // Without MOVE and UIDPLUS the move and the delete were refused: both messages stay in INBOX.
    (mask.move_and_uidplus ? expected["Archive"] : expected["INBOX"]).insert(entry(sha_of(tag("moved"))));
    if (!mask.move_and_uidplus) expected["INBOX"].insert(entry(sha_of(tag("deleted"))));
    expected["Projects"] = {entry(sha_of(tag("project")))};
    expected["Renamed"] = {entry(sha_of(tag("old")))};
    expected["Busy"] = {entry(sha_of(tag("arrived")))};
    for (const char* special : {"Sent", "Drafts", "Trash", "Junk"}) expected[special];
    const auto read_truth = [&] { return test::campaign::read_server_truth(port, user, cli.user.password); };
    const Truth truth = read_truth();
    CHECK(model_of(truth) == expected);
    check_mirror_equals_server(cli, truth);
    // Converged: one more sync is quiet and changes nothing on the server.
    CHECK(cli.run({"sync"}) == 0);
    const Truth again = read_truth();
    CHECK(again == truth);
    check_mirror_equals_server(cli, again);
}

}  // namespace

TEST_CASE("offline scenario against Dovecot with its own capabilities (QRESYNC)", "[replay][scenario]") {
    offline_scenario({"", true});
}

TEST_CASE("offline scenario against Dovecot with CONDSTORE only", "[replay][scenario]") {
    offline_scenario({test::capabilities_condstore_only, true});
}

TEST_CASE("offline scenario against Dovecot without MOVE and UIDPLUS", "[replay][scenario]") {
    offline_scenario({test::capabilities_without_move_uidplus, false});
}

TEST_CASE("offline scenario against a bare IMAP4rev1 Dovecot", "[replay][scenario]") {
    offline_scenario({test::capabilities_bare, false});
}

// The C++ helpers of tests/support/dovecot.hpp against the running fixture.
#include "tests/support/dovecot.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using namespace mailsync::test;

namespace {
std::string message(const std::string& subject) {
    return "From: Fixture <fixture@example.org>\r\nTo: user2@localhost\r\nSubject: " + subject +
           "\r\nMessage-ID: <" + subject + "@fixture.test>\r\nDate: Mon, 2 Jan 2023 10:00:00 +0000\r\n"
           "\r\nbody of " + subject + "\r\n";
}
bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}
}  // namespace

TEST_CASE("dovecot fixture: env is read") {
    const auto& d = DovecotFixture::get();
    CHECK(d.host == "127.0.0.1");
    CHECK(d.imap_port != 0);
    CHECK(d.imaps_port != 0);
    CHECK(d.imap_port != d.imaps_port);
    CHECK(d.cert_sha256.size() == 64);
    REQUIRE(d.users.size() == 3);
    CHECK(d.user("user3").password.find(' ') != std::string::npos);
    CHECK_THROWS(d.user("nobody"));
}

TEST_CASE("dovecot fixture: seed, flags, expunge, reset") {
    // A user of its own: user1..user3 are shared with other tests that may run in parallel.
    const std::string user2 = unique_user("seed").name;
    reset_user(user2);
    CHECK(status(user2, "INBOX").messages == 0);

    auto uid1 = seed(user2, "INBOX", message("one"));
    auto uid2 = seed(user2, "INBOX", message("two"), {"\\Seen", "$Label1"});
    CHECK(uid2 == uid1 + 1);
    auto st = status(user2, "INBOX");
    CHECK(st.messages == 2);
    CHECK(st.unseen == 1);
    CHECK(st.uidnext == uid2 + 1);
    CHECK(st.highestmodseq > 0);
    CHECK(flags(user2, "INBOX", uid1).empty());
    auto f2 = flags(user2, "INBOX", uid2);
    CHECK(has(f2, "\\Seen"));
    CHECK(has(f2, "$Label1"));

    add_flags(user2, "INBOX", uid1, {"\\Flagged"});
    remove_flags(user2, "INBOX", uid2, {"\\Seen"});
    CHECK(has(flags(user2, "INBOX", uid1), "\\Flagged"));
    CHECK_FALSE(has(flags(user2, "INBOX", uid2), "\\Seen"));
    CHECK(status(user2, "INBOX").highestmodseq > st.highestmodseq);

    expunge(user2, "INBOX", uid1);
    CHECK(status(user2, "INBOX").messages == 1);

    // Nested mailboxes are created on demand; '.' is allowed in names.
    seed(user2, "Projects/2023.Q1", message("three"));
    CHECK(status(user2, "Projects/2023.Q1").messages == 1);
    seed(user2, "Sent", message("four"));

    set_uidvalidity(user2, "Sent", 4242);
    CHECK(status(user2, "Sent").uidvalidity == 4242);

    reset_user(user2);
    CHECK(status(user2, "INBOX").messages == 0);
    CHECK(status(user2, "Sent").messages == 0);
    CHECK_THROWS(status(user2, "Projects/2023.Q1"));
    auto boxes = doveadm({"mailbox", "list", "-u", user2});
    CHECK(boxes.find("Projects") == std::string::npos);
}

TEST_CASE("dovecot fixture: errors name the command") {
    try {
        doveadm({"mailbox", "status", "-u", "user2", "messages", "No/Such/Box"});
        FAIL("no exception");
    } catch (const std::runtime_error& e) {
        std::string what = e.what();
        CHECK(what.find("doveadm") != std::string::npos);
        CHECK(what.find("No/Such/Box") != std::string::npos);
    }
}

TEST_CASE("dovecot fixture: unique users are independent") {
    auto a = unique_user("fixture a/b");
    auto b = unique_user("fixture a/b");
    CHECK(a.name != b.name);
    CHECK(a.name.rfind("t_fixture_a_b_", 0) == 0);
    CHECK(a.password == a.name + "-pw");
    seed(a.name, "INBOX", message("only-a"));
    CHECK(status(a.name, "INBOX").messages == 1);
    CHECK(status(b.name, "INBOX").messages == 0);
    auto boxes = doveadm({"mailbox", "list", "-u", b.name});
    CHECK(boxes.find("Sent") != std::string::npos);
}

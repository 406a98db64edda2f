// The push side against Dovecot with capabilities masked (tests/support/masked_dovecot.hpp): what
// mailsync must still do on servers that lack MOVE, UIDPLUS, CONDSTORE or QRESYNC.
#include <catch2/catch.hpp>

#include "tests/integration/replay_test_support.hpp"
#include "tests/support/masked_dovecot.hpp"

using namespace mailsync;
using namespace test::replay;

namespace {

// A local move of a message that a second client expunged meanwhile: re-uploaded into the
// destination (APPEND, which needs neither MOVE nor UIDPLUS), once; nothing left behind.
void move_of_expunged_message_is_reuploaded() {
    Account a;
    {
        // The mask holds: the session sees neither MOVE nor UIDPLUS.
        auto connection = a.factory()();
        CHECK_FALSE(connection.session->has_capability("MOVE"));
        CHECK_FALSE(connection.session->has_capability("UIDPLUS"));
        connection.session->logout();
    }
    const auto uid = a.seed("INBOX", "expunged-" + a.user.name);
    a.seed("INBOX", "kept-" + a.user.name);
    a.pull();
    sync::move_messages(*a.store, "INBOX", std::vector{a.id("INBOX", uid)}, "Archive", now);
    test::expunge(a.user.name, "INBOX", uid);

    const auto pushed = a.push();
    CHECK(pushed.failed == 0);
    CHECK(a.queue().empty());
    CHECK(a.has_conflict("move-reuploads"));
    a.pull();
    const std::map<std::string, Flags> expected_archive = {{sha_of("expunged-" + a.user.name), {}}};
    CHECK(server_content(a, "Archive") == expected_archive);
    const std::map<std::string, Flags> expected_inbox = {{sha_of("kept-" + a.user.name), {}}};
    CHECK(server_content(a, "INBOX") == expected_inbox);
    check_mirror_equals_server(a, "INBOX");
    check_mirror_equals_server(a, "Archive");
}

}  // namespace

TEST_CASE("without MOVE and UIDPLUS, a local move of a message the server expunged is re-uploaded",
          "[replay][capabilities]") {
    test::MaskedDovecot dovecot(test::capabilities_without_move_uidplus);
    move_of_expunged_message_is_reuploaded();
}

TEST_CASE("on a bare IMAP4rev1 server, a local move of a message the server expunged is re-uploaded",
          "[replay][capabilities]") {
    test::MaskedDovecot dovecot(test::capabilities_bare);
    move_of_expunged_message_is_reuploaded();
}

// COMPRESS=DEFLATE (RFC 4978) against the fixture's Dovecot, which loads imap_zlib: the session
// really compresses (fewer bytes on the wire than the messages hold), and the mirror is
// byte-identical; a server that does not offer it, or masks it, still syncs under compress: auto.
#include <catch2/catch.hpp>

#include "tests/integration/replay_test_support.hpp"
#include "tests/support/masked_dovecot.hpp"

using namespace mailsync;
using namespace test::replay;

namespace {

// Mailing-list-like plain text: compresses well, as real list traffic does.
std::string list_message(int n) {
    std::string text = "From: list@example.org\r\nTo: me@example.org\r\nSubject: [list] thread " +
                       std::to_string(n) + "\r\nMessage-ID: <" + std::to_string(n) + "@example.org>\r\n\r\n";
    for (int line = 0; line < 200; ++line)
        text += "> On the list we discussed line " + std::to_string(line) + " of message " + std::to_string(n) +
                ", and the answer is still the same.\r\n";
    return text;
}

sync::ConnectionFactory factory_with(const Account& account, sync::CompressMode mode) {
    auto settings = test::plaintext_settings(account.user.name);
    settings.endpoint.port = account.port;
    settings.timeout = std::chrono::seconds(10);
    settings.compress = mode;
    return [settings, user = account.user] { return sync::connect(settings, [user](bool) { return user.password; }); };
}

}  // namespace

TEST_CASE("COMPRESS=DEFLATE: a first sync is compressed on the wire and the mirror is identical", "[compress]") {
    Account a;
    REQUIRE(test::DovecotFixture::get().compress);
    std::uint64_t message_bytes = 0;
    for (int n = 0; n < 40; ++n) {
        const std::string message = list_message(n);
        message_bytes += message.size();
        test::seed(a.user.name, "INBOX", message);
    }
    {
        auto connection = factory_with(a, sync::CompressMode::required)();
        CHECK(connection.session->has_capability("COMPRESS=DEFLATE"));
        CHECK(connection.session->transport().compressed());
        connection.session->logout();
    }
    {
        auto connection = factory_with(a, sync::CompressMode::never)();
        CHECK_FALSE(connection.session->transport().compressed());
        connection.session->logout();
    }
    sync::PullOptions options;
    options.connections = 1;
    const auto report = sync::pull(factory_with(a, sync::CompressMode::automatic), *a.store, options);
    INFO("message bytes " << message_bytes << ", received on the wire " << report.wire_bytes_received);
    CHECK(report.wire_bytes_received > 0);
    CHECK(report.wire_bytes_received * 4 < message_bytes);
    check_mirror_equals_server(a, "INBOX");
}

TEST_CASE("COMPRESS=DEFLATE: compress: yes against a server without it is a protocol error", "[compress]") {
    test::MaskedDovecot dovecot("", "", false);  // Dovecot without imap_zlib offers no COMPRESS
    Account a;
    try {
        auto connection = factory_with(a, sync::CompressMode::required)();
        FAIL("connected without COMPRESS although compress: yes");
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::protocol);
        CHECK(std::string(error.what()).find("COMPRESS=DEFLATE") != std::string::npos);
    }
}

TEST_CASE("COMPRESS=DEFLATE: compress: auto syncs uncompressed with a server that masks COMPRESS", "[compress]") {
    // imap_zlib is loaded, but the capability list after login does not name COMPRESS=DEFLATE.
    test::MaskedDovecot dovecot(test::capabilities_condstore_only);
    Account a;
    for (int n = 0; n < 5; ++n) test::seed(a.user.name, "INBOX", list_message(n));
    {
        auto connection = factory_with(a, sync::CompressMode::automatic)();
        CHECK_FALSE(connection.session->has_capability("COMPRESS=DEFLATE"));
        CHECK_FALSE(connection.session->transport().compressed());
        connection.session->logout();
    }
    sync::PullOptions options;
    options.connections = 1;
    const auto report = sync::pull(factory_with(a, sync::CompressMode::automatic), *a.store, options);
    CHECK(report.failed() == 0);
    check_mirror_equals_server(a, "INBOX");
}

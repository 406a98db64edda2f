// The protocol engine against the real Dovecot of the `dovecot` fixture: plaintext, STARTTLS and
// implicit TLS, certificate checks, capabilities, QRESYNC, LIST-STATUS, streamed bodies, and the
// probe behind `mailsync probe`.
#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <map>

#include "common/ascii.hpp"
#include "common/error.hpp"
#include "sync/server/connect.hpp"
#include "sync/server/probe.hpp"
#include "sync/imap/tcp_transport.hpp"
#include "tests/support/dovecot.hpp"

using namespace mailsync;
using namespace mailsync::imap;
using mailsync::test::DovecotFixture;

namespace {

sync::ServerSettings settings_for(const std::string& user, TlsMode tls) {
    const auto& dovecot = DovecotFixture::get();
    sync::ServerSettings settings;
    settings.endpoint.host = dovecot.host;
    settings.endpoint.port = tls == TlsMode::implicit ? dovecot.imaps_port : dovecot.imap_port;
    settings.endpoint.tls = tls;
    settings.endpoint.tls_options.ca_file = dovecot.ca_cert;
    settings.user = user;
    settings.timeout = std::chrono::seconds(20);
    return settings;
}

sync::Connection connect_as(const std::string& user, TlsMode tls = TlsMode::none) {
    const std::string password = DovecotFixture::get().user(user).password;
    return sync::connect(settings_for(user, tls), [password](bool) { return password; });
}

std::string message(const std::string& subject, const std::string& body) {
    return "From: Test <test@example.org>\r\nTo: user@example.org\r\nSubject: " + subject +
           "\r\nMessage-ID: <" + subject + "@mailsync.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n" + body + "\r\n";
}

struct Collector : UntaggedHandler {
    std::vector<Response> responses;
    void on_untagged(const Response& response) override { responses.push_back(response); }
    template <class T> std::vector<T> all() const {
        std::vector<T> result;
        for (const auto& r : responses)
            if (const auto* t = std::get_if<T>(&r)) result.push_back(*t);
        return result;
    }
};

std::string error_of(const std::function<void()>& action, ErrorCategory expected) {
    try {
        action();
    } catch (const Error& error) {
        CHECK(error.category() == expected);
        return error.what();
    }
    FAIL("no error was thrown");
    return {};
}

}  // namespace

TEST_CASE("dovecot: plaintext login, capabilities and ENABLE QRESYNC") {
    auto connection = connect_as("user1");
    auto& session = *connection.session;
    CHECK(session.state() == SessionState::authenticated);
    CHECK_FALSE(session.transport().is_tls());
    for (const char* capability : {"IMAP4REV1", "QRESYNC", "CONDSTORE", "UIDPLUS", "MOVE", "LITERAL+", "IDLE", "ESEARCH"})
        CHECK(session.has_capability(capability));
    CHECK(session.is_enabled("QRESYNC"));
    session.logout();
}

TEST_CASE("dovecot: STARTTLS and implicit TLS verify the server against the CA file") {
    for (TlsMode mode : {TlsMode::starttls, TlsMode::implicit}) {
        auto connection = connect_as("user1", mode);
        CHECK(connection.session->transport().is_tls());
        CHECK(connection.session->state() == SessionState::authenticated);
        std::string fingerprint = connection.tcp->peer_certificate_sha256();
        fingerprint.erase(std::remove(fingerprint.begin(), fingerprint.end(), ':'), fingerprint.end());
        CHECK(ascii::to_lower(fingerprint) == DovecotFixture::get().cert_sha256);
        connection.session->logout();
    }
}

TEST_CASE("dovecot: an untrusted certificate is refused, a pinned one accepted") {
    const std::string password = DovecotFixture::get().user("user1").password;
    const auto secret = [password](bool) { return password; };
    auto settings = settings_for("user1", TlsMode::implicit);

    settings.endpoint.tls_options.ca_file.clear();  // the system store does not know the fixture's CA
    const std::string untrusted = error_of([&] { sync::connect(settings, secret); }, ErrorCategory::protocol);
    CHECK_THAT(untrusted, Catch::Contains("certificate"));

    settings.endpoint.tls_options.pinned_sha256 = DovecotFixture::get().cert_sha256;
    auto pinned = sync::connect(settings, secret);
    CHECK(pinned.session->state() == SessionState::authenticated);
    pinned.session->logout();

    settings.endpoint.tls_options.pinned_sha256 = std::string(64, 'a');
    error_of([&] { sync::connect(settings, secret); }, ErrorCategory::protocol);
}

TEST_CASE("dovecot: a wrong password is an authentication error") {
    auto settings = settings_for("user1", TlsMode::none);
    error_of([&] { sync::connect(settings, [](bool) { return std::string("wrong"); }); }, ErrorCategory::auth);
}

TEST_CASE("dovecot: a password with quotes and spaces survives the encoder") {
    // user3's password has a space and quotes; LOGIN quotes it, AUTHENTICATE PLAIN base64s it.
    auto settings = settings_for("user3", TlsMode::none);
    const std::string password = DovecotFixture::get().user("user3").password;
    for (auto method : {sync::AuthMethod::login, sync::AuthMethod::plain}) {
        settings.auth = method;
        auto connection = sync::connect(settings, [&](bool) { return password; });
        CHECK(connection.session->state() == SessionState::authenticated);
        connection.session->logout();
    }
}

TEST_CASE("dovecot: LIST with SPECIAL-USE and STATUS in one round") {
    test::reset_user("user1");
    test::create_mailbox("user1", "Projects/2026");
    test::seed("user1", "Projects/2026", message("list-a", "a"));
    test::seed("user1", "Projects/2026", message("list-b", "b"), {"\\Seen"});

    auto connection = connect_as("user1");
    auto& session = *connection.session;
    REQUIRE(session.has_capability("LIST-STATUS"));
    Collector collector;
    session.set_handler(&collector);
    cmd::List list;
    list.return_special_use = true;
    list.return_status = {"MESSAGES", "UNSEEN", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ"};
    session.run_ok(list);

    std::map<std::string, ListData> boxes;
    for (const auto& l : collector.all<ListData>()) boxes[l.mailbox] = l;
    REQUIRE(boxes.count("INBOX"));
    REQUIRE(boxes.count("Sent"));
    REQUIRE(boxes.count("Projects/2026"));
    CHECK(boxes["Projects/2026"].delimiter == '/');
    const auto& sent = boxes["Sent"].attributes;
    CHECK(std::find(sent.begin(), sent.end(), "\\SENT") != sent.end());

    std::map<std::string, StatusData> statuses;
    for (const auto& s : collector.all<StatusData>()) statuses[s.mailbox] = s;
    REQUIRE(statuses.count("Projects/2026"));
    CHECK(statuses["Projects/2026"].messages == 2u);
    CHECK(statuses["Projects/2026"].unseen == 1u);
    CHECK(statuses["Projects/2026"].uidvalidity.value_or(0) > 0);
    CHECK(statuses["Projects/2026"].highestmodseq.value_or(0) > 0);
    session.logout();
}

TEST_CASE("dovecot: the probe reports TLS, capabilities, what was enabled and every mailbox with its size") {
    const auto user = test::unique_user("probe");
    test::seed(user.name, "Projects/2026", message("probe-a", "a"));
    test::seed(user.name, "Projects/2026", message("probe-b", "b"), {"\\Seen"});
    const auto password = [password = user.password](bool) { return password; };

    const sync::ProbeReport plain = sync::probe_server(settings_for(user.name, TlsMode::none), password);
    CHECK_FALSE(plain.tls);
    CHECK(plain.certificate_sha256.empty());
    CHECK(std::is_sorted(plain.capabilities.begin(), plain.capabilities.end()));
    CHECK(std::count(plain.capabilities.begin(), plain.capabilities.end(), "LIST-STATUS") == 1);
    CHECK(plain.enabled == std::vector<std::string>{"QRESYNC"});   // what connect() enables on Dovecot
    std::map<std::string, sync::ProbedMailbox> boxes;
    for (const auto& mailbox : plain.mailboxes) boxes[mailbox.name] = mailbox;
    REQUIRE(boxes.count("Projects/2026"));
    CHECK(boxes["Projects/2026"].has_status);
    CHECK(boxes["Projects/2026"].messages == 2u);
    CHECK(boxes["Projects/2026"].unseen == 1u);
    REQUIRE(boxes.count("Sent"));
    CHECK(std::count(boxes["Sent"].attributes.begin(), boxes["Sent"].attributes.end(), "\\SENT") == 1);

    const sync::ProbeReport tls = sync::probe_server(settings_for(user.name, TlsMode::implicit), password);
    CHECK(tls.tls);
    CHECK(tls.certificate_sha256.size() == 32 * 3 - 1);   // "AB:CD:..." (the pin tls_fingerprint takes)
    CHECK(tls.mailboxes.size() == plain.mailboxes.size());
}

TEST_CASE("dovecot: SELECT with QRESYNC reports what a second client changed and expunged") {
    test::reset_user("user2");
    std::vector<std::uint32_t> uids;
    for (int i = 0; i < 5; ++i) uids.push_back(test::seed("user2", "INBOX", message("qr" + std::to_string(i), "body")));

    std::uint32_t uidvalidity = 0;
    std::uint64_t modseq = 0;
    {
        auto connection = connect_as("user2");
        const auto selected = connection.session->select(cmd::Select{"INBOX", true, true, std::nullopt});
        REQUIRE(selected);
        REQUIRE(selected->highestmodseq);
        uidvalidity = selected->uidvalidity;
        modseq = *selected->highestmodseq;
        CHECK(selected->exists == 5);
        connection.session->logout();
    }

    // The second client: a flag on the second message, the third and fourth expunged.
    test::add_flags("user2", "INBOX", uids[1], {"\\Flagged", "$Important"});
    test::expunge("user2", "INBOX", uids[2]);
    test::expunge("user2", "INBOX", uids[3]);

    auto connection = connect_as("user2");
    auto& session = *connection.session;
    Collector collector;
    session.set_handler(&collector);
    cmd::QresyncParams qresync{uidvalidity, modseq, SequenceSet::from_values(uids), std::nullopt};
    const auto selected = session.select(cmd::Select{"INBOX", true, false, qresync});
    REQUIRE(selected);
    CHECK(selected->exists == 3);
    CHECK(selected->highestmodseq.value_or(0) > modseq);

    const auto vanished = collector.all<VanishedData>();
    REQUIRE(vanished.size() == 1);
    CHECK(vanished[0].earlier);
    CHECK(vanished[0].uids == SequenceSet::from_values({uids[2], uids[3]}));

    const auto fetches = collector.all<FetchData>();
    REQUIRE(fetches.size() == 1);
    CHECK(fetches[0].uid == uids[1]);
    REQUIRE(fetches[0].flags);
    CHECK(std::count(fetches[0].flags->begin(), fetches[0].flags->end(), "\\Flagged") == 1);
    CHECK(std::count(fetches[0].flags->begin(), fetches[0].flags->end(), "$Important") == 1);
    CHECK(fetches[0].modseq.value_or(0) > modseq);
    session.logout();
}

namespace {

// Hashes each body as it streams and records the largest chunk it was handed.
struct HashingSink : BodySink {
    struct Body { std::uint32_t seq = 0; std::uint64_t size = 0, received = 0; std::string sha256; };
    std::vector<Body> bodies;
    std::size_t largest_chunk = 0, chunks = 0;
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    ~HashingSink() override { EVP_MD_CTX_free(context); }

    void begin(const BodyContext& c) override {
        bodies.push_back({c.seq, c.size, 0, {}});
        EVP_DigestInit_ex(context, EVP_sha256(), nullptr);
    }
    void write(std::string_view chunk) override {
        bodies.back().received += chunk.size();
        largest_chunk = std::max(largest_chunk, chunk.size());
        ++chunks;
        EVP_DigestUpdate(context, chunk.data(), chunk.size());
    }
    void finish() override {
        unsigned char digest[32];
        unsigned int length = 0;
        EVP_DigestFinal_ex(context, digest, &length);
        bodies.back().sha256 = hex(std::string_view(reinterpret_cast<char*>(digest), length));
    }
    static std::string hex(std::string_view bytes) {
        static const char* digits = "0123456789abcdef";
        std::string out;
        for (char c : bytes) {
            const auto byte = static_cast<unsigned char>(c);
            out += digits[byte >> 4];
            out += digits[byte & 15];
        }
        return out;
    }
};

std::string sha256_hex(const std::string& data) {
    unsigned char digest[32];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
    return HashingSink::hex(std::string_view(reinterpret_cast<char*>(digest), length));
}

}  // namespace

TEST_CASE("dovecot: pipelined UID FETCH streams a multi-megabyte body to the sink") {
    test::reset_user("user1");
    test::create_mailbox("user1", "Big");
    std::string big_body;
    big_body.reserve(6u << 20);
    for (std::size_t line = 0; big_body.size() < (6u << 20); ++line)
        big_body += "line " + std::to_string(line) + " of a large attachment, base64-like ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n";
    const std::string big = message("big", big_body);
    const std::string small = message("small", "tiny");
    const auto big_uid = test::seed("user1", "Big", big);
    const auto small_uid = test::seed("user1", "Big", small);

    auto connection = connect_as("user1");
    auto& session = *connection.session;
    HashingSink sink;
    session.set_body_sink(&sink);
    Collector collector;
    session.set_handler(&collector);
    session.select(cmd::Select{"Big", true});

    // Three commands in flight at once; the answers arrive back to back.
    std::vector<std::string> tags;
    for (auto uid : {big_uid, small_uid, big_uid})
        tags.push_back(session.send(cmd::UidFetch{SequenceSet::from_values({uid}), false,
            {"UID", "RFC822.SIZE", "BODY.PEEK[]"}, std::nullopt, false}));
    for (const auto& tag : tags) CHECK(session.wait(tag).status == Status::ok);

    REQUIRE(sink.bodies.size() == 3);
    CHECK(sink.bodies[0].sha256 == sha256_hex(big));
    CHECK(sink.bodies[1].sha256 == sha256_hex(small));
    CHECK(sink.bodies[2].sha256 == sha256_hex(big));
    for (const auto& body : sink.bodies) CHECK(body.received == body.size);
    // Streamed in pieces, none of them the whole message.
    CHECK(sink.chunks > 20);
    CHECK(sink.largest_chunk <= 256u * 1024);

    const auto fetches = collector.all<FetchData>();
    REQUIRE(fetches.size() == 3);
    for (const auto& fetch : fetches) {
        REQUIRE(fetch.sections.size() == 1);
        CHECK(fetch.sections[0].streamed);
        CHECK(fetch.sections[0].data.empty());
        CHECK(fetch.rfc822_size == fetch.sections[0].size);
    }
    session.logout();
}

// The session's pipelined login (login_pipelined) and LOGOUT without waiting: what is written before
// any answer is read, how the answer's capabilities replace the expected ones, and a refusal.
#include <catch2/catch.hpp>

#include <chrono>

#include "tests/unit/session_test_support.hpp"

using namespace mailsync;
using namespace mailsync::imap;
using namespace mailsync::imap::test;

namespace {

const std::set<std::string> kExpected = {"IMAP4REV1", "ENABLE", "QRESYNC", "LIST-STATUS"};

}  // namespace

TEST_CASE("session: a pipelined LOGIN lets the next commands go at once, and its answer's capabilities replace the expected") {
    Fixture f(kGreeting);
    f.server->replies = {{"LOGIN", "$TAG OK [CAPABILITY IMAP4rev1 ENABLE QRESYNC MOVE] Logged in\r\n"},
                         {"ENABLE", "* ENABLED QRESYNC\r\n$TAG OK enabled\r\n"},
                         {"NOOP", "$TAG OK done\r\n"}};
    f.session->read_greeting();
    f.session->login_pipelined("user", "secret", false, kExpected);
    CHECK(f.session->login_in_flight());
    CHECK(f.session->has_capability("LIST-STATUS"));   // expected, until the answer tells
    f.session->send(cmd::Enable{{"QRESYNC"}});
    const std::string noop = f.session->send(cmd::Noop{});
    // All three are on the wire before a single answer was read: one flight.
    CHECK(f.transport->written() == "m1 LOGIN user secret\r\nm2 ENABLE QRESYNC\r\nm3 NOOP\r\n");
    CHECK(f.session->wait(noop).status == Status::ok);
    CHECK_FALSE(f.session->login_in_flight());
    CHECK(f.session->state() == SessionState::authenticated);
    CHECK(f.session->is_enabled("QRESYNC"));
    CHECK(f.session->has_capability("MOVE"));
    CHECK_FALSE(f.session->has_capability("LIST-STATUS"));   // the server's own list replaced the guess
}

TEST_CASE("session: a refused pipelined login is an authentication error from the wait, the rest refused with it") {
    Fixture f(kGreeting);
    f.server->replies = {{"LOGIN", "$TAG NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"},
                         {"ENABLE", "$TAG BAD Error in IMAP command ENABLE: not logged in\r\n"}};
    f.session->read_greeting();
    f.session->login_pipelined("user", "wrong", false, kExpected);
    const std::string enable = f.session->send(cmd::Enable{{"QRESYNC"}});
    try {
        f.session->wait(enable);
        FAIL("a refused login was not reported");
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::auth);
        CHECK(std::string(error.what()).find("refused the login of user") != std::string::npos);
    }
    CHECK(f.session->state() == SessionState::logged_out);
    f.session->logout();   // nothing more is sent on a connection that failed its login
    CHECK(f.transport->written().find("LOGOUT") == std::string::npos);
}

TEST_CASE("session: AUTHENTICATE PLAIN with SASL-IR, pipelined, lets commands follow it at once") {
    Fixture f(kGreeting);
    f.server->replies = {{"AUTHENTICATE PLAIN", "$TAG OK [CAPABILITY IMAP4rev1 LIST-STATUS] ok\r\n"},
                         {"NOOP", "$TAG OK done\r\n"}};
    f.session->read_greeting();
    f.session->login_pipelined("user", "pass", true, kExpected);
    const std::string noop = f.session->send(cmd::Noop{});
    CHECK(f.transport->written() == "m1 AUTHENTICATE PLAIN AHVzZXIAcGFzcw==\r\nm2 NOOP\r\n");
    f.session->wait(noop);
    CHECK(f.session->state() == SessionState::authenticated);
}

TEST_CASE("session: a pipelined login answered without capabilities asks for them at the next wait") {
    Fixture f(kGreeting);
    f.server->replies = {{"LOGIN", "$TAG OK Logged in\r\n"},
                         {"NOOP", "$TAG OK done\r\n"},
                         {"CAPABILITY", "* CAPABILITY IMAP4rev1 XAFTER\r\n$TAG OK done\r\n"}};
    f.session->read_greeting();
    f.session->login_pipelined("user", "secret", false, kExpected);
    f.session->wait(f.session->send(cmd::Noop{}));
    CHECK(f.server->lines.back() == "m3 CAPABILITY");
    CHECK(f.session->has_capability("XAFTER"));
    CHECK_FALSE(f.session->has_capability("QRESYNC"));
}

TEST_CASE("session: LOGOUT is sent and not waited for") {
    Fixture f(kGreeting);
    f.server->replies = {{"LOGIN", "$TAG OK [CAPABILITY IMAP4rev1] Logged in\r\n"}};   // LOGOUT: no answer ever
    f.session->read_greeting();
    f.session->login("user", "secret");
    const auto start = std::chrono::steady_clock::now();
    f.session->logout();
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
    CHECK(f.server->lines.back() == "m2 LOGOUT");
    CHECK(f.session->state() == SessionState::logged_out);
}

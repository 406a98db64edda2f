// The session against a scripted server in memory: exact bytes written, pipelining, literals,
// capabilities, authentication, STARTTLS, SELECT, IDLE and lost connections.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <regex>

#include "common/error.hpp"
#include "sync/imap/memory_transport.hpp"
#include "sync/imap/session.hpp"
#include "tests/unit/session_test_support.hpp"

using namespace mailsync;
using namespace mailsync::imap;

using namespace mailsync::imap::test;

TEST_CASE("session: greeting with capabilities needs no CAPABILITY command") {
    Fixture f(kGreeting);
    f.session->read_greeting();
    CHECK(f.session->state() == SessionState::not_authenticated);
    CHECK(f.session->has_capability("qresync"));
    CHECK(f.session->has_capability("LITERAL+"));
    CHECK_FALSE(f.session->has_capability("MOVE"));
    CHECK(f.transport->written().empty());
}

TEST_CASE("session: greeting without capabilities asks for them") {
    Fixture f("* OK hello\r\n");
    f.server->replies = {{"CAPABILITY", "* CAPABILITY IMAP4rev1 MOVE\r\n$TAG OK done\r\n"}};
    f.session->read_greeting();
    CHECK(f.transport->written() == "m1 CAPABILITY\r\n");
    CHECK(f.session->has_capability("MOVE"));
}

TEST_CASE("session: PREAUTH greeting is authenticated, BYE greeting is unavailable") {
    {
        Fixture f("* PREAUTH [CAPABILITY IMAP4rev1] welcome back\r\n");
        f.session->read_greeting();
        CHECK(f.session->state() == SessionState::authenticated);
    }
    {
        Fixture f("* BYE too many connections\r\n");
        try {
            f.session->read_greeting();
            FAIL("BYE greeting accepted");
        } catch (const Error& error) {
            CHECK(error.category() == ErrorCategory::unavailable);
            CHECK(std::string(error.what()).find("too many connections") != std::string::npos);
        }
    }
}

TEST_CASE("session: LOGIN success re-reads capabilities, NO is an authentication error") {
    Fixture f(kGreeting);
    f.server->replies = {{"LOGIN user secret", "$TAG OK [CAPABILITY IMAP4rev1 MOVE UIDPLUS] Logged in\r\n"},
                         {"LOGIN", "$TAG NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"}};
    f.session->read_greeting();
    CHECK(category_of([&] { f.session->login("user", "wrong"); }) == ErrorCategory::auth);
    CHECK(f.session->state() == SessionState::not_authenticated);
    f.session->login("user", "secret");
    CHECK(f.session->state() == SessionState::authenticated);
    CHECK(f.session->has_capability("UIDPLUS"));
    CHECK_FALSE(f.session->has_capability("QRESYNC"));  // the new list replaced the old one
}

TEST_CASE("session: LOGINDISABLED refuses to send the password") {
    Fixture f("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n");
    f.session->read_greeting();
    CHECK(category_of([&] { f.session->login("user", "secret"); }) == ErrorCategory::auth);
    CHECK(f.transport->written().find("secret") == std::string::npos);
}

TEST_CASE("session: AUTHENTICATE PLAIN with SASL-IR sends the response on the command line") {
    Fixture f(kGreeting);
    f.server->replies = {{"AUTHENTICATE PLAIN", "$TAG OK [CAPABILITY IMAP4rev1 IDLE] ok\r\n"}};
    f.session->read_greeting();
    f.session->authenticate_plain("user", "pass");
    CHECK(f.transport->written() == "m1 AUTHENTICATE PLAIN AHVzZXIAcGFzcw==\r\n");
    CHECK(f.session->state() == SessionState::authenticated);
}

TEST_CASE("session: AUTHENTICATE PLAIN without SASL-IR waits for the continuation") {
    Fixture f("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
    int step = 0;  // the transport copies its responder, so the state lives out here
    f.transport->set_responder([&step](std::string_view written, MemoryTransport& t) {
        if (step == 0 && written == "m1 AUTHENTICATE PLAIN\r\n") {
            t.push_incoming("+ \r\n");
            step = 1;
        } else if (step == 1 && written == "AHVzZXIAcGFzcw==\r\n") {
            t.push_incoming("m1 OK [CAPABILITY IMAP4rev1] done\r\n");
            step = 2;
        }
    });
    f.session->read_greeting();
    f.session->authenticate_plain("user", "pass");
    CHECK(f.transport->written() == "m1 AUTHENTICATE PLAIN\r\nAHVzZXIAcGFzcw==\r\n");
}

TEST_CASE("session: a refused AUTHENTICATE after an error challenge returns false") {
    Fixture f(kGreeting);
    f.transport->set_responder([](std::string_view written, MemoryTransport& t) {
        if (written.rfind("m1 AUTHENTICATE XOAUTH2", 0) == 0) t.push_incoming("+ eyJzdGF0dXMiOiI0MDEifQ==\r\n");
        else if (written == "\r\n") t.push_incoming("m1 NO [AUTHENTICATIONFAILED] bad token\r\n");
    });
    f.session->read_greeting();
    CHECK_FALSE(f.session->authenticate("XOAUTH2", "user=u\1auth=Bearer x\1\1"));
    CHECK(f.transport->written().substr(f.transport->written().size() - 2) == "\r\n");
}

TEST_CASE("session: STARTTLS upgrades and re-reads capabilities") {
    Fixture f("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n");
    f.server->replies = {{"STARTTLS", "$TAG OK Begin TLS negotiation now.\r\n"},
                         {"CAPABILITY", "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n$TAG OK done\r\n"}};
    f.session->read_greeting();
    f.session->starttls();
    CHECK(f.transport->start_tls_calls() == 1);
    CHECK(f.transport->is_tls());
    CHECK_FALSE(f.session->has_capability("STARTTLS"));
    CHECK_FALSE(f.session->has_capability("LOGINDISABLED"));
    CHECK(f.session->has_capability("AUTH=PLAIN"));
}

TEST_CASE("session: STARTTLS failures are errors, never a plaintext fallback") {
    SECTION("not offered") {
        Fixture f("* OK [CAPABILITY IMAP4rev1] ready\r\n");
        f.session->read_greeting();
        CHECK(category_of([&] { f.session->starttls(); }) == ErrorCategory::protocol);
        CHECK(f.transport->written().empty());
    }
    SECTION("refused") {
        Fixture f("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n");
        f.server->replies = {{"STARTTLS", "$TAG NO not now\r\n"}};
        f.session->read_greeting();
        CHECK(category_of([&] { f.session->starttls(); }) == ErrorCategory::protocol);
        CHECK(f.transport->start_tls_calls() == 0);
    }
    SECTION("bytes injected after the OK") {
        Fixture f("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n");
        f.server->replies = {{"STARTTLS", "$TAG OK go\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"}};
        f.session->read_greeting();
        CHECK(category_of([&] { f.session->starttls(); }) == ErrorCategory::protocol);
        CHECK(f.transport->start_tls_calls() == 0);
    }
}

TEST_CASE("session: commands pipeline and untagged responses reach the handler in order") {
    Fixture f(kGreeting);
    f.session->read_greeting();
    Recorder recorder;
    f.session->set_handler(&recorder);
    const auto a = f.session->send(cmd::Noop{});
    const auto b = f.session->send(cmd::Status{"INBOX", {"MESSAGES"}});
    const auto c = f.session->send(cmd::Status{"Sent", {"MESSAGES"}});
    CHECK(f.transport->written() == "m1 NOOP\r\nm2 STATUS INBOX (MESSAGES)\r\nm3 STATUS Sent (MESSAGES)\r\n");
    // Answers out of order, with untagged data between them.
    f.transport->push_incoming("* STATUS Sent (MESSAGES 2)\r\nm3 OK s\r\n* STATUS INBOX (MESSAGES 7)\r\nm2 OK i\r\nm1 OK n\r\n");
    CHECK(f.session->wait(b).text == "i");
    CHECK(f.session->wait(a).text == "n");
    CHECK(f.session->wait(c).text == "s");
    REQUIRE(recorder.seen.size() == 2);
    CHECK(std::get<StatusData>(recorder.seen[0]).mailbox == "Sent");
    CHECK(std::get<StatusData>(recorder.seen[1]).messages == 7u);
}

TEST_CASE("session: the pipeline depth is bounded") {
    SessionOptions options;
    options.max_in_flight = 2;
    Fixture f(kGreeting, options);
    f.session->read_greeting();
    const auto a = f.session->send(cmd::Noop{});
    f.session->send(cmd::Noop{});
    const auto c = f.session->send(cmd::Noop{});
    CHECK(f.transport->take_written() == "m1 NOOP\r\nm2 NOOP\r\n");
    f.transport->push_incoming("m1 OK\r\n");
    f.session->wait(a);
    CHECK(f.transport->take_written() == "m3 NOOP\r\n");
    f.transport->push_incoming("m2 OK\r\nm3 OK\r\n");
    f.session->wait(c);
}

TEST_CASE("session: a synchronizing literal waits for the continuation, a NO instead ends the command") {
    char path_template[] = "/tmp/mailsync-session-XXXXXX";
    const int fd = mkstemp(path_template);
    REQUIRE(fd >= 0);
    close(fd);
    const std::string path = path_template;
    std::ofstream(path, std::ios::binary) << "Subject: hi\r\n\r\nbody\r\n";
    Fixture f("* OK [CAPABILITY IMAP4rev1] ready\r\n");
    f.session->read_greeting();
    SECTION("continuation") {
        f.server->replies = {{"APPEND", "+ go ahead\r\n"}};
        const auto tag = f.session->send(cmd::Append{"INBOX", {"\\Seen"}, std::nullopt, path, 21});
        f.session->send(cmd::Noop{});  // must not be written inside the literal
        // The responder already answered "+": pump it by waiting for the APPEND's completion.
        f.transport->set_responder([](std::string_view written, MemoryTransport& t) {
            if (written.find("body") != std::string::npos) t.push_incoming("m1 OK [APPENDUID 7 42] done\r\n");
        });
        const auto response = f.session->wait(tag);
        CHECK(response.status == Status::ok);
        REQUIRE(response.code);
        CHECK(std::get<code::AppendUid>(*response.code).uids == SequenceSet::from_values({42}));
        CHECK(f.transport->written() == "m1 APPEND INBOX (\\Seen) {21}\r\nSubject: hi\r\n\r\nbody\r\n\r\nm2 NOOP\r\n");
    }
    SECTION("NO instead of continuation") {
        f.server->replies = {{"APPEND", "$TAG NO [TRYCREATE] no such mailbox\r\n"}};
        const auto tag = f.session->send(cmd::Append{"Nope", {}, std::nullopt, path, 21});
        const auto noop = f.session->send(cmd::Noop{});
        const auto response = f.session->wait(tag);
        CHECK(response.status == Status::no);
        CHECK(f.transport->written() == "m1 APPEND Nope {21}\r\nm2 NOOP\r\n");
        f.transport->push_incoming("m2 OK\r\n");
        CHECK(f.session->wait(noop).status == Status::ok);
    }
    std::remove(path.c_str());
}

TEST_CASE("session: SELECT with QRESYNC gathers the mailbox state and passes changes on") {
    Fixture f(kGreeting);
    f.session->read_greeting();
    Recorder recorder;
    f.session->set_handler(&recorder);
    f.transport->push_incoming(
        "* OK [CLOSED] previous closed\r\n"
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r\n"
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)] ok\r\n"
        "* 3 EXISTS\r\n"
        "* OK [UIDVALIDITY 1700000000] ok\r\n"
        "* OK [UIDNEXT 12] ok\r\n"
        "* OK [HIGHESTMODSEQ 90] ok\r\n"
        "* VANISHED (EARLIER) 2,5:6\r\n"
        "* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (88))\r\n"
        "m1 OK [READ-WRITE] Select completed\r\n");
    cmd::Select select{"INBOX", false, false, cmd::QresyncParams{1700000000, 80, SequenceSet::from_values({1, 2, 3, 4, 5, 6, 7}), std::nullopt}};
    const auto mailbox = f.session->select(select);
    REQUIRE(mailbox);
    CHECK(mailbox->exists == 3);
    CHECK(mailbox->uidvalidity == 1700000000u);
    CHECK(mailbox->uidnext == 12u);
    CHECK(mailbox->highestmodseq == 90u);
    CHECK(mailbox->permanent_flags.back() == "\\*");
    CHECK(f.session->state() == SessionState::selected);
    CHECK(f.session->sequence_map().uid_of(1) == 1u);
    std::size_t vanished = 0, fetches = 0;
    for (const auto& r : recorder.seen) {
        if (const auto* v = std::get_if<VanishedData>(&r)) {
            CHECK(v->earlier);
            CHECK(v->uids.count() == 3);
            ++vanished;
        }
        if (std::holds_alternative<FetchData>(r)) ++fetches;
    }
    CHECK(vanished == 1);
    CHECK(fetches == 1);
}

TEST_CASE("session: SELECT NO leaves nothing selected") {
    Fixture f(kGreeting);
    f.session->read_greeting();
    f.server->replies = {{"SELECT", "$TAG NO [NONEXISTENT] Mailbox doesn't exist: Gone\r\n"}};
    CHECK_FALSE(f.session->select(cmd::Select{"Gone"}, true));
    CHECK(f.session->state() != SessionState::selected);
    CHECK(category_of([&] { f.session->select(cmd::Select{"Gone"}); }) == ErrorCategory::protocol);
}

TEST_CASE("session: EXPUNGE shifts the sequence map") {
    Fixture f(kGreeting);
    f.session->read_greeting();
    f.transport->push_incoming("* 3 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\nm1 OK\r\n");
    f.session->select(cmd::Select{"INBOX"});
    f.transport->push_incoming("* 1 FETCH (UID 10)\r\n* 2 FETCH (UID 20)\r\n* 3 FETCH (UID 30)\r\n* 2 EXPUNGE\r\nm2 OK\r\n");
    f.session->run(cmd::Noop{});
    CHECK(f.session->sequence_map().uid_of(1) == 10u);
    CHECK(f.session->sequence_map().uid_of(2) == 30u);
    CHECK_FALSE(f.session->sequence_map().uid_of(3));
    CHECK(f.session->selected()->exists == 2);
}

TEST_CASE("session: IDLE reports mailbox changes, not keep-alives, and ends with DONE") {
    Fixture f(kGreeting);
    f.session->read_greeting();
    f.server->replies = {{"IDLE", "+ idling\r\n"}};
    f.session->idle_start();
    CHECK(f.transport->take_written() == "m1 IDLE\r\n");
    f.transport->push_incoming("* OK Still here\r\n");
    CHECK_FALSE(f.session->idle_wait(Clock::now()));
    f.transport->push_incoming("* 4 EXISTS\r\n");
    CHECK(f.session->idle_wait(Clock::now() + std::chrono::seconds(5)));
    f.transport->set_responder([](std::string_view written, MemoryTransport& t) {
        if (written == "DONE\r\n") t.push_incoming("m1 OK Idle completed.\r\n");
    });
    f.session->idle_done();
    CHECK(f.transport->take_written() == "DONE\r\n");
}

TEST_CASE("session: chatter is capped while a command waits, never during IDLE") {
    SessionOptions options;
    options.max_chatter = 3;
    SECTION("a command") {
        Fixture f(kGreeting, options);
        f.session->read_greeting();
        const auto tag = f.session->send(cmd::Noop{});
        // Three in a row are tolerated; data in between starts the count again.
        f.transport->push_incoming("* OK a\r\n* OK b\r\n* NO c\r\n* 3 EXISTS\r\n* OK d\r\n* OK e\r\n* BYE f\r\n"
                                   "* OK g\r\n");
        try {
            f.session->wait(tag);
            FAIL("expected an Error");
        } catch (const Error& error) {
            CHECK(error.category() == ErrorCategory::unavailable);
            CHECK_THAT(error.what(), Catch::Contains("4 responses in a row that answer nothing") &&
                                         Catch::Contains("the answer to NOOP"));
        }
        CHECK(f.session->state() == SessionState::logged_out);
    }
    SECTION("AUTHENTICATE: two challenges are answered, more are chatter") {
        Fixture f("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n", options);  // no SASL-IR
        f.session->read_greeting();
        f.transport->push_incoming("+ \r\n+ \r\n+ \r\n+ \r\n+ \r\n+ \r\n");
        try {
            f.session->authenticate_plain("user", "secret");
            FAIL("expected an Error");
        } catch (const Error& error) {
            CHECK(error.category() == ErrorCategory::unavailable);
            CHECK_THAT(error.what(), Catch::Contains("4 responses in a row") && Catch::Contains("AUTHENTICATE PLAIN"));
        }
        // The initial response after the first "+", an empty line after the second, nothing more.
        CHECK(f.transport->written().find("\r\n\r\n\r\n") == std::string::npos);
    }
    SECTION("IDLE keep-alives") {
        Fixture f(kGreeting, options);
        f.session->read_greeting();
        f.server->replies = {{"IDLE", "+ idling\r\n"}};
        f.session->idle_start();
        std::string keep_alives;
        for (int i = 0; i < 10; ++i) keep_alives += "* OK Still here\r\n";
        f.transport->push_incoming(keep_alives + "* 4 EXISTS\r\n");
        CHECK(f.session->idle_wait(Clock::now() + std::chrono::seconds(5)));
    }
}

TEST_CASE("session: a lost connection is unavailable, a hostile answer is a protocol error") {
    SECTION("cut while waiting") {
        Fixture f(kGreeting);
        f.session->read_greeting();
        const auto tag = f.session->send(cmd::Noop{});
        f.transport->cut();
        CHECK(category_of([&] { f.session->wait(tag); }) == ErrorCategory::unavailable);
    }
    SECTION("server closes after BYE") {
        Fixture f(kGreeting);
        f.session->read_greeting();
        const auto tag = f.session->send(cmd::Noop{});
        f.transport->push_incoming("* BYE shutting down\r\n");
        f.transport->close_incoming();
        try {
            f.session->wait(tag);
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.category() == ErrorCategory::unavailable);
            CHECK(std::string(error.what()).find("shutting down") != std::string::npos);
        }
    }
    SECTION("answer for a tag never sent") {
        Fixture f(kGreeting);
        f.session->read_greeting();
        const auto tag = f.session->send(cmd::Noop{});
        f.transport->push_incoming("zz9 OK what\r\n");
        CHECK(category_of([&] { f.session->wait(tag); }) == ErrorCategory::protocol);
    }
    SECTION("continuation nobody asked for") {
        Fixture f(kGreeting);
        f.session->read_greeting();
        const auto tag = f.session->send(cmd::Noop{});
        f.transport->push_incoming("+ surprise\r\n");
        CHECK(category_of([&] { f.session->wait(tag); }) == ErrorCategory::protocol);
    }
}

namespace {

cmd::Notify watch_notify() {
    using cmd::NotifyEvent;
    cmd::Notify notify;
    notify.groups = {{cmd::NotifyFilter::selected, {},
                      {NotifyEvent::message_new, NotifyEvent::message_expunge, NotifyEvent::flag_change}},
                     {cmd::NotifyFilter::personal, {},
                      {NotifyEvent::message_new, NotifyEvent::message_expunge, NotifyEvent::flag_change,
                       NotifyEvent::mailbox_name}}};
    return notify;
}

}  // namespace

TEST_CASE("session: NOTIFY SET is tracked until NONE or an overflow, and a refusal changes nothing", "[notify]") {
    Fixture f("* OK [CAPABILITY IMAP4rev1 IDLE NOTIFY] ready\r\n");
    f.session->read_greeting();
    CHECK_FALSE(f.session->notifying());

    SECTION("accepted, then the server overflows") {
        // A successful NOTIFY is an implicit NOOP (RFC 5465 §3.1): changes may come with its answer.
        f.server->replies = {{"NOTIFY SET", "* 5 EXISTS\r\n$TAG OK NOTIFY completed.\r\n"},
                             {"NOOP", "* OK [NOTIFICATIONOVERFLOW] too many changes\r\n$TAG OK NOOP completed.\r\n"}};
        Recorder recorder;
        f.session->set_handler(&recorder);
        CHECK(f.session->notify(watch_notify()).status == Status::ok);
        CHECK(f.transport->take_written() ==
              "m1 NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) "
              "(personal (MessageNew MessageExpunge FlagChange MailboxName))\r\n");
        CHECK(f.session->notifying());
        f.session->run(cmd::Noop{});
        CHECK_FALSE(f.session->notifying());   // §5.8: as after NOTIFY NONE
        REQUIRE(recorder.seen.size() == 2);
        CHECK(std::holds_alternative<ExistsData>(recorder.seen[0]));
        CHECK(std::holds_alternative<StatusResponse>(recorder.seen[1]));
    }
    SECTION("NOTIFY NONE ends it") {
        f.server->replies = {{"NOTIFY", "$TAG OK done\r\n"}};
        f.session->notify(watch_notify());
        CHECK(f.session->notifying());
        CHECK(f.session->notify(cmd::Notify{}).status == Status::ok);
        CHECK_FALSE(f.session->notifying());
    }
    SECTION("refused with BADEVENT, NOTIFICATIONOVERFLOW or BAD") {
        for (const char* answer : {"$TAG NO [BADEVENT (MessageNew MessageExpunge)] Unsupported NOTIFY events.\r\n",
                                   "$TAG NO [NOTIFICATIONOVERFLOW] Too many mailbox names\r\n",
                                   "$TAG BAD Error in IMAP command NOTIFY: Invalid arguments.\r\n"}) {
            INFO(answer);
            f.server->replies = {{"NOTIFY", answer}};
            const StatusResponse response = f.session->notify(watch_notify());
            CHECK(response.status != Status::ok);
            CHECK_FALSE(f.session->notifying());
        }
    }
}

TEST_CASE("session: under NOTIFY, IDLE ends on STATUS, LIST and NOTIFICATIONOVERFLOW", "[notify]") {
    const char* reports[] = {
        "* STATUS Work (MESSAGES 3 UIDNEXT 4 UNSEEN 1 HIGHESTMODSEQ 12)\r\n",
        "* STATUS Work (HIGHESTMODSEQ 13)\r\n",
        "* LIST (\\HasNoChildren) \"/\" Projects\r\n",
        "* LIST () \"/\" \"New Name\" (\"OLDNAME\" (\"Old Name\"))\r\n",
        "* LIST (\\NonExistent) \"/\" Gone\r\n",
        "* OK [NOTIFICATIONOVERFLOW] ...A large number of changes\r\n",
        "* 7 FETCH (UID 70 FLAGS (\\Seen))\r\n",
        "* VANISHED 70\r\n",
    };
    for (const char* report : reports) {
        INFO(report);
        Fixture f("* PREAUTH [CAPABILITY IMAP4rev1 IDLE NOTIFY] ready\r\n");
        f.session->read_greeting();
        f.server->replies = {{"NOTIFY", "$TAG OK done\r\n"}, {"IDLE", "+ idling\r\n"}};
        f.session->notify(watch_notify());
        Recorder recorder;
        f.session->set_handler(&recorder);
        f.session->idle_start();
        f.transport->push_incoming("* OK Still here\r\n");
        CHECK_FALSE(f.session->idle_wait(Clock::now()));
        f.transport->push_incoming(report);
        CHECK(f.session->idle_wait(Clock::now() + std::chrono::seconds(5)));
        CHECK(recorder.seen.size() == 2);   // the keep-alive and the report, both to the handler
        f.transport->set_responder([](std::string_view written, MemoryTransport& t) {
            if (written == "DONE\r\n") t.push_incoming("m2 OK Idle completed.\r\n");
        });
        f.session->idle_done();
    }
}

// The pull engine (sync::pull, a real Store in a temp dir) against hostile and broken servers: a
// scripted fake IMAP server on loopback, plaintext. Each case ends in a clear error (a mailbox's
// error in the report, or an Error of category protocol/unavailable from pull) or in the documented
// recovery (README.md in this directory), with bounded memory; afterwards the store verifies, no
// partial body is left, and a later pull against a well-behaved server converges. The scripted
// account and the harness are in pull_harness.hpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "tests/hostile/pull_harness.hpp"
#include "tests/support/peak_memory.hpp"

using namespace std::chrono_literals;
using namespace mailsync;
using mailsync::test::Harness;
using mailsync::test::is_body_fetch;
using mailsync::test::is_metadata_fetch;
using mailsync::test::kMeasureMemory;
using mailsync::test::peak_rss_kb;
using mailsync::test::replaced;
using mailsync::test::Reply;

TEST_CASE("hostile pull: a well-behaved script syncs, and a second pull converges on changes", "[hostile][pull]") {
    Harness h;
    h.account.add("INBOX", 3);
    h.account.add("Other", 2);
    auto report = h.pull();
    CHECK(report.failed() == 0);
    CHECK(report.total_new() == 5);
    h.check_converged("INBOX");
    h.check_converged("Other");
    h.account.add("INBOX", 1);
    h.account.expunge("INBOX", 2);
    h.account.set_flags("INBOX", 1, "\\Seen");
    report = h.pull();
    CHECK(report.failed() == 0);
    CHECK(h.report_of(report, "INBOX").method == store::SyncMethod::qresync);
    CHECK(h.report_of(report, "Other").skipped);
    h.check_converged("INBOX");
    h.check_store_sound();
}

TEST_CASE("hostile pull: a body literal announcing an absurd size is the mailbox's protocol error", "[hostile][pull]") {
    const long before = peak_rss_kb();
    const char* sizes[] = {"99999999999999999999", "18446744073709551615", "5000000000"};
    for (const char* size : sizes) {
        CAPTURE(size);
        Harness h;
        h.account.add("INBOX", 3);
        h.account.add("Other", 2);
        // Only INBOX's body FETCH (selected first) is hostile.
        std::atomic<int> body_fetches{0};
        h.account.hostile([&, size](const std::string& command, Reply normal) {
            if (!is_body_fetch(command) || body_fetches++ > 0) return normal;
            return Reply{fmt::format("* 1 FETCH (UID 1 BODY[] {{{}}}\r\n", size), Reply::Then::hang};
        });
        const auto report = h.pull();
        const auto& inbox = h.report_of(report, "INBOX");
        REQUIRE(inbox.error);
        CHECK(inbox.new_messages == 0);
        CHECK(h.report_of(report, "Other").new_messages == 2);   // the others go on
        CHECK(h.mirror("INBOX").empty());
        h.check_recovers();
    }
    if (kMeasureMemory) CHECK(peak_rss_kb() - before < 32 * 1024);
}

TEST_CASE("hostile pull: gigabytes announced and streamed, then cut: memory bounded, nothing partial kept",
          "[hostile][pull]") {
    const long before = peak_rss_kb();
    Harness h;
    h.timeout = 10s;
    h.account.add("INBOX", 3);
    h.account.hostile([](const std::string& command, Reply normal) {
        if (!is_body_fetch(command)) return normal;
        Reply reply{"* 1 FETCH (UID 1 BODY[] {3000000000}\r\n", Reply::Then::close};
        reply.filler_bytes = 48u << 20;   // 48 MB of the announced 3 GB, then EOF
        return reply;
    });
    const std::string message = h.pull_error(ErrorCategory::unavailable);
    CHECK_THAT(message, Catch::Contains("cut short"));
    if (kMeasureMemory) CHECK(peak_rss_kb() - before < 32 * 1024);
    CHECK(h.mirror("INBOX").empty());
    h.check_recovers();
}

namespace {

// Bodies 1 and 2 whole, body 3 announced at 1000 bytes, 16 sent, then the server closes.
void cut_in_third_body(Harness& h) {
    h.account.hostile([](const std::string& command, Reply normal) {
        if (!is_body_fetch(command)) return normal;
        const auto third = normal.bytes.find("* 3 FETCH");
        return Reply{normal.bytes.substr(0, third) + "* 3 FETCH (UID 3 BODY[] {1000}\r\nonly a few bytes",
                     Reply::Then::close};
    });
}

}  // namespace

TEST_CASE("hostile pull: a body shorter than announced then EOF: earlier bodies kept, the cut one is not",
          "[hostile][pull]") {
    Harness h;
    h.options.commit_messages = 1;
    h.account.add("INBOX", 3);
    cut_in_third_body(h);
    const std::string message = h.pull_error(ErrorCategory::unavailable);
    CHECK_THAT(message, Catch::Contains("cut short"));
    const auto mirrored = h.mirror("INBOX");
    CHECK(mirrored.count(1) == 1);
    CHECK(mirrored.count(2) == 1);
    CHECK(mirrored.count(3) == 0);
    h.check_recovers();
}

TEST_CASE("hostile pull: a run that fails mid-batch keeps the bodies it completed (the next run does not download them)",
          "[hostile][pull]") {
    Harness h;   // batches of the default size: the failure comes before the first one fills
    h.account.add("INBOX", 3);
    cut_in_third_body(h);
    h.pull_error(ErrorCategory::unavailable);
    const auto mirrored = h.mirror("INBOX");
    CHECK(mirrored.count(1) == 1);
    CHECK(mirrored.count(2) == 1);
    CHECK(mirrored.count(3) == 0);
    h.check_recovers();
}

TEST_CASE("hostile pull: unknown response codes and untagged data are tolerated", "[hostile][pull]") {
    Harness h;
    h.account.add("INBOX", 3);
    h.account.hostile([](const std::string& command, Reply normal) {
        normal.bytes = "* OK [XUNKNOWN-CODE 1 (a b) \"c\"] something new\r\n* NO [X-WARNING 42] a warning\r\n"
                       "* XNEWTHING 1 2 (3)\r\n" + normal.bytes;
        if (command.rfind("EXAMINE", 0) == 0 || is_metadata_fetch(command))
            normal = replaced(std::move(normal), " OK done", " OK [SOMETHING-NEW 1 2 3] done");
        return normal;
    });
    const auto report = h.pull();
    CHECK(report.failed() == 0);
    CHECK(report.total_new() == 3);
    h.check_converged("INBOX");
    h.check_store_sound();
}

TEST_CASE("hostile pull: garbage lines are the mailbox's protocol error, the others go on", "[hostile][pull]") {
    const char* garbage[] = {
        "\x01\x02\x03 binary junk\r\n",
        "HTTP/1.1 400 Bad Request\r\n",
        "* 1 FETCH (UID\r\n",
        "* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n",
        "+\r\n",
    };
    for (const char* line : garbage) {
        CAPTURE(line);
        Harness h;
        h.account.add("INBOX", 3);
        h.account.add("Other", 2);
        std::atomic<int> fetches{0};
        h.account.hostile([&, line](const std::string& command, Reply normal) {
            if (!is_metadata_fetch(command) || fetches++ > 0) return normal;   // INBOX's, first
            normal.bytes = std::string(line) + normal.bytes;
            return normal;
        });
        const auto report = h.pull();
        const auto& inbox = h.report_of(report, "INBOX");
        REQUIRE(inbox.error);
        CHECK(inbox.error->size() > 10);
        CHECK(h.report_of(report, "Other").new_messages == 2);
        CHECK(h.mirror("INBOX").empty());
        h.check_recovers({"INBOX", "Other"});
    }
}

TEST_CASE("hostile pull: BYE in the middle of a FETCH is unavailable with the server's words", "[hostile][pull]") {
    Harness h;
    h.options.commit_messages = 1;
    h.account.add("INBOX", 3);
    h.account.hostile([](const std::string& command, Reply normal) {
        if (!is_body_fetch(command)) return normal;
        const auto second = normal.bytes.find("* 2 FETCH");
        return Reply{normal.bytes.substr(0, second) + "* BYE server shutting down for maintenance\r\n",
                     Reply::Then::close};
    });
    CHECK_THAT(h.pull_error(ErrorCategory::unavailable), Catch::Contains("shutting down for maintenance"));
    CHECK(h.mirror("INBOX").size() <= 1);
    h.check_store_sound();
    // And a BYE in a metadata FETCH.
    h.account.hostile([](const std::string& command, Reply normal) {
        if (!is_metadata_fetch(command)) return normal;
        return Reply{"* 2 FETCH (UID 2 FLAGS ())\r\n* BYE going away\r\n", Reply::Then::close};
    });
    CHECK_THAT(h.pull_error(ErrorCategory::unavailable), Catch::Contains("going away"));
    h.check_recovers();
}

TEST_CASE("hostile pull: VANISHED for UIDs never seen is ignored", "[hostile][pull]") {
    Harness h;
    h.account.add("INBOX", 3);
    REQUIRE(h.pull().failed() == 0);
    h.account.add("INBOX", 1);
    h.account.expunge("INBOX", 2);
    h.account.hostile([](const std::string& command, Reply normal) {
        if (command.rfind("EXAMINE", 0) == 0)
            normal.bytes = "* VANISHED (EARLIER) 900:950,4000000000:4294967295\r\n" + normal.bytes;
        if (is_metadata_fetch(command)) normal.bytes = "* VANISHED 5000:6000\r\n" + normal.bytes;
        return normal;
    });
    const auto report = h.pull();
    CHECK(report.failed() == 0);
    CHECK(h.report_of(report, "INBOX").expunged == 1);
    h.check_converged("INBOX");
    h.check_store_sound();
}

TEST_CASE("hostile pull: HIGHESTMODSEQ going backwards forces a full comparison", "[hostile][pull]") {
    Harness h;
    h.account.add("INBOX", 3);
    REQUIRE(h.pull().failed() == 0);
    // The server lost its modseqs (restored from a backup): lower HIGHESTMODSEQ, a flag changed
    // and a message expunged, none of it reported as a change since our MODSEQ.
    h.account.edit([](auto& boxes) {
        auto& box = boxes.at("INBOX");
        box.highestmodseq = 40;
        box.messages.at(2).flags = "\\Flagged";
        for (auto& [uid, message] : box.messages) message.modseq = 30;
        box.messages.erase(3);
    });
    const auto report = h.pull();
    CHECK(report.failed() == 0);
    const auto& inbox = h.report_of(report, "INBOX");
    CHECK(inbox.method == store::SyncMethod::plain);
    REQUIRE_FALSE(inbox.notes.empty());
    CHECK_THAT(inbox.notes.front(), Catch::Contains("HIGHESTMODSEQ went back") && Catch::Contains("to 40"));
    h.check_converged("INBOX");
    h.check_store_sound();
    // The lower value is the new base: the next pull is a no-op.
    CHECK(h.report_of(h.pull(), "INBOX").skipped);
}

TEST_CASE("hostile pull: EXPUNGE while QRESYNC is enabled forces a full comparison", "[hostile][pull]") {
    Harness h;
    h.account.add("INBOX", 3);
    REQUIRE(h.pull().failed() == 0);
    h.account.add("INBOX", 1);
    // UID 2 goes, announced as EXPUNGE in the middle of the FETCH instead of VANISHED.
    h.account.edit([](auto& boxes) {
        auto& box = boxes.at("INBOX");
        box.messages.erase(2);
        ++box.highestmodseq;
    });
    h.account.hostile([](const std::string& command, Reply normal) {
        if (is_metadata_fetch(command)) normal.bytes = "* 2 EXPUNGE\r\n" + normal.bytes;
        return normal;
    });
    const auto report = h.pull();
    CHECK(report.failed() == 0);
    const auto& inbox = h.report_of(report, "INBOX");
    CHECK(inbox.method == store::SyncMethod::plain);
    bool noted = false;
    for (const auto& note : inbox.notes) noted = noted || note.find("EXPUNGE while QRESYNC") != std::string::npos;
    CHECK(noted);
    h.check_converged("INBOX");
    h.check_store_sound();
}

TEST_CASE("hostile pull: duplicate UIDs in one FETCH are taken once", "[hostile][pull]") {
    Harness h;
    h.account.add("INBOX", 3);
    h.account.hostile([](const std::string& command, Reply normal) {
        if (is_metadata_fetch(command) || is_body_fetch(command)) {
            // Every answer twice: once more after the others, UID 1's under sequence number 3.
            const auto tagged = normal.bytes.rfind("\r\n", normal.bytes.size() - 3) + 2;
            const std::string untagged = normal.bytes.substr(0, tagged);
            std::string again = untagged;
            if (const auto at = again.find("* 1 FETCH"); at != std::string::npos) again.replace(at, 9, "* 3 FETCH");
            normal.bytes = untagged + again + normal.bytes.substr(tagged);
        }
        return normal;
    });
    auto report = h.pull();
    CHECK(report.failed() == 0);
    CHECK(report.total_new() == 3);
    h.check_converged("INBOX");
    h.check_store_sound();
    // Duplicates in the flags of a full comparison, with different flags: one of them is taken.
    h.account.set_flags("INBOX", 1, "\\Seen");
    h.options.method = sync::MethodChoice::plain;
    h.account.hostile([](const std::string& command, Reply normal) {
        if (command.rfind("UID FETCH", 0) == 0 && command.find("ENVELOPE") == std::string::npos)
            normal.bytes = "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n" + normal.bytes;
        if (command.rfind("UID SEARCH", 0) == 0) normal = replaced(std::move(normal), "* SEARCH", "* SEARCH 1 2 3 1");
        return normal;
    });
    report = h.pull();
    CHECK(report.failed() == 0);
    h.check_converged("INBOX");
    h.check_store_sound();
}

TEST_CASE("hostile pull: two messages claiming one UID, one UID unanswered: the next pull fills the gap",
          "[hostile][pull]") {
    Harness h;
    h.account.add("INBOX", 3);
    h.account.hostile([](const std::string& command, Reply normal) {
        if (!is_body_fetch(command)) return normal;
        // Sequence 2 answers as UID 1 (with UID 1's body): UID 2's body never comes.
        const std::string first = normal.bytes.substr(0, normal.bytes.find("* 2 FETCH"));
        std::string impostor = first;
        impostor.replace(0, 9, "* 2 FETCH");
        normal.bytes = first + impostor + normal.bytes.substr(normal.bytes.find("* 3 FETCH"));
        return normal;
    });
    auto report = h.pull();
    CHECK(report.failed() == 0);
    auto mirrored = h.mirror("INBOX");
    CHECK(mirrored.size() == 2);
    CHECK(mirrored.count(2) == 0);
    h.check_store_sound();
    h.account.hostile(nullptr);
    h.account.add("INBOX", 1);
    report = h.pull();
    CHECK(report.failed() == 0);
    h.check_converged("INBOX");
    h.check_store_sound();
}

TEST_CASE("hostile pull: mailbox names with invalid modified UTF-7 are synced under their wire bytes",
          "[hostile][pull]") {
    Harness h;
    const std::vector<std::string> names = {"Caf&AOk", "&AGE-bc", "&2D3eAA-", "&ZeVnLIqe-"};
    for (const auto& name : names) h.account.add(name, 1);
    h.account.add("INBOX", 1);
    auto report = h.pull();
    CHECK(report.failed() == 0);
    for (const auto& name : names) {
        CAPTURE(name);
        CHECK(h.report_of(report, name).new_messages == 1);
        h.check_converged(name);
    }
    h.check_store_sound();
    report = h.pull();
    for (const auto& name : names) CHECK(h.report_of(report, name).skipped);
}

TEST_CASE("hostile pull: STATUS numbers that overflow are a protocol error before anything changes",
          "[hostile][pull]") {
    Harness h;
    h.account.add("INBOX", 2);
    h.account.hostile([](const std::string& command, Reply normal) {
        if (command.rfind("STATUS", 0) == 0) normal = replaced(std::move(normal), "UIDNEXT 3", "UIDNEXT 99999999999999999999");
        return normal;
    });
    h.pull_error(ErrorCategory::protocol);
    h.check_store_sound();
    h.account.hostile([](const std::string& command, Reply normal) {
        if (command.rfind("LIST", 0) == 0) normal.bytes = "* LIST () \"/\" {2000000000}\r\n";
        return normal;
    });
    h.pull_error(ErrorCategory::protocol);
    h.check_recovers();
}

TEST_CASE("hostile pull: absurd but valid STATUS and SELECT numbers keep time and memory bounded", "[hostile][pull]") {
    const long before = peak_rss_kb();
    Harness h;
    h.account.add("INBOX", 3);
    REQUIRE(h.pull().failed() == 0);
    // The server now claims 4 billion messages and the largest UIDNEXT, but holds 4.
    h.account.add("INBOX", 1);
    h.account.hostile([](const std::string& command, Reply normal) {
        if (command.rfind("STATUS", 0) == 0) {
            normal = replaced(std::move(normal), "MESSAGES 4", "MESSAGES 4294967295");
            normal = replaced(std::move(normal), "UIDNEXT 5", "UIDNEXT 4294967295");
        }
        if (command.rfind("EXAMINE", 0) == 0) normal = replaced(std::move(normal), "[UIDNEXT 5]", "[UIDNEXT 4294967295]");
        return normal;
    });
    const auto start = std::chrono::steady_clock::now();
    const auto report = h.pull();
    CHECK(std::chrono::steady_clock::now() - start < 20s);
    CHECK(report.failed() == 0);
    CHECK(report.total_new() == 1);
    h.check_converged("INBOX");
    h.check_store_sound();
    if (kMeasureMemory) CHECK(peak_rss_kb() - before < 32 * 1024);
}

TEST_CASE("hostile pull: new UIDs sparser than EXISTS are found by UID SEARCH under QRESYNC", "[hostile][pull]") {
    Harness h;
    h.account.add("INBOX", 3);
    REQUIRE(h.pull().failed() == 0);
    h.account.add("INBOX", 1);                                        // UID 4
    h.account.edit([](auto& boxes) { boxes.at("INBOX").uidnext = 50; });
    h.account.add("INBOX", 1);                                        // UID 50: the range 4:50 > EXISTS
    const auto report = h.pull();
    CHECK(report.failed() == 0);
    CHECK(h.report_of(report, "INBOX").method == store::SyncMethod::qresync);
    CHECK(report.total_new() == 2);
    h.check_converged("INBOX");
    h.check_store_sound();
    bool searched_from_4 = false;
    for (const auto& command : h.server.commands())
        searched_from_4 = searched_from_4 || command.find("UID SEARCH UID 4:*") != std::string::npos;
    CHECK(searched_from_4);
}

TEST_CASE("hostile pull: UIDVALIDITY 0 is the mailbox's protocol error, never stored as unknown", "[hostile][pull]") {
    Harness h;
    h.account.add("INBOX", 2);
    h.account.add("Other", 1);
    h.account.edit([](auto& boxes) { boxes["INBOX"].uidvalidity = 0; });
    const auto report = h.pull();
    const auto& inbox = h.report_of(report, "INBOX");
    REQUIRE(inbox.error);
    CHECK_THAT(*inbox.error, Catch::Contains("UIDVALIDITY 0") && Catch::Contains("RFC 3501"));
    CHECK(h.mirror("INBOX").empty());
    CHECK(h.report_of(report, "Other").new_messages == 1);
    h.account.edit([](auto& boxes) { boxes["INBOX"].uidvalidity = 7; });
    h.check_recovers({"INBOX", "Other"});
}

TEST_CASE("hostile pull: FETCH data for UID 0 is ignored and said in the report", "[hostile][pull]") {
    Harness h;
    h.account.add("INBOX", 2);
    h.account.hostile([](const std::string& command, Reply normal) {
        if (is_metadata_fetch(command)) normal.bytes = "* 1 FETCH (UID 0 FLAGS (\\Seen) RFC822.SIZE 10)\r\n" + normal.bytes;
        return normal;
    });
    const auto report = h.pull();
    const auto& inbox = h.report_of(report, "INBOX");
    CHECK_FALSE(inbox.error);
    CHECK(inbox.new_messages == 2);
    CHECK(std::any_of(inbox.notes.begin(), inbox.notes.end(),
                      [](const std::string& note) { return note.find("UID 0") != std::string::npos; }));
    h.check_converged("INBOX");
    h.check_store_sound();
}

TEST_CASE("hostile pull: a server that offers COMPRESS=DEFLATE and then refuses it still syncs (compress: auto)",
          "[hostile][pull][compress]") {
    Harness h;
    const std::string caps = std::string(test::FakeServer::kCapabilities) + " COMPRESS=DEFLATE";
    h.server.on("^(LOGIN|AUTHENTICATE) ", Reply{"$TAG OK [CAPABILITY " + caps + "] logged in\r\n"});
    h.server.on("^COMPRESS ", Reply{"$TAG NO [COMPRESSIONACTIVE] not today\r\n"});
    h.account.add("INBOX", 3);
    const auto report = h.pull();
    CHECK(report.failed() == 0);
    CHECK(report.total_new() == 3);
    h.check_converged("INBOX");
    const auto commands = h.server.commands();
    CHECK(std::count_if(commands.begin(), commands.end(),
                        [](const std::string& line) { return line.find("COMPRESS DEFLATE") != std::string::npos; }) >= 1);
    h.check_store_sound();
}

TEST_CASE("hostile pull: a LIST-STATUS chosen from wrongly expected capabilities is refused, then asked as the server allows",
          "[hostile][pull][round-trips]") {
    Harness h;
    // The script has no LIST-STATUS (FakeServer::kCapabilities): a LIST ... RETURN (STATUS ...) is a BAD.
    h.server.on("^LIST .*RETURN", Reply{"$TAG BAD LIST-STATUS is not supported here\r\n"});
    h.account.add("INBOX", 2);
    sync::ServerSettings settings = h.settings();
    settings.expected_capabilities = {"IMAP4REV1", "SASL-IR", "AUTH=PLAIN", "ENABLE", "QRESYNC", "CONDSTORE", "LIST-STATUS"};
    const sync::ConnectionFactory first = [settings] {
        return sync::open_pipelined(settings, [](bool) { return std::string("secret"); });
    };
    const auto report = sync::pull(first, h.factory(), *h.store, h.options);
    CHECK(report.failed() == 0);
    CHECK(report.total_new() == 2);
    CHECK(report.server_capabilities.count("LIST-STATUS") == 0);
    h.check_converged("INBOX");
    const auto commands = h.server.commands();
    const auto position = [&](const std::string& start) {
        return std::find_if(commands.begin(), commands.end(), [&](const std::string& line) {
                   return line.find(' ') != std::string::npos && line.substr(line.find(' ') + 1).rfind(start, 0) == 0;
               }) - commands.begin();
    };
    // The login, the ENABLE and the first LIST went in one flight, the LIST again without RETURN.
    CHECK(position("AUTHENTICATE PLAIN") + 1 == position("ENABLE QRESYNC"));
    CHECK(position("ENABLE QRESYNC") + 1 == position("LIST "));
    CHECK(commands.at(static_cast<std::size_t>(position("LIST "))).find("RETURN") != std::string::npos);
    CHECK(std::count_if(commands.begin(), commands.end(), [](const std::string& line) {
              return line.find("LIST ") != std::string::npos;
          }) == 2);
    h.check_store_sound();
}

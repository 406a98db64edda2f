// The pull engine (sync::pull, a real Store in a temp dir) against hostile and broken servers: a
// scripted fake IMAP server on loopback, plaintext. Each case ends in a clear error (a mailbox's
// error in the report, or an Error of category protocol/unavailable from pull) or in the documented
// recovery (README.md in this directory), with bounded memory; afterwards the store verifies, no
// partial body is left, and a later pull against a well-behaved server converges.
#include <catch2/catch.hpp>


#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/error.hpp"
#include "store/store.hpp"
#include "sync/server/connect.hpp"
#include "sync/pull/pull.hpp"
#include "tests/hostile/fake_server.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/peak_memory.hpp"
#include "tests/support/files.hpp"

using namespace std::chrono_literals;
using namespace mailsync;
using mailsync::test::FakeServer;
using mailsync::test::kMeasureMemory;
using mailsync::test::peak_rss_kb;
using mailsync::test::read_file;
using mailsync::test::Reply;

namespace {

std::string message_text(std::uint32_t uid, const std::string& box) {
    return fmt::format("From: Sender <sender@example.org>\r\nTo: me@example.org\r\nSubject: {} {}\r\n"
                       "Message-ID: <{}.{}@hostile.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n"
                       "Body of message {} in {}.\r\n",
                       box, uid, uid, box, uid, box);
}

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// The mailbox argument at the start of `text` (quoted or atom); the rest after it.
std::pair<std::string, std::string> mailbox_argument(const std::string& text) {
    std::string name;
    std::size_t i = 0;
    if (!text.empty() && text[0] == '"') {
        for (i = 1; i < text.size() && text[i] != '"'; ++i) {
            if (text[i] == '\\' && i + 1 < text.size()) ++i;
            name += text[i];
        }
        ++i;
    } else {
        while (i < text.size() && text[i] != ' ') name += text[i++];
    }
    return {name, i < text.size() ? text.substr(i) : std::string{}};
}

// A well-behaved IMAP account (QRESYNC, no LIST-STATUS, no ESEARCH) answering LIST, STATUS,
// EXAMINE, UID SEARCH and UID FETCH from its state; `hostile` may rewrite any answer.
class ScriptedAccount {
public:
    struct Message {
        std::string flags;
        std::string body;
        std::uint64_t modseq = 1;
    };
    struct Mailbox {
        std::uint32_t uidvalidity = 7;
        std::uint64_t highestmodseq = 100;
        std::uint32_t uidnext = 1;
        std::map<std::uint32_t, Message> messages;
        std::map<std::uint32_t, std::uint64_t> vanished;   // UID → MODSEQ of its expunge
    };
    // (command without tag, the well-behaved answer) → what is sent.
    using Hostile = std::function<Reply(const std::string& command, Reply normal)>;

    explicit ScriptedAccount(FakeServer& server) {
        server.standard();
        server.on("^(LIST|STATUS|SELECT|EXAMINE|UID) ",
                  [this](const std::string& tag, const std::string& command) { return answer(tag, command); });
    }

    void add(const std::string& box, std::uint32_t count) {
        std::lock_guard lock(mutex_);
        Mailbox& mailbox = boxes_[box];
        for (std::uint32_t i = 0; i < count; ++i) {
            const std::uint32_t uid = mailbox.uidnext++;
            mailbox.messages[uid] = Message{"", message_text(uid, box), ++mailbox.highestmodseq};
        }
    }
    void expunge(const std::string& box, std::uint32_t uid) {
        std::lock_guard lock(mutex_);
        Mailbox& mailbox = boxes_[box];
        mailbox.messages.erase(uid);
        mailbox.vanished[uid] = ++mailbox.highestmodseq;
    }
    void set_flags(const std::string& box, std::uint32_t uid, const std::string& flags) {
        std::lock_guard lock(mutex_);
        Mailbox& mailbox = boxes_[box];
        mailbox.messages[uid].flags = flags;
        mailbox.messages[uid].modseq = ++mailbox.highestmodseq;
    }
    void edit(const std::function<void(std::map<std::string, Mailbox>&)>& change) {
        std::lock_guard lock(mutex_);
        change(boxes_);
    }
    void hostile(Hostile rewrite) {
        std::lock_guard lock(mutex_);
        hostile_ = std::move(rewrite);
    }
    std::map<std::string, Mailbox> boxes() const {
        std::lock_guard lock(mutex_);
        return boxes_;
    }

private:
    Reply answer(const std::string& tag, const std::string& command) {
        std::lock_guard lock(mutex_);
        Reply normal{well_behaved(command) + fmt::format("{} OK done\r\n", tag)};
        if (hostile_) return hostile_(command, std::move(normal));
        return normal;
    }

    std::string well_behaved(const std::string& command) {
        if (command.rfind("LIST ", 0) == 0) {
            std::string out;
            for (const auto& [name, box] : boxes_) out += "* LIST () \"/\" " + quoted(name) + "\r\n";
            return out;
        }
        if (command.rfind("STATUS ", 0) == 0) {
            const auto name = mailbox_argument(command.substr(7)).first;
            auto it = boxes_.find(name);
            if (it == boxes_.end()) return {};
            const Mailbox& box = it->second;
            return fmt::format("* STATUS {} (MESSAGES {} UIDNEXT {} UIDVALIDITY {} UNSEEN 0 HIGHESTMODSEQ {})\r\n",
                               quoted(name), box.messages.size(), box.uidnext, box.uidvalidity, box.highestmodseq);
        }
        if (command.rfind("SELECT ", 0) == 0 || command.rfind("EXAMINE ", 0) == 0) {
            const auto [name, rest] = mailbox_argument(command.substr(command.find(' ') + 1));
            selected_ = name;
            const Mailbox& box = boxes_[name];
            std::string out = fmt::format("* {} EXISTS\r\n* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                                          "* OK [UIDVALIDITY {}] ok\r\n* OK [UIDNEXT {}] ok\r\n* OK [HIGHESTMODSEQ {}] ok\r\n",
                                          box.messages.size(), box.uidvalidity, box.uidnext, box.highestmodseq);
            const auto qresync = rest.find("(QRESYNC (");
            if (qresync != std::string::npos) {
                std::istringstream in(rest.substr(qresync + 10));
                std::uint32_t uidvalidity = 0;
                std::uint64_t since = 0;
                in >> uidvalidity >> since;
                if (uidvalidity == box.uidvalidity) {
                    std::string gone;
                    for (const auto& [uid, modseq] : box.vanished)
                        if (modseq > since) gone += (gone.empty() ? "" : ",") + std::to_string(uid);
                    if (!gone.empty()) out += "* VANISHED (EARLIER) " + gone + "\r\n";
                    std::uint32_t seq = 0;
                    for (const auto& [uid, message] : box.messages) {
                        ++seq;
                        if (message.modseq > since)
                            out += fmt::format("* {} FETCH (UID {} FLAGS ({}) MODSEQ ({}))\r\n", seq, uid, message.flags,
                                               message.modseq);
                    }
                }
            }
            return out;
        }
        const Mailbox& box = boxes_[selected_];
        if (command.rfind("UID SEARCH ", 0) == 0) {
            const auto at = command.find("UID ", 11);
            const auto uids = matching(box, command.substr(at + 4));
            std::string out = "* SEARCH";
            for (std::uint32_t uid : uids) out += " " + std::to_string(uid);
            return out + "\r\n";
        }
        if (command.rfind("UID FETCH ", 0) == 0) {
            const std::string rest = command.substr(10);
            const auto uids = matching(box, rest.substr(0, rest.find(' ')));
            std::uint64_t changed_since = 0;
            if (const auto at = rest.find("CHANGEDSINCE "); at != std::string::npos)
                changed_since = std::stoull(rest.substr(at + 13));
            const bool body = rest.find("BODY.PEEK[]") != std::string::npos;
            const bool metadata = rest.find("ENVELOPE") != std::string::npos;
            const bool modseq = rest.find("MODSEQ") != std::string::npos;
            std::string out;
            for (std::uint32_t uid : uids) {
                const Message& message = box.messages.at(uid);
                if (message.modseq <= changed_since) continue;
                const auto seq = std::distance(box.messages.begin(), box.messages.find(uid)) + 1;
                if (body) {
                    out += fmt::format("* {} FETCH (UID {} BODY[] {{{}}}\r\n{})\r\n", seq, uid, message.body.size(),
                                       message.body);
                    continue;
                }
                out += fmt::format("* {} FETCH (UID {} FLAGS ({})", seq, uid, message.flags);
                if (metadata)
                    out += fmt::format(" INTERNALDATE \"23-Nov-2026 10:00:00 +0000\" RFC822.SIZE {} ENVELOPE "
                                       "(\"Mon, 23 Nov 2026 10:00:00 +0000\" \"subject {}\" ((\"Sender\" NIL \"sender\" "
                                       "\"example.org\")) NIL NIL NIL NIL NIL NIL \"<{}.{}@hostile.test>\")",
                                       message.body.size(), uid, uid, selected_);
                if (modseq) out += fmt::format(" MODSEQ ({})", message.modseq);
                out += ")\r\n";
            }
            return out;
        }
        return {};
    }

    // The UIDs of `set` ("1:3,7,9:*") that exist.
    static std::vector<std::uint32_t> matching(const Mailbox& box, const std::string& set) {
        const std::uint32_t max = box.messages.empty() ? 0 : box.messages.rbegin()->first;
        const auto number = [&](const std::string& text) -> std::uint64_t { return text == "*" ? max : std::stoull(text); };
        std::set<std::uint32_t> result;
        std::istringstream in(set);
        std::string part;
        while (std::getline(in, part, ',')) {
            const auto colon = part.find(':');
            std::uint64_t a = number(part.substr(0, colon));
            std::uint64_t b = colon == std::string::npos ? a : number(part.substr(colon + 1));
            if (a > b) std::swap(a, b);
            for (auto it = box.messages.lower_bound(static_cast<std::uint32_t>(std::min<std::uint64_t>(a, 0xffffffffu)));
                 it != box.messages.end() && it->first <= b; ++it)
                result.insert(it->first);
        }
        return {result.begin(), result.end()};
    }

    mutable std::mutex mutex_;
    std::map<std::string, Mailbox> boxes_;
    std::string selected_;
    Hostile hostile_;
};

// One account: the fake server, its script and a real store in a temp dir.
class Harness {
public:
    Harness() {
        std::string pattern = (std::filesystem::temp_directory_path() / "mailsync-hostile-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        store.emplace(store::Store::open(dir_ / "store", store::Access::exclusive));
        options.connections = 1;
    }
    ~Harness() {
        store.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;

    sync::ConnectionFactory factory() {
        return [this] {
            sync::ServerSettings settings;
            settings.endpoint.host = "127.0.0.1";
            settings.endpoint.port = server.port();
            settings.endpoint.tls = imap::TlsMode::none;
            settings.endpoint.connect_timeout = 5s;
            settings.user = "user";
            settings.timeout = timeout;
            return sync::connect(settings, [](bool) { return std::string("secret"); });
        };
    }
    sync::PullReport pull() { return sync::pull(factory(), *store, options); }

    // The Error pull throws (it must throw one of that category).
    std::string pull_error(ErrorCategory expected) { return test::error_of(expected, [&] { pull(); }); }

    const sync::MailboxReport& report_of(const sync::PullReport& report, const std::string& box) {
        for (const auto& entry : report.mailboxes)
            if (entry.name == box) return entry;
        FAIL("no report for " << box);
        throw std::logic_error("unreachable");
    }

    // UID → record of the mirror's mailbox `box` (wire name).
    std::map<std::uint32_t, store::MessageRecord> mirror(const std::string& box) {
        std::map<std::uint32_t, store::MessageRecord> result;
        store->read([&](const store::ReadTxn& txn) {
            for (const auto& mailbox : txn.mailboxes()) {
                if (mailbox.name != box) continue;
                txn.for_each_message(mailbox.id, [&](const store::MessageRecord& record) {
                    if (record.uid) CHECK(result.emplace(*record.uid, record).second);   // each UID once
                });
            }
        });
        return result;
    }

    // The mirror of `box` holds exactly the server's messages, each with its body and flags.
    void check_converged(const std::string& box) {
        const auto server_box = account.boxes().at(box);
        const auto mirrored = mirror(box);
        std::vector<std::uint32_t> want, have;
        for (const auto& [uid, message] : server_box.messages) want.push_back(uid);
        for (const auto& [uid, record] : mirrored) have.push_back(uid);
        CHECK(have == want);
        for (const auto& [uid, record] : mirrored) {
            auto it = server_box.messages.find(uid);
            if (it == server_box.messages.end()) continue;
            CAPTURE(box, uid);
            CHECK(read_file(store->body_path(record.body_hash)) == it->second.body);
            const std::string flags = record.flags.empty() ? "" : record.flags.front();
            CHECK(flags == it->second.flags);
        }
    }

    // After a hostile answer: the store is sound, and once the server behaves again the next pull
    // converges on `boxes` and leaves the store sound.
    void check_recovers(std::initializer_list<std::string> boxes = {"INBOX"}) {
        check_store_sound();
        account.hostile(nullptr);
        CHECK(pull().failed() == 0);
        for (const auto& box : boxes) check_converged(box);
        check_store_sound();
    }

    // verify(true) is clean, no tmp file is left, and every body file is a whole message the
    // server sent (no partial body kept under any name).
    void check_store_sound() {
        const auto problems = store->verify(true);
        CHECK(problems.empty());
        for (const auto& problem : problems) UNSCOPED_INFO(problem);
        const auto tmp = dir_ / "store" / "tmp";
        if (std::filesystem::exists(tmp)) CHECK(std::filesystem::is_empty(tmp));
        std::set<std::string> bodies;
        for (const auto& [name, box] : account.boxes()) {   // expunged ones too: they stay until a sweep
            for (std::uint32_t uid = 1; uid < box.uidnext; ++uid) bodies.insert(message_text(uid, name));
            for (const auto& [uid, message] : box.messages) bodies.insert(message.body);
        }
        const auto dir = dir_ / "store" / "bodies";
        if (!std::filesystem::exists(dir)) return;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
            if (!entry.is_regular_file()) continue;
            CAPTURE(entry.path().string());
            CHECK(bodies.count(read_file(entry.path())) == 1);
        }
    }

    FakeServer server;
    ScriptedAccount account{server};
    std::optional<store::Store> store;
    sync::PullOptions options;
    std::chrono::milliseconds timeout = 3s;

private:
    std::filesystem::path dir_;
};

// Replaces the first occurrence of `what` in the reply's bytes.
Reply replaced(Reply reply, const std::string& what, const std::string& with) {
    // Runs on the server's thread: no Catch assertion here; a missing text leaves the reply as is
    // (and the test's own checks then fail).
    const auto at = reply.bytes.find(what);
    if (at != std::string::npos) reply.bytes.replace(at, what.size(), with);
    return reply;
}

bool is_body_fetch(const std::string& command) {
    return command.rfind("UID FETCH ", 0) == 0 && command.find("BODY.PEEK[]") != std::string::npos;
}
bool is_metadata_fetch(const std::string& command) {
    return command.rfind("UID FETCH ", 0) == 0 && command.find("ENVELOPE") != std::string::npos;
}

}  // namespace

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

TEST_CASE("hostile pull: a body shorter than announced then EOF: earlier bodies kept, the cut one is not",
          "[hostile][pull]") {
    Harness h;
    h.options.commit_messages = 1;
    h.account.add("INBOX", 3);
    h.account.hostile([](const std::string& command, Reply normal) {
        if (!is_body_fetch(command)) return normal;
        // Bodies 1 and 2 whole, body 3 announced at 1000 bytes, 16 sent, then the server closes.
        const auto third = normal.bytes.find("* 3 FETCH");
        return Reply{normal.bytes.substr(0, third) + "* 3 FETCH (UID 3 BODY[] {1000}\r\nonly a few bytes",
                     Reply::Then::close};
    });
    const std::string message = h.pull_error(ErrorCategory::unavailable);
    CHECK_THAT(message, Catch::Contains("cut short"));
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

// What the hostile pull tests (test_hostile_pull.cpp) run against: ScriptedAccount, a well-behaved
// IMAP account (QRESYNC, no LIST-STATUS, no ESEARCH) behind the fake server whose answers a test may
// rewrite, and Harness, which pulls from it into a real store in a temp dir and checks afterwards
// that the store is sound and converges. Catch assertions inside: include from a test file only.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/error.hpp"
#include "store/store.hpp"
#include "sync/pull/pull.hpp"
#include "sync/server/connect.hpp"
#include "tests/hostile/fake_server.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/files.hpp"

namespace mailsync::test {

using namespace std::chrono_literals;

inline std::string message_text(std::uint32_t uid, const std::string& box) {
    return fmt::format("From: Sender <sender@example.org>\r\nTo: me@example.org\r\nSubject: {} {}\r\n"
                       "Message-ID: <{}.{}@hostile.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n"
                       "Body of message {} in {}.\r\n",
                       box, uid, uid, box, uid, box);
}

inline std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// The mailbox argument at the start of `text` (quoted or atom); the rest after it.
inline std::pair<std::string, std::string> mailbox_argument(const std::string& text) {
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

    sync::ServerSettings settings() const {
        sync::ServerSettings settings;
        settings.endpoint.host = "127.0.0.1";
        settings.endpoint.port = server.port();
        settings.endpoint.tls = imap::TlsMode::none;
        settings.endpoint.connect_timeout = 5s;
        settings.user = "user";
        settings.timeout = timeout;
        return settings;
    }
    sync::ConnectionFactory factory() {
        return [this] { return sync::connect(settings(), [](bool) { return std::string("secret"); }); };
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
inline Reply replaced(Reply reply, const std::string& what, const std::string& with) {
    // Runs on the server's thread: no Catch assertion here; a missing text leaves the reply as is
    // (and the test's own checks then fail).
    const auto at = reply.bytes.find(what);
    if (at != std::string::npos) reply.bytes.replace(at, what.size(), with);
    return reply;
}

inline bool is_body_fetch(const std::string& command) {
    return command.rfind("UID FETCH ", 0) == 0 && command.find("BODY.PEEK[]") != std::string::npos;
}
inline bool is_metadata_fetch(const std::string& command) {
    return command.rfind("UID FETCH ", 0) == 0 && command.find("ENVELOPE") != std::string::npos;
}

}  // namespace mailsync::test

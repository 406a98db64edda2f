// `mailsync watch` against the shared Dovecot (which offers NOTIFY, RFC 5465): while it runs, a
// second client (doveadm) delivers into a mailbox other than INBOX, flags a message there, creates
// a mailbox and delivers into it, and into an excluded one; each change must reach the mirror within
// seconds. The full pull is set to a day (watch_full_pull_minutes: 1440), so nothing but the
// server's notifications can explain that: without NOTIFY watch IDLEs on INBOX only.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "tests/integration/pull_test_support.hpp"
#include "tests/support/account_config.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/files.hpp"
#include "tests/support/program.hpp"

using namespace mailsync;
using test::DovecotFixture;
using namespace std::chrono_literals;
using test::eventually;
using test::read_file;

namespace {

using test::Program;
const std::string& binary = test::mailsync_binary;

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t count = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++count;
    return count;
}

// The mirror's message with this Message-ID in `mailbox` (wire name), read through a shared open of
// the store (as the local commands do while watch runs).
std::optional<store::MessageRecord> mirrored(const std::filesystem::path& store_dir, const std::string& mailbox,
                                             const std::string& message_id) {
    if (!std::filesystem::exists(store_dir / "data.mdb")) return std::nullopt;
    auto store = store::Store::open(store_dir, store::Access::shared);
    for (const auto& [uid, message] : test::mirror_messages(store, mailbox))
        if (message.record.message_id == message_id) return message.record;
    return std::nullopt;
}

}  // namespace

TEST_CASE("watch mirrors changes in mailboxes other than INBOX within seconds, through NOTIFY",
          "[watch][notify][cli]") {
    const auto& dovecot = DovecotFixture::get();
    const auto user = test::unique_user("watchnotify");
    test::TempDirectory dir;
    const auto store_dir = dir.path() / "store";
    const auto config = dir.path() / "config.yaml";
    const auto log = dir.path() / "output.log";
    // Work exists (with a message) before watch starts: the first pull mirrors it.
    test::seed(user.name, "Work", test::make_message(user.name + "-before"));
    test::write_account_config(config, {.port = dovecot.imap_port, .user = user, .store = store_dir,
                                        .extra = "    mailboxes: [\"*\", \"!Junk\"]\n    timeout_seconds: 10\n"
                                                 "    watch_full_pull_minutes: 1440\n"});
    const auto id = [&](const std::string& tag) { return "<" + user.name + "-" + tag + "@pull.mailsync.test>"; };
    const auto message = [&](const std::string& tag) { return test::make_message(user.name + "-" + tag); };

    // Whether `condition` holds within `limit`; when not, the failure shows watch's output.
    const auto soon = [&](const char* what, const std::function<bool()>& condition,
                          std::chrono::milliseconds limit = 15s) {
        if (eventually(condition, limit)) return true;
        FAIL_CHECK("not within " << limit.count() << " ms: " << what << "\nwatch's output:\n" << read_file(log));
        return false;
    };

    Program watch({binary, "-c", config.string(), "-v", "watch"}, log);
    // Watching: the first pull is done, NOTIFY is set and IDLE begins.
    REQUIRE(soon("watch idles with NOTIFY", [&] {
        return read_file(log).find("reports changes in every mailbox (NOTIFY)") != std::string::npos;
    }, 30s));
    REQUIRE(mirrored(store_dir, "Work", id("before")));
    const std::size_t pulls_before = occurrences(read_file(log), "test: mailboxes: ");

    // MessageNew in another mailbox: * STATUS Work (MESSAGES 2 UIDNEXT 3 ...).
    const std::uint32_t uid = test::seed(user.name, "Work", message("new"));
    soon("the new message in Work", [&] { return mirrored(store_dir, "Work", id("new")).has_value(); });

    // FlagChange there: * STATUS Work (HIGHESTMODSEQ n) (QRESYNC is enabled).
    test::add_flags(user.name, "Work", uid, {"\\Flagged"});
    soon("the flag set in Work", [&] {
        const auto record = mirrored(store_dir, "Work", id("new"));
        return record && std::count(record->flags.begin(), record->flags.end(), "\\Flagged") == 1;
    });

    // MailboxName: * LIST for the new mailbox, then its STATUS.
    test::seed(user.name, "Projects/Alpha", message("alpha"));
    soon("the new mailbox and its message", [&] { return mirrored(store_dir, "Projects/Alpha", id("alpha")).has_value(); });

    // A change in an excluded mailbox may cost a pull, which ignores it; watch carries on.
    test::seed(user.name, "Junk", message("junk"));
    test::seed(user.name, "Work", message("after-junk"));
    soon("the message after the one in Junk", [&] { return mirrored(store_dir, "Work", id("after-junk")).has_value(); });
    CHECK_FALSE(mirrored(store_dir, "Junk", id("junk")));

    // One pull per report, give or take: nothing pulls in a loop.
    const std::size_t pulls = occurrences(read_file(log), "test: mailboxes: ") - pulls_before;
    INFO("watch's output:\n" << read_file(log));
    CHECK(pulls >= 3);
    CHECK(pulls <= 12);

    REQUIRE(watch.running());
    watch.signal(SIGTERM);
    CHECK(watch.wait(20s) == 0);
}

// sync/export: Maildir and mbox export of a store, read back by Python's mailbox module, incremental
// re-runs, interrupted runs, flag changes, mailbox name encoding.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "common/error.hpp"
#include "config_test_support.hpp"
#include "store/store.hpp"
#include "store_test_support.hpp"
#include "sync/export/export.hpp"

using namespace mailsync;
using mailsync::store::testing::sample_mailbox;
using mailsync::store::testing::sample_message;
namespace fs = std::filesystem;

namespace {

struct Fixture {
    store::testing::TempDir temp;
    store::Store store = store::Store::open(temp.store(), store::Access::shared);
    std::map<std::string, store::MailboxId> boxes;
    std::map<store::MessageId, std::string> bodies;

    store::MailboxId mailbox(const std::string& name) {
        if (auto found = boxes.find(name); found != boxes.end()) return found->second;
        const auto id = store.write([&](store::WriteTxn& t) { return t.add_mailbox(sample_mailbox(name)); });
        return boxes[name] = id;
    }
    store::MessageId add(const std::string& box, const std::string& body, std::vector<std::string> flags = {},
                         store::UnixTime date = 1700000000) {
        const auto stored = store.put_body(body);
        const auto box_id = mailbox(box);
        auto message = sample_message(box_id, std::nullopt, stored.hash);
        message.size = stored.size;
        message.flags = std::move(flags);
        message.internaldate = date;
        message.from = "Some One <some.one@example.com>";
        const auto id = store.write([&](store::WriteTxn& t) { return t.add_message(message); });
        bodies[id] = body;
        return id;
    }
    void set_flags(store::MessageId id, std::vector<std::string> flags) {
        store.write([&](store::WriteTxn& t) {
            auto message = *t.message(id);
            message.flags = std::move(flags);
            t.put_message(message);
        });
    }
    sync::ExportReport run(sync::ExportFormat format, const fs::path& destination, std::vector<std::string> only = {}) {
        sync::ExportOptions options;
        options.format = format;
        options.destination = destination;
        options.mailboxes = std::move(only);
        options.tag = "work";
        return sync::export_mail(store, options);
    }
    // One file per message body of `ids`, for export_readback.py.
    fs::path expected(const std::vector<store::MessageId>& ids, const std::string& name) {
        const fs::path directory = temp.path() / ("expected-" + name);
        fs::create_directories(directory);
        for (auto id : ids) std::ofstream(directory / std::to_string(id), std::ios::binary) << bodies.at(id);
        return directory;
    }
};

std::vector<fs::path> files_in(const fs::path& directory) {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(directory)) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

int readback(const std::string& format, const fs::path& path, const fs::path& expected) {
    const std::string command = "python3 " MAILSYNC_SOURCE_DIR "/tests/unit/export_readback.py " + format + " '" +
                                path.string() + "' '" + expected.string() + "'";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const std::string plain = "From: a@example.com\r\nSubject: plain\r\n\r\nHello\r\n";
const std::string tricky =
    "From: b@example.com\r\nSubject: from lines\r\n\r\nFrom here on\r\n>From quoted once\r\n>>From twice\r\n"
    "From\r\n>From\r\nnot From at start\r\n> From spaced\r\n\r\nFrom the end\r\n";
const std::string unix_lines = "From: c@example.com\nSubject: lf only\n\nFrom a line\nbye\n";

}  // namespace

TEST_CASE("mailbox names are encoded reversibly into safe file names", "[export]") {
    for (const std::string& name : std::vector<std::string>{"INBOX", "Archive/2023", ".hidden", "..", ".", "a%b", std::string("nul\0in", 6),
                                   "caf\xc3\xa9", "Entw&APw-rfe", "tab\there", "x.y", "100%/"}) {
        const std::string encoded = sync::encode_mailbox_file_name(name);
        CAPTURE(name, encoded);
        CHECK(encoded.find('/') == std::string::npos);
        CHECK(encoded.find('\0') == std::string::npos);
        CHECK_FALSE(encoded.starts_with('.'));
        for (char c : encoded) CHECK((static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f));
        CHECK(sync::decode_mailbox_file_name(encoded) == name);
    }
    CHECK(sync::encode_mailbox_file_name("Archive/2023") == "Archive%2F2023");
    CHECK(sync::encode_mailbox_file_name("x.y") == "x.y");
    CHECK_FALSE(sync::decode_mailbox_file_name(".hidden"));
    CHECK_FALSE(sync::decode_mailbox_file_name("bad%zz"));
    CHECK_FALSE(sync::decode_mailbox_file_name("lower%2f"));   // not the canonical spelling
}

TEST_CASE("flags map to Maildir info letters in order and to mbox status headers", "[export]") {
    CHECK(sync::maildir_info({}) == "");
    CHECK(sync::maildir_info({"\\Seen", "\\Answered", "\\Flagged", "\\Draft", "\\Deleted", "$Forwarded", "$Label1"}) ==
          "DFPRST");
    CHECK(sync::maildir_info({"\\seen"}) == "S");
    CHECK(sync::mbox_status_lines({}, "\r\n") == "Status: O\r\nX-Status: \r\n");
    CHECK(sync::mbox_status_lines({"\\Seen", "\\Answered", "\\Flagged", "\\Draft", "\\Deleted"}, "\n") ==
          "Status: RO\nX-Status: AFTD\n");
    store::MessageRecord message;
    message.internaldate = 784111777;   // Sun Nov  6 08:49:37 1994 UTC
    message.from = "Joe <joe@example.com>";
    CHECK(sync::mbox_from_line(message) == "From joe@example.com Sun Nov  6 08:49:37 1994\n");
    message.from = "not an address";
    CHECK(sync::mbox_from_line(message).starts_with("From MAILER-DAEMON Sun Nov  6 "));
}

TEST_CASE("mboxrd quoting adds one '>' to lines matching ^>*From , in any chunking", "[export]") {
    const std::string input = "From x\n>From y\n>>From z\nFromage\n>Fro\nFrom\n x From \n>>>";
    const std::string expected = ">From x\n>>From y\n>>>From z\nFromage\n>Fro\nFrom\n x From \n>>>";
    for (std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, input.size()}) {
        std::string out;
        sync::MboxrdQuoter quoter([&](std::string_view bytes) { out.append(bytes); });
        for (std::size_t i = 0; i < input.size(); i += piece) quoter.write(std::string_view(input).substr(i, piece));
        quoter.finish();
        CAPTURE(piece);
        CHECK(out == expected);
        CHECK_FALSE(quoter.ends_with_newline());
    }
}

TEST_CASE("Maildir export: exact bytes, info, mtime, incremental, flag changes rename, crash-safe", "[export]") {
    Fixture f;
    const auto a = f.add("INBOX", plain, {"\\Seen"}, 1600000000);
    const auto b = f.add("INBOX", tricky, {"\\Flagged", "\\Answered"});
    const auto c = f.add("Archive/2023", unix_lines, {});
    const auto d = f.add(".hidden", plain + "x", {"\\Draft"});
    const fs::path out = f.temp.path() / "backup" / "maildir";

    const auto first = f.run(sync::ExportFormat::maildir, out);
    CHECK(first.written() == 4);
    CHECK(fs::is_directory(out / "INBOX" / "cur"));
    CHECK(fs::is_directory(out / "INBOX" / "new"));
    CHECK(fs::is_directory(out / "INBOX" / "tmp"));
    CHECK(fs::is_directory(out / "Archive%2F2023" / "cur"));
    CHECK(fs::is_directory(out / "%2Ehidden" / "cur"));
    CHECK(files_in(out / "INBOX" / "tmp").empty());

    const auto inbox = files_in(out / "INBOX" / "cur");
    REQUIRE(inbox.size() == 2);
    std::set<std::string> infos;
    for (const auto& file : inbox) {
        const std::string name = file.filename().string();
        const auto id = sync::maildir_message_id(name, "work");
        REQUIRE(id);
        CHECK(test::read_file(file) == f.bodies.at(*id));
        infos.insert(name.substr(name.find(":2,") + 3));
        struct stat status {};
        REQUIRE(::stat(file.c_str(), &status) == 0);
        CHECK(status.st_mtime == (*id == a ? 1600000000 : 1700000000));
        CHECK((status.st_mode & 077) == 0);
    }
    CHECK(infos == std::set<std::string>{"S", "FR"});
    CHECK(readback("maildir", out / "INBOX", f.expected({a, b}, "inbox")) == 0);
    CHECK(readback("maildir", out / "Archive%2F2023", f.expected({c}, "archive")) == 0);
    CHECK(readback("maildir", out / "%2Ehidden", f.expected({d}, "hidden")) == 0);

    SECTION("a re-run writes nothing; new mail only is written") {
        CHECK(f.run(sync::ExportFormat::maildir, out).written() == 0);
        const auto e = f.add("INBOX", "Subject: new\r\n\r\nnew\r\n");
        const auto again = f.run(sync::ExportFormat::maildir, out);
        CHECK(again.written() == 1);
        CHECK(files_in(out / "INBOX" / "cur").size() == 3);
        CHECK(readback("maildir", out / "INBOX", f.expected({a, b, e}, "inbox2")) == 0);
    }
    SECTION("changed flags rename the file") {
        f.set_flags(a, {"\\Seen", "\\Deleted", "$Forwarded"});
        const auto again = f.run(sync::ExportFormat::maildir, out);
        CHECK(again.written() == 0);
        CHECK(again.renamed() == 1);
        bool found = false;
        for (const auto& file : files_in(out / "INBOX" / "cur")) {
            if (sync::maildir_message_id(file.filename().string(), "work") == a) {
                found = true;
                CHECK(file.filename().string().ends_with(":2,PST"));
            }
        }
        CHECK(found);
    }
    SECTION("a run interrupted before it recorded its progress writes no duplicate") {
        // Forget every record, as if the first run had died after its renames.
        f.store.write([&](store::WriteTxn& t) { t.lmdb().clear(t.tables().export_state); });
        CHECK(f.run(sync::ExportFormat::maildir, out).written() == 0);
        CHECK(files_in(out / "INBOX" / "cur").size() == 2);
    }
    SECTION("a stale tmp file of an interrupted run is removed") {
        std::ofstream(out / "INBOX" / "tmp" / sync::maildir_base_name(*f.store.read([&](const store::ReadTxn& t) { return t.message(b); }), "work"))
            << "half";
        f.run(sync::ExportFormat::maildir, out);
        CHECK(files_in(out / "INBOX" / "tmp").empty());
    }
    SECTION("only the named mailboxes") {
        const fs::path other = f.temp.path() / "only";
        const auto report = f.run(sync::ExportFormat::maildir, other, {"Archive/2023"});
        CHECK(report.written() == 1);
        CHECK(files_in(other).size() == 1);
        CHECK_THROWS_MATCHES(f.run(sync::ExportFormat::maildir, other, {"Nope"}), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.category() == ErrorCategory::bad_input; }));
    }
}

TEST_CASE("mbox export: mboxrd, read back byte-identical, incremental, interrupted runs leave no duplicate", "[export]") {
    Fixture f;
    const auto a = f.add("INBOX", plain, {"\\Seen"});
    const auto b = f.add("INBOX", tricky, {"\\Flagged", "\\Answered", "\\Deleted"});
    const auto c = f.add("INBOX", unix_lines, {"\\Draft"});
    const fs::path out = f.temp.path() / "mbox";

    CHECK(f.run(sync::ExportFormat::mbox, out).written() == 3);
    const std::string once = test::read_file(out / "INBOX");
    CHECK(once.starts_with("From some.one@example.com "));
    CHECK(once.find("Status: RO\r\nX-Status: \r\nFrom: a@example.com") != std::string::npos);
    CHECK(once.find("Status: O\r\nX-Status: AFD\r\n") != std::string::npos);
    CHECK(once.find("Status: O\nX-Status: T\nFrom: c@example.com\n") != std::string::npos);   // LF message: LF headers
    CHECK(once.find("\r\n>From here on\r\n>>From quoted once\r\n>>>From twice\r\nFrom\r\n>From\r\n") != std::string::npos);
    CHECK(readback("mbox", out / "INBOX", f.expected({a, b, c}, "all")) == 0);
    CHECK(files_in(out).size() == 1);   // no staging file left

    SECTION("a re-run appends only new mail") {
        CHECK(f.run(sync::ExportFormat::mbox, out).written() == 0);
        CHECK(test::read_file(out / "INBOX") == once);
        const auto d = f.add("INBOX", "Subject: d\r\n\r\nFrom d\r\n");
        CHECK(f.run(sync::ExportFormat::mbox, out).written() == 1);
        const std::string twice = test::read_file(out / "INBOX");
        CHECK(twice.starts_with(once));
        CHECK(readback("mbox", out / "INBOX", f.expected({a, b, c, d}, "more")) == 0);
    }
    SECTION("a run that died after its rename, before recording it, is not duplicated") {
        const auto before = f.store.read([](const store::ReadTxn& t) {
            std::vector<std::pair<std::string, std::string>> all;
            store::lmdb::for_each_with_prefix(t.lmdb(), t.tables().export_state, {}, [&](const store::lmdb::Entry& e) {
                all.emplace_back(std::string(e.key), std::string(e.value));
                return true;
            });
            return all;
        });
        const auto d = f.add("INBOX", "Subject: d\r\n\r\nd\r\n");
        f.run(sync::ExportFormat::mbox, out);
        f.store.write([&](store::WriteTxn& t) {   // roll the record back: the crash
            for (const auto& [key, value] : before) t.lmdb().put(t.tables().export_state, key, value);
        });
        const auto e = f.add("INBOX", "Subject: e\r\n\r\ne\r\n");
        CHECK(f.run(sync::ExportFormat::mbox, out).written() == 2);
        CHECK(readback("mbox", out / "INBOX", f.expected({a, b, c, d, e}, "crash")) == 0);
    }
    SECTION("a file changed behind the export's back is refused") {
        std::ofstream(out / "INBOX", std::ios::trunc) << "From x\n";
        f.add("INBOX", "Subject: d\r\n\r\nd\r\n");
        CHECK_THROWS_AS(f.run(sync::ExportFormat::mbox, out), Error);
    }
    SECTION("an mbox this store did not write is never overwritten") {
        const fs::path other = f.temp.path() / "other";
        fs::create_directories(other);
        std::ofstream(other / "INBOX") << "precious";
        CHECK_THROWS_MATCHES(f.run(sync::ExportFormat::mbox, other), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.category() == ErrorCategory::cannot_create; }));
        CHECK(test::read_file(other / "INBOX") == "precious");
    }
}

TEST_CASE("a message without a final line break gets one in mbox", "[export]") {
    Fixture f;
    f.add("INBOX", "Subject: x\r\n\r\nno break");
    f.add("INBOX", "Subject: y\r\n\r\nFrom");
    const fs::path out = f.temp.path() / "mbox";
    f.run(sync::ExportFormat::mbox, out);
    const std::string text = test::read_file(out / "INBOX");
    CHECK(text.find("\r\n\r\nno break\n\nFrom ") != std::string::npos);
    CHECK(text.ends_with("\r\n\r\nFrom\n\n"));
}

TEST_CASE("export refuses a destination it cannot create", "[export]") {
    Fixture f;
    f.add("INBOX", plain);
    const fs::path file = f.temp.path() / "a-file";
    std::ofstream(file) << "x";
    CHECK_THROWS_MATCHES(f.run(sync::ExportFormat::maildir, file / "sub"), Error,
                         Catch::Predicate<Error>([](const Error& e) { return e.category() == ErrorCategory::cannot_create; }));
}

namespace {

// Changes one byte of a message's body file in place (the body the store names stays the same).
void flip_body_byte(Fixture& f, store::MessageId id) {
    const auto message = f.store.read([&](const store::ReadTxn& t) { return *t.message(id); });
    const fs::path file = f.store.body_path(message.body_hash);
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    std::fstream damaged(file, std::ios::in | std::ios::out | std::ios::binary);
    damaged.seekp(3);
    damaged.put('#');
}

void restore_body(Fixture& f, store::MessageId id) { f.store.put_body(f.bodies.at(id)); }

store::BodyHash body_of(Fixture& f, store::MessageId id) {
    return f.store.read([&](const store::ReadTxn& t) { return t.message(id)->body_hash; });
}

}  // namespace

TEST_CASE("a damaged or missing body is left out of a Maildir export, reported, and written once sound", "[export]") {
    Fixture f;
    const auto a = f.add("INBOX", plain);
    const auto b = f.add("INBOX", tricky);
    const auto c = f.add("INBOX", unix_lines);
    const auto d = f.add("Other", "Subject: d\r\n\r\nd\r\n");
    flip_body_byte(f, b);
    const fs::path out = f.temp.path() / "maildir";

    const sync::ExportReport first = f.run(sync::ExportFormat::maildir, out);
    CHECK(first.written() == 3);
    REQUIRE(first.damaged() == 1);
    const sync::DamagedBody& damaged = first.mailboxes.at(0).damaged.at(0);
    CHECK(damaged.id == b);
    CHECK_FALSE(damaged.missing);
    CHECK(damaged.file == f.store.body_path(body_of(f, b)));
    CHECK(readback("maildir", out / "INBOX", f.expected({a, c}, "sound")) == 0);
    CHECK(readback("maildir", out / "Other", f.expected({d}, "other")) == 0);
    CHECK(files_in(out / "INBOX" / "tmp").empty());   // the damaged copy is not left behind
    // The next sync is told to fetch it again.
    CHECK(f.store.read([](const store::ReadTxn& t) { return t.damaged_bodies(); }) == std::vector<store::BodyHash>{body_of(f, b)});

    // Still damaged: still left out, still reported; a new message goes on being exported.
    const auto e = f.add("INBOX", "Subject: e\r\n\r\ne\r\n");
    const sync::ExportReport second = f.run(sync::ExportFormat::maildir, out);
    CHECK(second.written() == 1);
    CHECK(second.damaged() == 1);

    // Sound again (a sync fetched it): the next run writes it, though its id is below the last one.
    restore_body(f, b);
    const sync::ExportReport third = f.run(sync::ExportFormat::maildir, out);
    CHECK(third.written() == 1);
    CHECK(third.damaged() == 0);
    CHECK(readback("maildir", out / "INBOX", f.expected({a, b, c, e}, "all")) == 0);
    CHECK(f.run(sync::ExportFormat::maildir, out).written() == 0);

    SECTION("a missing body file is reported as missing") {
        fs::remove(f.store.body_path(body_of(f, d)));
        const sync::ExportReport gone = f.run(sync::ExportFormat::maildir, f.temp.path() / "again");
        REQUIRE(gone.damaged() == 1);
        CHECK(gone.mailboxes.at(1).damaged.at(0).missing);
        CHECK(gone.written() == 4);
    }
}

TEST_CASE("a damaged body is left out of an mbox export without a trace, and appended once sound", "[export]") {
    Fixture f;
    const auto a = f.add("INBOX", plain);
    const auto b = f.add("INBOX", tricky);
    const auto c = f.add("INBOX", unix_lines);
    flip_body_byte(f, b);
    const fs::path out = f.temp.path() / "mbox";

    const sync::ExportReport first = f.run(sync::ExportFormat::mbox, out);
    CHECK(first.written() == 2);
    REQUIRE(first.damaged() == 1);
    CHECK(first.mailboxes.at(0).damaged.at(0).id == b);
    CHECK(readback("mbox", out / "INBOX", f.expected({a, c}, "sound")) == 0);
    CHECK(test::read_file(out / "INBOX").find("#") == std::string::npos);   // none of its bytes got in

    CHECK(f.run(sync::ExportFormat::mbox, out).damaged() == 1);
    restore_body(f, b);
    CHECK(f.run(sync::ExportFormat::mbox, out).written() == 1);
    CHECK(readback("mbox", out / "INBOX", f.expected({a, b, c}, "all")) == 0);
    CHECK(f.run(sync::ExportFormat::mbox, out).written() == 0);   // and never twice
    CHECK(readback("mbox", out / "INBOX", f.expected({a, b, c}, "again")) == 0);
}

TEST_CASE("a mailbox name too long for a file is shortened reversibly, recorded, and found again", "[export]") {
    const std::string long_name(300, 'L');
    const std::string slashes = std::string(20, 'x') + std::string(150, '/');   // %2F escapes across the cut
    for (const std::string& name : {long_name, slashes, std::string(240, 'a') + "/b", std::string(1000, '\xc3')}) {
        const std::string file = sync::export_file_name(name);
        CAPTURE(name.size(), file);
        CHECK(file.size() <= sync::max_export_name);
        CHECK(sync::is_shortened_name(file));
        CHECK(sync::export_file_name(name) == file);                            // the same each time
        CHECK(sync::export_file_name(name + "2") != file);                      // another name, another file
        const std::string prefix = file.substr(0, file.size() - 18);
        CHECK(sync::decode_mailbox_file_name(prefix).has_value());              // no escape cut in two
        CHECK(sync::encode_mailbox_file_name(name).starts_with(prefix));
        CHECK_FALSE(sync::decode_mailbox_file_name(file));                      // never taken for a plain name
    }
    CHECK(sync::export_file_name(std::string(240, 'a')) == std::string(240, 'a'));   // fits: not shortened
    CHECK_FALSE(sync::is_shortened_name(std::string(240, 'a')));

    for (const auto format : {sync::ExportFormat::maildir, sync::ExportFormat::mbox}) {
        CAPTURE(sync::to_string(format));
        Fixture f;
        const auto a = f.add("INBOX", plain);
        const auto b = f.add(long_name, tricky);
        const fs::path out = f.temp.path() / "out";
        const sync::ExportReport first = f.run(format, out);
        REQUIRE(first.mailboxes.size() == 2);
        CHECK(first.written() == 2);
        const sync::MailboxExport& shortened = first.mailboxes.at(1);
        CHECK(shortened.shortened);
        CHECK(shortened.path == out / sync::export_file_name(long_name));
        CHECK(readback(std::string(sync::to_string(format)), out / "INBOX", f.expected({a}, "inbox")) == 0);
        CHECK(readback(std::string(sync::to_string(format)), shortened.path, f.expected({b}, "long")) == 0);
        const std::string index = test::read_file(out / sync::long_names_index);
        CHECK(index.find(shortened.path.filename().string() + "\t" + long_name + "\n") != std::string::npos);

        // Incremental: the same file, only the new message.
        const auto c = f.add(long_name, unix_lines);
        const sync::ExportReport second = f.run(format, out);
        CHECK(second.written() == 1);
        CHECK(second.mailboxes.at(1).path == shortened.path);
        CHECK(readback(std::string(sync::to_string(format)), shortened.path, f.expected({b, c}, "long2")) == 0);
        CHECK(test::read_file(out / sync::long_names_index) == index);
    }
}

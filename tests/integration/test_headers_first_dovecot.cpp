// Headers first (issue 13, sync/pull/body_rule.hpp), through the built program against Dovecot:
// an account with `bodies: headers`, `max_size` and `newer-than` mirrors what its rule leaves out
// as headers and structure only; `list` marks those (H), `search` finds them by their headers,
// `export` leaves them out and says so, the Maildir view has no file for them; `show` fetches a
// body on demand (byte-identical to the server's) and, offline, says it is not downloaded (exit
// 75); `sync --bodies` completes the mirror, and a sync after the rule changed downloads what now
// qualifies; `verify` passes on a partial mirror and still finds a damaged header file, which the
// next sync fetches again. The same on servers without QRESYNC and without CONDSTORE.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/body_hash.hpp"
#include "tests/integration/cli_test_support.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/files.hpp"
#include "tests/support/masked_dovecot.hpp"

using namespace mailsync;
using namespace mailsync::test;
namespace fs = std::filesystem;

namespace {

// A message with a word only its body has (`body_word`), and an attachment when asked.
std::string headers_first_message(const std::string& tag, bool attachment = false, std::size_t padding = 0) {
    std::string text = "Body of " + tag + " with the word bodyword" + tag + "\r\n";
    while (text.size() < padding) text += "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy\r\n";
    std::string head = "From: Sender <sender@example.org>\r\nTo: me@example.org\r\nSubject: " + tag + " report\r\nMessage-ID: <" + tag +
                       "@headers.mailsync.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n";
    if (!attachment) return head + "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + text;
    return head + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n" + text +
           "--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"data.bin\"\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\nAAECAwQFBgc=\r\n--b1--\r\n";
}

std::string header_section(const std::string& message) { return message.substr(0, message.find("\r\n\r\n") + 4); }
std::string sha256(const std::string& bytes) { return store::Sha256::of(bytes).hex(); }

std::map<std::uint32_t, MirrorMessage> mirror(const Cli& cli, const std::string& mailbox = "INBOX") {
    auto store = store::Store::open(cli.store(), store::Access::shared);
    return mirror_messages(store, mailbox);
}

std::string without_spaces(std::string text) {
    text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
    return text;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
    return count;
}

std::size_t files_in(const fs::path& directory) {
    std::size_t count = 0;
    std::error_code error;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(directory, error)) ++count;
    return count;
}

void flip_byte(const fs::path& file) {
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    std::fstream damaged(file, std::ios::in | std::ios::out | std::ios::binary);
    damaged.seekp(3);
    damaged.put('#');
}

// `bodies: headers` end to end; run against the fixture and against masked servers.
void headers_only_account() {
    const auto user = unique_user("headers_first");
    const std::string plain = headers_first_message("hfalpha");
    const std::string with_attachment = headers_first_message("hfbeta", true);
    const std::string third = headers_first_message("hfgamma");
    const auto uid1 = seed(user.name, "INBOX", plain, {"\\Seen"});
    const auto uid2 = seed(user.name, "INBOX", with_attachment);
    const auto uid3 = seed(user.name, "INBOX", third);
    const std::uint16_t port = DovecotFixture::get().imap_port;
    TempDirectory scratch;
    const fs::path view = scratch.path() / "view";
    const std::string settings = "    bodies: headers\n    mode: pull\n    maildir: " + view.string() + "\n";
    Cli cli(user, port, settings);
    REQUIRE(cli.run("sync").code == 0);
    INFO(cli.stderr_text());

    // Mirrored as headers and structure: the file is the exact header section, size the server's.
    const auto server = server_messages(user, "INBOX");
    auto mirrored = mirror(cli);
    REQUIRE(mirrored.size() == 3);
    for (const auto& [uid, message] : mirrored) {
        CHECK(message.record.partial);
        CHECK(message.record.size == server.at(uid).size);
    }
    CHECK(mirrored.at(uid1).sha256 == sha256(header_section(plain)));
    CHECK(mirrored.at(uid2).sha256 == sha256(header_section(with_attachment)));
    CHECK_THAT(mirrored.at(uid2).record.structure, Catch::Contains("data.bin") && Catch::Contains("mixed", Catch::CaseSensitive::No));
    CHECK(files_in(view / "INBOX" / "cur") == 0);   // no file for a message without its body

    // list marks them, search finds them by their headers (not by a body it does not have).
    const std::string id1 = std::to_string(mirrored.at(uid1).record.id);
    const std::string id2 = std::to_string(mirrored.at(uid2).record.id);
    const std::string id3 = std::to_string(mirrored.at(uid3).record.id);
    const Run json = cli.run("--json list INBOX");
    REQUIRE(json.code == 0);
    CHECK(count_of(without_spaces(json.out), "\"headers_only\":true") == 3);
    const Run lines = cli.run("list --wide INBOX");
    CHECK(count_of(lines.out, "(headers only)") == 3);
    const Run found = cli.run("search subject:hfbeta");
    CHECK(found.code == 0);
    CHECK_THAT(found.out, Catch::Contains("hfbeta report"));
    CHECK(cli.run("search bodywordhfalpha").out.find("hfalpha") == std::string::npos);
    // has:attachment is read from the structure the server described.
    const Run attached = cli.run("search has:attachment");
    CHECK(attached.code == 0);
    CHECK_THAT(attached.out, Catch::Contains("hfbeta report"));
    CHECK(attached.out.find("hfalpha") == std::string::npos);

    // verify passes on a partial mirror; export leaves partial messages out and says so (exit 0).
    CHECK(cli.run("verify").code == 0);
    const fs::path exported = scratch.path() / "export";
    CHECK(cli.run("export --format maildir " + exported.string()).code == 0);
    CHECK_THAT(cli.stderr_text(), Catch::Contains("3 message(s) mirrored as headers only were not exported") &&
                                      Catch::Contains("sync --bodies"));
    CHECK(files_in(exported / "INBOX" / "cur") == 0);

    // show offline: not downloaded, how to get it, exit 75; the mirror unchanged.
    cli.rewrite(static_cast<std::uint16_t>(closed_port()), settings);
    const Run offline = cli.run("show INBOX " + id2);
    CHECK(offline.code == 75);
    CHECK_THAT(cli.stderr_text(), Catch::Contains("not downloaded") && Catch::Contains("sync --bodies"));
    CHECK(mirror(cli).at(uid2).record.partial);
    // ... after what the mirror has: the headers, and the parts the server described.
    CHECK_THAT(offline.out, Catch::Contains("Subject: hfbeta report") && Catch::Contains("(body not downloaded)") &&
                                Catch::Contains("not downloaded):") && Catch::Contains("application/octet-stream") &&
                                Catch::Contains("data.bin"));
    const Run offline_json = cli.run("--json show INBOX " + id2);
    CHECK(offline_json.code == 75);
    CHECK_THAT(without_spaces(offline_json.out), Catch::Contains("\"downloaded\":false") &&
                                                     Catch::Contains("\"file_name\":\"data.bin\"") &&
                                                     Catch::Contains("\"attachment\":true"));
    CHECK(cli.run("show INBOX " + id2 + " --part 2").code == 75);   // a part needs the body

    // show online: fetched on demand, stored, byte-identical; the message is complete from then on.
    cli.rewrite(port, settings);
    const Run shown = cli.run("show INBOX " + id1);
    CHECK(shown.code == 0);
    CHECK_THAT(shown.out, Catch::Contains("Body of hfalpha"));
    mirrored = mirror(cli);
    CHECK_FALSE(mirrored.at(uid1).record.partial);
    CHECK(mirrored.at(uid1).record.structure.empty());
    CHECK(mirrored.at(uid1).sha256 == server.at(uid1).sha256);
    CHECK(mirrored.at(uid1).sha256 == sha256(plain));
    CHECK(cli.run("show --raw INBOX " + id1).out == plain);
    CHECK(mirrored.at(uid2).record.partial);
    CHECK_THAT(cli.run("search bodywordhfalpha").out, Catch::Contains("hfalpha report"));

    // verify still finds real damage: a header file changed; the next sync fetches it again.
    const fs::path header_file = cli.store() / "bodies" / mirrored.at(uid3).sha256.substr(0, 2) / mirrored.at(uid3).sha256.substr(2);
    REQUIRE(fs::exists(header_file));
    flip_byte(header_file);
    CHECK(cli.run("verify").code == 65);
    REQUIRE(cli.run("sync").code == 0);
    CHECK(cli.run("verify").code == 0);
    CHECK(mirror(cli).at(uid3).record.partial);
    CHECK(mirror(cli).at(uid3).sha256 == sha256(header_section(third)));

    // A flag change of a partial message goes through as for any message (pull mode: from the server).
    add_flags(user.name, "INBOX", uid3, {"\\Flagged"});
    REQUIRE(cli.run("sync").code == 0);
    const auto flags3 = mirror(cli).at(uid3).record.flags;
    CHECK(std::find(flags3.begin(), flags3.end(), "\\Flagged") != flags3.end());

    // sync --bodies completes the mirror, whatever the rule; the view and export then have them all.
    REQUIRE(cli.run("sync --bodies").code == 0);
    mirrored = mirror(cli);
    for (const auto& [uid, message] : mirrored) {
        CHECK_FALSE(message.record.partial);
        CHECK(message.sha256 == server.at(uid).sha256);
    }
    CHECK(files_in(view / "INBOX" / "cur") == 3);
    CHECK(cli.run("verify").code == 0);
    CHECK(cli.run("export --format maildir " + exported.string()).code == 0);
    CHECK(files_in(exported / "INBOX" / "cur") == 3);
    CHECK(count_of(without_spaces(cli.run("--json list INBOX").out), "\"headers_only\":true") == 0);

    // New mail still follows the rule.
    const auto uid4 = seed(user.name, "INBOX", headers_first_message("hfdelta"));
    REQUIRE(cli.run("sync").code == 0);
    CHECK(mirror(cli).at(uid4).record.partial);
}

}  // namespace

TEST_CASE("headers first: bodies: headers mirrors headers only, show fetches on demand, sync --bodies completes") {
    headers_only_account();
}

TEST_CASE("headers first on a server without QRESYNC (CONDSTORE only)") {
    const MaskedDovecot server(capabilities_condstore_only);
    headers_only_account();
}

TEST_CASE("headers first on a bare IMAP4rev1 server (no CONDSTORE, no QRESYNC)") {
    const MaskedDovecot server(capabilities_bare);
    headers_only_account();
}

TEST_CASE("headers first: max_size leaves the big message partial, raising it downloads it at the next sync") {
    const auto user = unique_user("max_size");
    const auto small1 = seed(user.name, "INBOX", headers_first_message("hfsmall1"));
    const auto big = seed(user.name, "INBOX", headers_first_message("hfbig", true, 300'000));
    const auto small2 = seed(user.name, "Archive", headers_first_message("hfsmall2"));
    Cli cli(user, DovecotFixture::get().imap_port, "    max_size: 100k\n");
    REQUIRE(cli.run("sync").code == 0);
    INFO(cli.stderr_text());
    auto inbox = mirror(cli);
    CHECK_FALSE(inbox.at(small1).record.partial);
    CHECK(inbox.at(big).record.partial);
    CHECK(inbox.at(big).record.size > 300'000);
    CHECK_FALSE(mirror(cli, "Archive").at(small2).record.partial);
    const Run listed = cli.run("list INBOX");
    CHECK(count_of(listed.out, "H ") == 1);

    // An unchanged rule: the big message stays partial, sync after sync.
    REQUIRE(cli.run("sync").code == 0);
    CHECK(mirror(cli).at(big).record.partial);

    // restore never uploads a header file as if it were the message: it is counted apart.
    const Run restore = cli.run("--json restore --dry-run INBOX");
    INFO(cli.stderr_text());
    REQUIRE(restore.code == 0);
    CHECK_THAT(without_spaces(restore.out), Catch::Contains("\"headers_only\":1"));
    CHECK_THAT(without_spaces(restore.out), Catch::Contains("\"uploaded\":0"));

    // The rule changes: the next sync downloads what now qualifies.
    cli.rewrite(DovecotFixture::get().imap_port, "    max_size: 1MB\n");
    const Run raised = cli.run("--json sync");
    REQUIRE(raised.code == 0);
    CHECK_THAT(without_spaces(raised.out), Catch::Contains("\"bodies_completed\":{\"messages\":1"));
    inbox = mirror(cli);
    CHECK_FALSE(inbox.at(big).record.partial);
    CHECK(inbox.at(big).sha256 == server_messages(user, "INBOX").at(big).sha256);
    CHECK(cli.run("verify").code == 0);
}

TEST_CASE("headers first: newer-than keeps only the bodies of recent mail") {
    const auto user = unique_user("newer_than");
    // An old message reaches the server with its old INTERNALDATE through another mirror's append.
    Cli writer(user, DovecotFixture::get().imap_port);
    TempDirectory scratch;
    const fs::path old_file = scratch.path() / "old.eml";
    std::ofstream(old_file, std::ios::binary) << headers_first_message("hfold");
    REQUIRE(writer.run("sync").code == 0);
    REQUIRE(writer.run("append INBOX " + old_file.string() + " --date 2020-01-01T10:00:00Z").code == 0);
    REQUIRE(writer.run("sync").code == 0);
    const auto recent = seed(user.name, "INBOX", headers_first_message("hfnew"));

    Cli reader(user, DovecotFixture::get().imap_port, "    bodies:\n      newer-than: 30d\n");
    REQUIRE(reader.run("sync").code == 0);
    INFO(reader.stderr_text());
    const auto inbox = mirror(reader);
    REQUIRE(inbox.size() == 2);
    for (const auto& [uid, message] : inbox) {
        const bool is_recent = uid == recent;
        CHECK(message.record.partial == !is_recent);
    }
    CHECK(reader.run("verify").code == 0);
}

TEST_CASE("headers first: offline flag, move and delete of partial messages replay, a re-upload without the body is refused") {
    const auto user = unique_user("hf_replay");
    const auto flagged = seed(user.name, "INBOX", headers_first_message("hfflag"));
    const auto moved = seed(user.name, "INBOX", headers_first_message("hfmove"));
    const auto deleted = seed(user.name, "INBOX", headers_first_message("hfdelete"));
    const auto vanishing = seed(user.name, "INBOX", headers_first_message("hfvanish"));
    Cli cli(user, DovecotFixture::get().imap_port, "    bodies: headers\n");
    REQUIRE(cli.run("sync").code == 0);
    INFO(cli.stderr_text());
    const auto inbox = mirror(cli);
    const auto id = [&](std::uint32_t uid) { return std::to_string(inbox.at(uid).record.id); };
    REQUIRE(cli.run("flag INBOX " + id(flagged) + " +flagged").code == 0);
    REQUIRE(cli.run("move INBOX " + id(moved) + " Archive").code == 0);
    REQUIRE(cli.run("delete INBOX " + id(deleted)).code == 0);
    REQUIRE(cli.run("move INBOX " + id(vanishing) + " Archive").code == 0);
    expunge(user.name, "INBOX", vanishing);   // the server drops it meanwhile: the move would re-upload it

    const Run sync = cli.run("sync");
    CHECK(sync.code == 76);   // the re-upload is refused: only the header file is here
    CHECK_THAT(cli.stderr_text(), Catch::Contains("only its headers were downloaded"));
    const auto server_inbox = server_messages(user, "INBOX");
    CHECK(server_inbox.size() == 1);
    REQUIRE(server_inbox.count(flagged) == 1);
    const auto& server_flags = server_inbox.at(flagged).flags;
    CHECK(std::find(server_flags.begin(), server_flags.end(), "\\Flagged") != server_flags.end());
    const auto archive = server_messages(user, "Archive");
    REQUIRE(archive.size() == 1);   // the moved one, whole; never the vanished one's headers
    CHECK(archive.begin()->second.sha256 == sha256(headers_first_message("hfmove")));
    const auto mirrored_archive = mirror(cli, "Archive");
    REQUIRE(mirrored_archive.size() == 1);
    CHECK(mirrored_archive.begin()->second.record.partial);   // still headers only, now in Archive
}

// The fault campaign (sync_campaign.hpp) on the Maildir view (issue 12): a mail client changed the
// view offline (flags in file names, deletes, moves and a copy between folders, drafts written) while
// a second client changed the server; then `mailsync sync` scans the view, replays what the scan
// queued, pulls and writes the view back, and is interrupted. Besides kills, cuts and stalls timed by
// the bytes through the proxy, kills are timed by changes of the local files (the database and the
// view's directories), which is what reaches the scan before any byte is sent and the view's update
// after the last one. Checked as every scenario is (the server against a model of the client's
// changes, the mirror against the server, and `verify`, which checks the view against the mirror).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "sync/view/maildir_names.hpp"
#include "tests/fault/campaign_scenarios.hpp"
#include "tests/fault/server_model.hpp"
#include "tests/integration/pull_test_support.hpp"

using namespace mailsync;
using namespace mailsync::test;
using namespace mailsync::test::campaign;
namespace fs = std::filesystem;

namespace {

fs::path view_root(const Account& a) { return a.dir() / "Mail"; }

// UID → file of a folder of the view, from the names' ",U=" part.
std::map<std::uint32_t, fs::path> view_files(const Account& a, const std::string& folder) {
    std::map<std::uint32_t, fs::path> files;
    for (const char* part : {"cur", "new"})
        for (const auto& entry : fs::directory_iterator(view_root(a) / folder / part))
            if (const auto name = sync::parse_maildir_file_name(entry.path().filename().string()); name.uid)
                files[*name.uid] = entry.path();
    return files;
}

// The file renamed to carry `letters` besides its own (a client marking it read, flagged...).
void add_info_letters(const fs::path& file, const std::string& letters) {
    const auto name = sync::parse_maildir_file_name(file.filename().string());
    fs::rename(file, file.parent_path() / (name.base + ":2," + sync::normalized_maildir_info(name.info + letters)));
}

// Modification times (ns) of the database and of every cur/ and new/ of the view: each scan commit,
// pull commit and view update changes one of them.
std::string local_fingerprint(const Account& a) {
    std::string text;
    const auto add = [&](const fs::path& path) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) text += std::to_string(st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec) + ",";
    };
    add(a.store_dir() / "data.mdb");
    for (const char* folder : {"INBOX", "Archive", "Lists", "Drafts"})
        for (const char* part : {"cur", "new"}) add(view_root(a) / folder / part);
    return text;
}

Expected client_changed_the_view(Account& a) {
    load_messages(a, "INBOX", "i", 30);
    load_messages(a, "Lists", "l", 6);
    a.set_extra_config("    maildir: " + view_root(a).string() + "\n");
    a.write_config(DovecotFixture::get().imap_port);
    require_ok(a, {"sync"});
    ServerModel model(a.server_by_uid());
    const auto inbox = view_files(a, "INBOX");
    if (inbox.size() != 30) throw std::runtime_error("the view's INBOX has " + std::to_string(inbox.size()) + " files");
    auto file = inbox.begin();
    const auto next = [&] { return *file++; };
    // The mail client, offline: read six, flag two, delete four, move four to Archive, link one
    // into Lists (a copy), write three drafts.
    for (int i = 0; i < 6; ++i) {
        const auto [uid, path] = next();
        add_info_letters(path, "S");
        model.flag("INBOX", uid, {"\\Seen"}, {});
    }
    for (int i = 0; i < 2; ++i) {
        const auto [uid, path] = next();
        add_info_letters(path, "F");
        model.flag("INBOX", uid, {"\\Flagged"}, {});
    }
    for (int i = 0; i < 4; ++i) {
        const auto [uid, path] = next();
        fs::remove(path);
        model.expunge("INBOX", uid);
    }
    for (int i = 0; i < 4; ++i) {
        const auto [uid, path] = next();
        fs::rename(path, view_root(a) / "Archive" / "cur" / path.filename());
        model.move("INBOX", uid, "Archive");
    }
    {
        const auto [uid, path] = next();
        fs::create_hard_link(path, view_root(a) / "Lists" / "cur" / path.filename());
        model.copy("INBOX", uid, "Lists");
    }
    for (int i = 0; i < 3; ++i) {
        const auto draft = view_root(a) / "Drafts" / "cur" / ("1800000000.R" + std::to_string(i) + ".laptop:2,D");
        fs::copy_file(message_file(a, "draft" + std::to_string(i)), draft);
        model.append("Drafts", file_sha256(draft.string()), {"\\Draft"});
    }
    // Meanwhile a second client: a flag on a message the client left alone, a message the client
    // read expunged (a delete wins over a flag change), new mail.
    const auto& u = a.user().name;
    const auto untouched = next().first;
    add_flags(u, "INBOX", untouched, {"$Label3"});
    model.flag("INBOX", untouched, {"$Label3"}, {});
    const auto read_by_client = inbox.begin()->first;
    doveadm({"expunge", "-u", u, "mailbox", "INBOX", "uid", std::to_string(read_by_client)});
    model.expunge("INBOX", read_by_client);
    load_messages(a, "INBOX", "n", 3);
    const auto server = a.server_by_uid();
    for (const auto& [uid, entry] : server.at("INBOX"))
        if (uid > 30) model.append("INBOX", entry.substr(0, entry.find('|')), flags_of(entry));
    return model.contents();
}

}  // namespace

TEST_CASE("campaign: the Maildir view's changes replayed", "[fault][campaign]") {
    std::unique_ptr<Account> current;
    Campaign campaign("view");
    campaign.watch_local(local_fingerprint);
    run_all(campaign, fresh_accounts(current, "campvw"), client_changed_the_view, size("view"));
}

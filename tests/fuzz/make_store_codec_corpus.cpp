// Writes the seed corpus of fuzz_store_codec (tests/fuzz/corpus/store_codec/): one file per record
// type, its kind byte (as fuzz_store_codec.cpp numbers them) followed by a record as the store
// encodes it, filled with values that reach its optional fields. Run by hand when a record layout
// changes: make_store_codec_corpus DIR.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/body_hash.hpp"
#include "store/keys.hpp"
#include "store/records.hpp"

using namespace mailsync::store;

namespace {

void seed(const std::filesystem::path& directory, const std::string& name, char kind, const std::string& bytes) {
    std::ofstream(directory / name, std::ios::binary) << kind << bytes;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 64;
    }
    const std::filesystem::path out = argv[1];
    std::filesystem::create_directories(out);
    const BodyHash hash = Sha256::of("body");

    MailboxRecord mailbox;
    mailbox.id = 3;
    mailbox.name = "Archive/2023";
    mailbox.uidvalidity = 1700000000;
    mailbox.uidnext = 42;
    mailbox.highestmodseq = 99;
    mailbox.delimiter = "/";
    mailbox.special_use = "\\Archive";
    mailbox.attributes = {"\\HasChildren"};
    mailbox.last_sync_time = 1700000050;
    mailbox.deleted_on_server = 1700000100;
    seed(out, "mailbox", 0, encode(mailbox));
    seed(out, "counts", 1, encode(MailboxCounts{12, 3}));

    MessageRecord message;
    message.id = 7;
    message.mailbox = 3;
    message.uid = 41;
    message.flags = {"\\Seen", "$Label1"};
    message.modseq = 98;
    message.internaldate = 1700000000;
    message.size = 4286;
    message.synced_flags = {"\\Seen"};
    message.date = "Mon, 13 Nov 2023 22:13:20 +0000";
    message.from = "Some One <one@example.com>";
    message.subject = "Hello";
    message.message_id = "<id@example.com>";
    message.body_hash = hash;
    message.deleted_on_server = 1700000200;
    seed(out, "message", 2, encode(message));
    MessageRecord partial = message;   // headers first: record version 2
    partial.partial = true;
    partial.structure = "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 12 1 NIL NIL NIL NIL)";
    seed(out, "message_partial", 2, encode(partial));

    QueueRecord change;
    change.seq = 5;
    change.kind = QueueKind::append;
    change.state = QueueState::sent;
    change.sent_at = 1700000300;
    change.message = 7;
    change.mailbox = 3;
    change.uid = 41;
    change.base_flags = {"\\Seen"};
    change.add_flags = {"\\Flagged"};
    change.name = "Sent";
    change.body_hash = hash;
    change.last_error = "NO [TRYCREATE]";
    seed(out, "queue", 3, encode(change));

    ConflictRecord conflict{4, 1700000400, 7, 3, 41, "delete-wins", "flagged", "deleted", "dropped"};
    seed(out, "conflict", 4, encode(conflict));

    ExportStateRecord state{"mbox", "/backup", 7, 1700000500, "INBOX", 12345, "INBOX", {2, 5}};
    seed(out, "export_state", 5, encode(state));

    OAuthTokenRecord token;
    token.access_token = "ya29.token";
    token.expires_at = 1700003600;
    seed(out, "oauth_token", 6, encode(token));
    seed(out, "sync_run", 7, encode(SyncRunRecord{1700000600, 1700000500, "connection lost"}));

    ViewFileRecord file;
    file.message = 7;
    file.mailbox = 3;
    file.path = "INBOX/cur/1700000000.7_0.host,U=41:2,S";
    file.info = "S";
    file.uid = 41;
    file.inode = 1234;
    seed(out, "view_file", 8, encode(file));
    seed(out, "view_folder", 9, encode(ViewFolderRecord{3, "Archive", 99}));
    seed(out, "view_state", 10, encode(ViewStateRecord{"/home/me/Mail", "verbatim", {"a new file"}, 1, 1700000700}));
    seed(out, "damaged_bodies", 11, encode_damaged_bodies({hash, Sha256::of("other")}));
    seed(out, "key_u64", 12, keys::u64(7));
    seed(out, "key_message_id_place", 13, keys::message_id_place("<id@example.com>", 7));
    seed(out, "key_body_place", 14, keys::body_place(hash, 7));
    return 0;
}

// The offline commands against a real store: what each does to the mirror and to the queue (whole
// records compared), folding into pending records, and refusals that leave the store as it was.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "store/store.hpp"
#include "store_test_support.hpp"
#include "sync/local/local_changes.hpp"

using namespace mailsync;
using namespace mailsync::store;
using mailsync::store::testing::TempDir;

namespace {

constexpr UnixTime now = 1714560000;   // 2024-05-01T10:40:00Z

// Everything a command could change, to compare before and after a refusal.
struct Snapshot {
    std::vector<MailboxRecord> mailboxes;
    std::vector<MailboxCounts> counts;
    std::vector<MessageRecord> messages;
    std::vector<QueueRecord> queue;
    std::vector<ConflictRecord> conflicts;
    friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// A mirror as a prior sync would have left it: INBOX with three messages, Archive, Trash.
struct Mirror {
    TempDir dir;
    Store store = Store::open(dir.store(), Access::shared);
    MailboxId inbox = 0, archive = 0, trash = 0;
    std::vector<MessageId> ids;   // INBOX UIDs 10, 11, 12
    BodyHash body;

    Mirror() {
        body = store.put_body("From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n").hash;
        store.write([&](WriteTxn& t) {
            inbox = t.add_mailbox(mailbox("INBOX", 7));
            archive = t.add_mailbox(mailbox("Archive", 8));
            trash = t.add_mailbox(mailbox("Trash", 9));
            for (Uid uid : {10u, 11u, 12u}) {
                MessageRecord m;
                m.mailbox = inbox;
                m.uid = uid;
                m.flags = uid == 10 ? std::vector<std::string>{"\\Seen"} : std::vector<std::string>{};
                m.synced_flags = m.flags;
                m.modseq = 100 + uid;
                m.body_hash = body;
                m.size = 40;
                m.message_id = "<m" + std::to_string(uid) + "@example.com>";
                ids.push_back(t.add_message(m));
            }
        });
    }

    static MailboxRecord mailbox(std::string name, std::uint32_t uidvalidity) {
        MailboxRecord record;
        record.name = std::move(name);
        record.delimiter = "/";
        record.uidvalidity = uidvalidity;
        return record;
    }

    MessageRecord message(MessageId id) {
        auto found = store.read([&](const ReadTxn& t) { return t.message(id); });
        REQUIRE(found);
        return *found;
    }
    bool exists(MessageId id) {
        return store.read([&](const ReadTxn& t) { return t.message(id).has_value(); });
    }
    std::vector<QueueRecord> queue() {
        return store.read([](const ReadTxn& t) { return t.queue(); });
    }
    std::vector<MessageId> listed(MailboxId mailbox) {
        return store.read([&](const ReadTxn& t) {
            std::vector<MessageId> out;
            t.for_each_message(mailbox, [&](const MessageRecord& m) { out.push_back(m.id); });
            return out;
        });
    }
    Snapshot snapshot() {
        return store.read([](const ReadTxn& t) {
            Snapshot s;
            s.mailboxes = t.mailboxes();
            for (const auto& mailbox : s.mailboxes) {
                s.counts.push_back(t.counts(mailbox.id).value_or(MailboxCounts{}));
                for (auto& m : t.messages(mailbox.id)) s.messages.push_back(std::move(m));
            }
            s.queue = t.queue();
            s.conflicts = t.conflicts();
            return s;
        });
    }
    void mark_sent(Seq seq) {
        store.write([&](WriteTxn& t) {
            auto record = *t.queue_entry(seq);
            record.state = QueueState::sent;
            record.sent_at = now;
            t.put_queue_entry(record);
        });
    }
    std::filesystem::path write_file(const std::string& name, const std::string& content) {
        auto path = dir.path() / name;
        std::ofstream(path, std::ios::binary) << content;
        return path;
    }
};

std::string error_of(const std::function<void()>& action, ErrorCategory expected = ErrorCategory::bad_input) {
    try {
        action();
    } catch (const Error& error) {
        CHECK(error.category() == expected);
        return error.what();
    }
    FAIL("no mailsync::Error was thrown");
    return {};
}

std::string read_body(Store& store, const BodyHash& hash) {
    auto in = store.open_body(hash);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

using Flags = std::vector<std::string>;

}  // namespace

TEST_CASE("flag changes the message and queues its net change against the synced state", "[local][flag]") {
    Mirror m;
    const std::vector<MessageId> ids{m.ids[1]};
    auto result = sync::change_flags(m.store, "INBOX", ids, {"\\Seen", "\\Flagged"}, {}, now);
    CHECK(result.messages == ids);
    CHECK(result.notify_failure.empty());

    auto message = m.message(m.ids[1]);
    CHECK(message.flags == Flags{"\\Seen", "\\Flagged"});
    CHECK(message.synced_flags.empty());

    QueueRecord expected;
    expected.seq = 1;
    expected.kind = QueueKind::flags;
    expected.state = QueueState::pending;
    expected.created = now;
    expected.message = m.ids[1];
    expected.mailbox = m.inbox;
    expected.name = "INBOX";
    expected.uid = 11;
    expected.uidvalidity = 7;
    expected.modseq = 111;
    expected.add_flags = {"\\Seen", "\\Flagged"};
    CHECK(m.queue() == std::vector<QueueRecord>{expected});
    CHECK(result.queue_entries == std::vector<Seq>{1});
    // The unseen counter follows at once, so `mailboxes` is right before any sync.
    CHECK(m.store.read([&](const ReadTxn& t) { return t.counts(m.inbox)->unseen; }) == 1);
    // watch is told through the queue-changed file.
    std::ifstream notice(m.store.directory() / "queue-changed");
    std::ostringstream content;
    content << notice.rdbuf();
    CHECK(content.str() == "1\n");
}

TEST_CASE("flag changes fold into the pending record, and cancel out", "[local][flag]") {
    Mirror m;
    const std::vector<MessageId> ids{m.ids[0]};   // synced as \Seen
    sync::change_flags(m.store, "inbox", ids, {"\\Flagged"}, {}, now);
    sync::change_flags(m.store, "INBOX", ids, {}, {"\\Seen"}, now + 1);
    auto queue = m.queue();
    REQUIRE(queue.size() == 1);
    CHECK(queue[0].add_flags == Flags{"\\Flagged"});
    CHECK(queue[0].remove_flags == Flags{"\\Seen"});
    CHECK(queue[0].base_flags == Flags{"\\Seen"});
    CHECK(queue[0].created == now);

    // Back to the synced state: nothing left to replay.
    sync::change_flags(m.store, "INBOX", ids, {"\\SEEN"}, {"\\flagged"}, now + 2);
    CHECK(m.queue().empty());
    CHECK(m.message(m.ids[0]).flags == Flags{"\\SEEN"});

    // A flag the message already has changes nothing and queues nothing.
    sync::change_flags(m.store, "INBOX", ids, {"\\Seen"}, {"$Absent"}, now + 3);
    CHECK(m.queue().empty());
}

TEST_CASE("a flag change never folds into a record that was sent", "[local][flag]") {
    Mirror m;
    const std::vector<MessageId> ids{m.ids[1]};
    sync::change_flags(m.store, "INBOX", ids, {"\\Seen"}, {}, now);
    m.mark_sent(1);
    sync::change_flags(m.store, "INBOX", ids, {"$Work"}, {}, now);
    auto queue = m.queue();
    REQUIRE(queue.size() == 2);
    CHECK(queue[0].add_flags == Flags{"\\Seen"});
    CHECK(queue[0].state == QueueState::sent);
    CHECK(queue[1].add_flags == Flags{"$Work"});
    CHECK(queue[1].state == QueueState::pending);
}

TEST_CASE("move keeps the id, places the message in the destination without a UID", "[local][move]") {
    Mirror m;
    const std::vector<MessageId> ids{m.ids[0], m.ids[2]};
    auto result = sync::move_messages(m.store, "INBOX", ids, "Archive", now);
    CHECK(result.messages == ids);
    CHECK(m.listed(m.inbox) == std::vector<MessageId>{m.ids[1]});
    CHECK(m.listed(m.archive) == ids);
    auto moved = m.message(m.ids[2]);
    CHECK(moved.mailbox == m.archive);
    CHECK_FALSE(moved.uid);
    CHECK(moved.modseq == 0);

    auto queue = m.queue();
    REQUIRE(queue.size() == 2);
    QueueRecord expected;
    expected.seq = 2;
    expected.kind = QueueKind::move;
    expected.created = now;
    expected.message = m.ids[2];
    expected.mailbox = m.inbox;
    expected.name = "INBOX";
    expected.target_mailbox = m.archive;
    expected.new_name = "Archive";
    expected.uid = 12;
    expected.uidvalidity = 7;
    expected.modseq = 112;
    expected.body_hash = m.body;
    CHECK(queue[1] == expected);
}

TEST_CASE("a pending move is redirected by a second move, and cancelled by a move back", "[local][move]") {
    Mirror m;
    const std::vector<MessageId> ids{m.ids[0]};
    sync::move_messages(m.store, "INBOX", ids, "Archive", now);
    sync::move_messages(m.store, "Archive", ids, "Trash", now);
    auto queue = m.queue();
    REQUIRE(queue.size() == 1);
    CHECK(queue[0].target_mailbox == m.trash);
    CHECK(queue[0].new_name == "Trash");
    CHECK(queue[0].uid == Uid{10});

    sync::move_messages(m.store, "Trash", ids, "INBOX", now);
    CHECK(m.queue().empty());
    auto back = m.message(m.ids[0]);
    CHECK(back.mailbox == m.inbox);
    CHECK(back.uid == Uid{10});
    CHECK(back.modseq == 110);

    // Once sent, a second move is a record of its own, made against the not-yet-known UID.
    sync::move_messages(m.store, "INBOX", ids, "Archive", now);
    m.mark_sent(m.queue()[0].seq);
    sync::move_messages(m.store, "Archive", ids, "Trash", now);
    queue = m.queue();
    REQUIRE(queue.size() == 2);
    CHECK(queue[1].mailbox == m.archive);
    CHECK(queue[1].name == "Archive");
    CHECK_FALSE(queue[1].uid);
}

TEST_CASE("copy makes a new id with the same body", "[local][copy]") {
    Mirror m;
    const std::vector<MessageId> ids{m.ids[0]};
    auto result = sync::copy_messages(m.store, "INBOX", ids, "Archive", now);
    REQUIRE(result.messages.size() == 1);
    const MessageId copy_id = result.messages[0];
    CHECK(copy_id != m.ids[0]);
    auto copy = m.message(copy_id);
    auto original = m.message(m.ids[0]);
    CHECK(copy.mailbox == m.archive);
    CHECK_FALSE(copy.uid);
    CHECK(copy.body_hash == original.body_hash);
    CHECK(copy.flags == original.flags);
    CHECK(original.mailbox == m.inbox);   // the original stays

    auto queue = m.queue();
    REQUIRE(queue.size() == 1);
    CHECK(queue[0].kind == QueueKind::copy);
    CHECK(queue[0].message == m.ids[0]);
    CHECK(queue[0].copy_message == copy_id);
    CHECK(queue[0].uid == Uid{10});
    CHECK(queue[0].target_mailbox == m.archive);
    CHECK(queue[0].new_name == "Archive");

    // Deleting the copy before it was sent cancels it.
    sync::delete_messages(m.store, "Archive", result.messages, now);
    CHECK(m.queue().empty());
    CHECK_FALSE(m.exists(copy_id));
}

TEST_CASE("delete takes the message out of the mirror and queues its expunge", "[local][delete]") {
    Mirror m;
    const std::vector<MessageId> ids{m.ids[1]};
    sync::delete_messages(m.store, "INBOX", ids, now);
    CHECK_FALSE(m.exists(m.ids[1]));
    CHECK(m.listed(m.inbox) == std::vector<MessageId>{m.ids[0], m.ids[2]});
    QueueRecord expected;
    expected.seq = 1;
    expected.kind = QueueKind::remove;
    expected.created = now;
    expected.message = m.ids[1];
    expected.mailbox = m.inbox;
    expected.name = "INBOX";
    expected.uid = 11;
    expected.uidvalidity = 7;
    expected.modseq = 111;
    expected.body_hash = m.body;   // its identity, should the server renumber INBOX before the replay
    CHECK(m.queue() == std::vector<QueueRecord>{expected});
}

TEST_CASE("delete of a message with a pending move deletes it where the server has it", "[local][delete]") {
    Mirror m;
    const std::vector<MessageId> ids{m.ids[2]};
    sync::move_messages(m.store, "INBOX", ids, "Archive", now);
    sync::delete_messages(m.store, "Archive", ids, now);
    auto queue = m.queue();
    REQUIRE(queue.size() == 1);
    CHECK(queue[0].seq == 1);
    CHECK(queue[0].kind == QueueKind::remove);
    CHECK(queue[0].mailbox == m.inbox);
    CHECK(queue[0].name == "INBOX");
    CHECK(queue[0].uid == Uid{12});
    CHECK(queue[0].target_mailbox == 0);
    CHECK_FALSE(m.exists(m.ids[2]));
}

TEST_CASE("append stores CRLF bytes, adds the message and its upload", "[local][append]") {
    Mirror m;
    const std::string file_text =
        "From: Ann <ann@example.com>\nSubject: a long\n  subject\nMessage-ID: <x1@example.com>\nDate: Wed, 1 May 2024 "
        "10:00:00 +0000\n\nline one\nline two\r\n";
    sync::AppendRequest request;
    request.mailbox = "Archive";
    request.file = m.write_file("mail.eml", file_text);
    request.flags = {"\\Seen", "$Sent"};
    request.internaldate = 1714550000;
    request.internaldate_zone_minutes = 120;
    auto result = sync::append_message(m.store, request, now);
    REQUIRE(result.messages.size() == 1);

    auto message = m.message(result.messages[0]);
    const std::string expected_body =
        "From: Ann <ann@example.com>\r\nSubject: a long\r\n  subject\r\nMessage-ID: <x1@example.com>\r\nDate: Wed, 1 May 2024 "
        "10:00:00 +0000\r\n\r\nline one\r\nline two\r\n";
    CHECK(read_body(m.store, message.body_hash) == expected_body);
    CHECK(message.body_hash == Sha256::of(expected_body));
    CHECK(message.size == expected_body.size());
    CHECK(message.mailbox == m.archive);
    CHECK_FALSE(message.uid);
    CHECK(message.flags == Flags{"\\Seen", "$Sent"});
    CHECK(message.internaldate == 1714550000);
    CHECK(message.internaldate_zone_minutes == 120);
    CHECK(message.message_id == "<x1@example.com>");
    CHECK(message.from == "Ann <ann@example.com>");
    CHECK(message.subject == "a long  subject");
    CHECK(message.date == "Wed, 1 May 2024 10:00:00 +0000");

    QueueRecord expected;
    expected.seq = 1;
    expected.kind = QueueKind::append;
    expected.created = now;
    expected.message = message.id;
    expected.mailbox = m.archive;
    expected.name = "Archive";
    expected.body_hash = message.body_hash;
    expected.add_flags = {"\\Seen", "$Sent"};
    expected.internaldate = 1714550000;
    expected.internaldate_zone_minutes = 120;
    CHECK(m.queue() == std::vector<QueueRecord>{expected});
}

TEST_CASE("append adds a Message-ID only when the message has none", "[local][append]") {
    Mirror m;
    sync::AppendRequest request;
    request.mailbox = "INBOX";
    request.file = m.write_file("draft.eml", "From 2024 mbox envelope line\nSubject: draft\n\nbody");
    auto result = sync::append_message(m.store, request, now);
    auto message = m.message(result.messages.at(0));
    CHECK(message.internaldate == now);
    REQUIRE(message.message_id.starts_with("<mailsync."));
    CHECK(message.message_id.ends_with("@mailsync.invalid>"));
    CHECK(read_body(m.store, message.body_hash) == "Message-ID: " + message.message_id + "\r\nSubject: draft\r\n\r\nbody");

    // Two appends of the same file are two messages with two Message-IDs.
    auto second = m.message(sync::append_message(m.store, request, now).messages.at(0));
    CHECK(second.message_id != message.message_id);
}

TEST_CASE("changes to an offline append fold into its upload", "[local][append]") {
    Mirror m;
    sync::AppendRequest request;
    request.mailbox = "INBOX";
    request.file = m.write_file("m.eml", "Subject: s\r\nMessage-ID: <s@x>\r\n\r\nb\r\n");
    const std::vector<MessageId> ids = sync::append_message(m.store, request, now).messages;

    sync::change_flags(m.store, "INBOX", ids, {"\\Flagged"}, {}, now);
    sync::move_messages(m.store, "INBOX", ids, "Archive", now);
    auto queue = m.queue();
    REQUIRE(queue.size() == 1);
    CHECK(queue[0].kind == QueueKind::append);
    CHECK(queue[0].add_flags == Flags{"\\Flagged"});
    CHECK(queue[0].mailbox == m.archive);
    CHECK(queue[0].name == "Archive");
    CHECK(m.message(ids[0]).mailbox == m.archive);

    // A copy of it is an upload of its own, not a copy of what the server does not have yet.
    auto copy = sync::copy_messages(m.store, "Archive", ids, "Trash", now).messages;
    queue = m.queue();
    REQUIRE(queue.size() == 2);
    CHECK(queue[1].kind == QueueKind::append);
    CHECK(queue[1].message == copy.at(0));
    CHECK(queue[1].mailbox == m.trash);
    CHECK(queue[1].body_hash == queue[0].body_hash);

    // Deleting it before it was uploaded: nothing reaches the server.
    sync::delete_messages(m.store, "Archive", ids, now);
    queue = m.queue();
    REQUIRE(queue.size() == 1);
    CHECK(queue[0].message == copy.at(0));
    CHECK_FALSE(m.exists(ids[0]));
    // Indexes, counters and the bodies the queue names are all in step.
    CHECK(m.store.verify(true).empty());
}

TEST_CASE("refused changes leave the store exactly as it was", "[local][errors]") {
    Mirror m;
    // Something queued already, so that the queue is compared too.
    sync::change_flags(m.store, "INBOX", std::vector<MessageId>{m.ids[1]}, {"\\Seen"}, {}, now);
    const Snapshot before = m.snapshot();
    const std::vector<MessageId> good{m.ids[0]};
    const std::vector<MessageId> some_unknown{m.ids[0], 98, 99};

    CHECK_THAT(error_of([&] { sync::change_flags(m.store, "Nowhere", good, {"\\Seen"}, {}, now); }),
               Catch::Contains("no mailbox 'Nowhere'"));
    CHECK_THAT(error_of([&] { sync::change_flags(m.store, "INBOX", some_unknown, {"\\Flagged"}, {}, now); }),
               Catch::Contains("no message with id 98, 99 in mailbox 'INBOX'"));
    CHECK_THAT(error_of([&] { sync::change_flags(m.store, "INBOX", good, {"\\Seen"}, {"\\Seen"}, now); }),
               Catch::Contains("both added and removed"));
    CHECK_THAT(error_of([&] { sync::move_messages(m.store, "INBOX", good, "inbox", now); }),
               Catch::Contains("into the mailbox they are in"));
    CHECK_THAT(error_of([&] { sync::move_messages(m.store, "INBOX", good, "Nowhere", now); }),
               Catch::Contains("'Nowhere'"));
    CHECK_THAT(error_of([&] { sync::move_messages(m.store, "Archive", good, "Trash", now); }),
               Catch::Contains("in mailbox 'Archive'"));
    CHECK_THAT(error_of([&] { sync::copy_messages(m.store, "INBOX", some_unknown, "Trash", now); }),
               Catch::Contains("98"));
    CHECK_THAT(error_of([&] { sync::delete_messages(m.store, "INBOX", some_unknown, now); }), Catch::Contains("99"));

    sync::AppendRequest request;
    request.mailbox = "INBOX";
    request.file = m.write_file("notes.txt", "just some notes\nnot a message\n");
    CHECK_THAT(error_of([&] { sync::append_message(m.store, request, now); }), Catch::Contains("is not a message"));
    request.file = m.write_file("headers.txt", "X-Custom: a header\n\nbut none that a message has\n");
    CHECK_THAT(error_of([&] { sync::append_message(m.store, request, now); }), Catch::Contains("is not a message"));
    request.file = m.write_file("nul.eml", std::string("Subject: x\n\nnul \0 byte\n", 24));
    CHECK_THAT(error_of([&] { sync::append_message(m.store, request, now); }), Catch::Contains("NUL"));
    request.file = m.dir.path() / "missing.eml";
    CHECK_THAT(error_of([&] { sync::append_message(m.store, request, now); }), Catch::Contains("no such file"));
    request.file = m.write_file("ok.eml", "Subject: x\n\nbody\n");
    request.mailbox = "Nowhere";
    CHECK_THAT(error_of([&] { sync::append_message(m.store, request, now); }), Catch::Contains("'Nowhere'"));

    CHECK_THAT(error_of([&] { sync::make_mailbox(m.store, "Archive", now); }), Catch::Contains("exists already"));
    CHECK_THAT(error_of([&] { sync::make_mailbox(m.store, "Inbox", now); }), Catch::Contains("exists already"));
    CHECK_THAT(error_of([&] { sync::make_mailbox(m.store, "a//b", now); }), Catch::Contains("empty level"));
    CHECK_THAT(error_of([&] { sync::make_mailbox(m.store, "a*", now); }), Catch::Contains("wildcard"));
    CHECK_THAT(error_of([&] { sync::rename_mailbox(m.store, "INBOX", "Old", now); }), Catch::Contains("INBOX"));
    CHECK_THAT(error_of([&] { sync::rename_mailbox(m.store, "Archive", "Trash", now); }), Catch::Contains("exists"));
    CHECK_THAT(error_of([&] { sync::rename_mailbox(m.store, "Archive", "Archive/2024", now); }),
               Catch::Contains("below itself"));
    CHECK_THAT(error_of([&] { sync::rename_mailbox(m.store, "Nowhere", "Else", now); }), Catch::Contains("'Nowhere'"));
    CHECK_THAT(error_of([&] { sync::remove_mailbox(m.store, "INBOX", now); }), Catch::Contains("INBOX"));
    sync::move_messages(m.store, "INBOX", good, "Archive", now);
    const Snapshot with_move = m.snapshot();
    CHECK_THAT(error_of([&] { sync::remove_mailbox(m.store, "Archive", now); }), Catch::Contains("not empty"));
    CHECK(m.snapshot() == with_move);
    sync::move_messages(m.store, "Archive", good, "INBOX", now);   // back: the move is cancelled

    CHECK(m.snapshot() == before);
}

TEST_CASE("mkdir, rename and rmdir change mailbox records and queue wire names", "[local][mailbox]") {
    Mirror m;
    auto made = sync::make_mailbox(m.store, "Entwürfe", now);
    auto record = m.store.read([&](const ReadTxn& t) { return t.mailbox(made.mailbox); });
    REQUIRE(record);
    CHECK(record->name == "Entw&APw-rfe");
    CHECK(record->delimiter == "/");
    CHECK(record->created_offline);
    sync::make_mailbox(m.store, "Entwürfe/2024", now);

    auto renamed = sync::rename_mailbox(m.store, "Entwürfe", "Drafts", now);
    CHECK(renamed.mailbox == made.mailbox);   // the id is kept
    auto names = m.store.read([](const ReadTxn& t) {
        std::vector<std::string> out;
        for (const auto& mailbox : t.mailboxes()) out.push_back(mailbox.name);
        return out;
    });
    CHECK(names == std::vector<std::string>{"INBOX", "Archive", "Trash", "Drafts", "Drafts/2024"});

    auto queue = m.queue();
    REQUIRE(queue.size() == 3);
    CHECK(queue[0].kind == QueueKind::create_mailbox);
    CHECK(queue[0].name == "Entw&APw-rfe");
    CHECK(queue[1].name == "Entw&APw-rfe/2024");
    CHECK(queue[2].kind == QueueKind::rename_mailbox);
    CHECK(queue[2].mailbox == made.mailbox);
    CHECK(queue[2].name == "Entw&APw-rfe");
    CHECK(queue[2].new_name == "Drafts");

    CHECK_THAT(error_of([&] { sync::remove_mailbox(m.store, "Drafts", now); }), Catch::Contains("sub-mailboxes"));

    // A mailbox made offline and named by no other record is simply forgotten.
    auto scratch = sync::make_mailbox(m.store, "Scratch", now);
    sync::remove_mailbox(m.store, "Scratch", now);
    CHECK(m.queue().size() == 3);
    CHECK_FALSE(m.store.read([&](const ReadTxn& t) { return t.mailbox(scratch.mailbox).has_value(); }));

    // One the server has is deleted there.
    sync::remove_mailbox(m.store, "Trash", now);
    queue = m.queue();
    REQUIRE(queue.size() == 4);
    CHECK(queue[3].kind == QueueKind::delete_mailbox);
    CHECK(queue[3].mailbox == m.trash);
    CHECK(queue[3].name == "Trash");

    // A move queued after a rename carries the new names (the server's names at that point).
    sync::move_messages(m.store, "INBOX", std::vector<MessageId>{m.ids[0]}, "Drafts/2024", now);
    CHECK(m.queue().back().new_name == "Drafts/2024");
    CHECK(m.store.verify(false).empty());
}

TEST_CASE("mailbox commands use the account's delimiter", "[local][mailbox]") {
    Mirror m;
    m.store.write([&](WriteTxn& t) {
        auto inbox = *t.mailbox(m.inbox);
        inbox.delimiter = ".";
        t.put_mailbox(inbox);
    });
    CHECK_THAT(error_of([&] { sync::make_mailbox(m.store, "a..b", now); }), Catch::Contains("empty level"));
    auto made = sync::make_mailbox(m.store, "a/b", now);   // "/" is an ordinary character here
    CHECK(m.store.read([&](const ReadTxn& t) { return t.mailbox(made.mailbox)->delimiter; }) == ".");
}

#include <catch2/catch.hpp>

#include <string>

#include "common/error.hpp"
#include "sync/imap/command.hpp"

using mailsync::Error;
using mailsync::ErrorCategory;
using namespace mailsync::imap;

namespace {

// The parts as one string: bytes as they are, "<+>" where the session waits for a continuation,
// "<file:PATH:SIZE>" where it streams a file.
std::string render(const EncodedCommand& encoded) {
    std::string out;
    for (const auto& piece : encoded.parts) {
        if (const auto* bytes = std::get_if<part::Bytes>(&piece)) {
            out += bytes->bytes;
        } else if (std::holds_alternative<part::AwaitContinuation>(piece)) {
            out += "<+>";
        } else {
            const auto& file = std::get<part::FileContent>(piece);
            out += "<file:" + file.path + ":" + std::to_string(file.size) + ">";
        }
    }
    return out;
}

std::string wire(const Command& command, EncoderOptions options = {}) {
    auto encoded = encode("A1", command, options);
    // Adjacent bytes are always merged.
    for (std::size_t i = 1; i < encoded.parts.size(); ++i) {
        bool both_bytes = std::holds_alternative<part::Bytes>(encoded.parts[i - 1]) &&
                          std::holds_alternative<part::Bytes>(encoded.parts[i]);
        CHECK_FALSE(both_bytes);
    }
    return render(encoded);
}

ErrorCategory failure(const Command& command, EncoderOptions options = {}) {
    try {
        encode("A1", command, options);
    } catch (const Error& error) {
        return error.category();
    }
    FAIL("expected an Error");
    return ErrorCategory::internal;
}

SequenceSet set(std::string_view text) {
    auto parsed = SequenceSet::parse(text);
    REQUIRE(parsed.has_value());
    return *parsed;
}

EncoderOptions with_literal_plus() {
    EncoderOptions options;
    options.literal_plus = true;
    return options;
}

EncoderOptions with_literal_minus() {
    EncoderOptions options;
    options.literal_minus = true;
    return options;
}

EncoderOptions with_utf8_accept() {
    EncoderOptions options;
    options.utf8_accept = true;
    return options;
}

}  // namespace

TEST_CASE("encode: every command kind", "[command]") {
    struct Case {
        Command command;
        std::string expected;
    };
    cmd::QresyncParams full_qresync{67890007, 90060115194045000, set("1:200,300"),
        std::make_pair(set("1,10,100"), set("5,50,500"))};
    const std::vector<Case> cases = {
        {cmd::Capability{}, "A1 CAPABILITY\r\n"},
        {cmd::Noop{}, "A1 NOOP\r\n"},
        {cmd::Logout{}, "A1 LOGOUT\r\n"},
        {cmd::StartTls{}, "A1 STARTTLS\r\n"},
        {cmd::Login{"me@example.com", "secret"}, "A1 LOGIN me@example.com secret\r\n"},
        {cmd::Login{"me", "p a\"s\\s"}, "A1 LOGIN me \"p a\\\"s\\\\s\"\r\n"},
        {cmd::Login{"me", ""}, "A1 LOGIN me \"\"\r\n"},
        {cmd::Login{"me", "x]y"}, "A1 LOGIN me x]y\r\n"},
        {cmd::Login{"me", "{5}"}, "A1 LOGIN me \"{5}\"\r\n"},
        {cmd::Login{"me", "p\xc3\xa4ss"}, "A1 LOGIN me {5}\r\n<+>p\xc3\xa4ss\r\n"},
        {cmd::Authenticate{"PLAIN", std::string("AG1lAHNlY3JldA==")}, "A1 AUTHENTICATE PLAIN AG1lAHNlY3JldA==\r\n"},
        {cmd::Authenticate{"PLAIN", std::string("=")}, "A1 AUTHENTICATE PLAIN =\r\n"},
        {cmd::Authenticate{"XOAUTH2", std::nullopt}, "A1 AUTHENTICATE XOAUTH2\r\n"},
        {cmd::Enable{{"QRESYNC", "CONDSTORE"}}, "A1 ENABLE QRESYNC CONDSTORE\r\n"},
        {cmd::Id{}, "A1 ID NIL\r\n"},
        {cmd::Id{{{"name", "mailsync"}, {"version", "0.1.0"}}}, "A1 ID (\"name\" \"mailsync\" \"version\" \"0.1.0\")\r\n"},
        {cmd::Select{"INBOX"}, "A1 SELECT INBOX\r\n"},
        {cmd::Select{"inbox"}, "A1 SELECT INBOX\r\n"},
        {cmd::Select{"InBoX", true}, "A1 EXAMINE INBOX\r\n"},
        {cmd::Select{"INBOX.sub"}, "A1 SELECT INBOX.sub\r\n"},
        {cmd::Select{"Sent Items", false, true}, "A1 SELECT \"Sent Items\" (CONDSTORE)\r\n"},
        {cmd::Select{"INBOX", false, false, cmd::QresyncParams{3857529045, 20010715194032001, {}, {}}},
         "A1 SELECT INBOX (QRESYNC (3857529045 20010715194032001))\r\n"},
        {cmd::Select{"INBOX", false, true, cmd::QresyncParams{3857529045, 20010715194032001, set("1:198"), {}}},
         "A1 SELECT INBOX (QRESYNC (3857529045 20010715194032001 1:198))\r\n"},
        {cmd::Select{"&U,BTFw-", false, false, full_qresync},
         "A1 SELECT &U,BTFw- (QRESYNC (67890007 90060115194045000 1:200,300 (1,10,100 5,50,500)))\r\n"},
        {cmd::Unselect{}, "A1 UNSELECT\r\n"},
        {cmd::Close{}, "A1 CLOSE\r\n"},
        {cmd::Create{"Archive/2024", {}}, "A1 CREATE Archive/2024\r\n"},
        {cmd::Create{"Sent", std::string("\\Sent")}, "A1 CREATE Sent (USE (\\Sent))\r\n"},
        {cmd::Delete{"Trash/old"}, "A1 DELETE Trash/old\r\n"},
        {cmd::Rename{"a b", "inbox"}, "A1 RENAME \"a b\" INBOX\r\n"},
        {cmd::Subscribe{"News"}, "A1 SUBSCRIBE News\r\n"},
        {cmd::List{}, "A1 LIST \"\" \"*\"\r\n"},
        {cmd::List{"", "%", true, {}}, "A1 LIST \"\" \"%\" RETURN (SPECIAL-USE)\r\n"},
        {cmd::List{"", "*", true, {"MESSAGES", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ"}},
         "A1 LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ))\r\n"},
        {cmd::List{"", "*", false, {"MESSAGES"}}, "A1 LIST \"\" \"*\" RETURN (STATUS (MESSAGES))\r\n"},
        {cmd::Status{"INBOX", {"MESSAGES", "UNSEEN", "HIGHESTMODSEQ"}},
         "A1 STATUS INBOX (MESSAGES UNSEEN HIGHESTMODSEQ)\r\n"},
        {cmd::UidFetch{set("1:3,7"), false, {"UID", "FLAGS"}, {}, false}, "A1 UID FETCH 1:3,7 (UID FLAGS)\r\n"},
        {cmd::UidFetch{set("1"), true, {"FLAGS"}, std::uint64_t{12345}, true},
         "A1 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n"},
        {cmd::UidFetch{set("2:4,300"), true, {"MODSEQ"}, std::uint64_t{9}, false},
         "A1 UID FETCH 2:4,300:* (MODSEQ) (CHANGEDSINCE 9)\r\n"},
        {cmd::UidFetch{set("5"), false, {"BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]", "BODY.PEEK[]<0.1024>"}, {}, false},
         "A1 UID FETCH 5 (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] BODY.PEEK[]<0.1024>)\r\n"},
        {cmd::UidStore{set("4,7:9"), std::uint64_t{320162338}, cmd::StoreMode::add, true, {"\\Seen", "$Label1"}},
         "A1 UID STORE 4,7:9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Seen $Label1)\r\n"},
        {cmd::UidStore{set("4"), {}, cmd::StoreMode::remove, false, {"\\Flagged"}},
         "A1 UID STORE 4 -FLAGS (\\Flagged)\r\n"},
        {cmd::UidStore{set("4"), {}, cmd::StoreMode::replace, true, {}}, "A1 UID STORE 4 FLAGS.SILENT ()\r\n"},
        {cmd::UidCopy{set("1:2"), "Archive"}, "A1 UID COPY 1:2 Archive\r\n"},
        {cmd::UidMove{set("42"), "\"quoted\""}, "A1 UID MOVE 42 \"\\\"quoted\\\"\"\r\n"},
        {cmd::UidExpunge{set("3000:3002,3004")}, "A1 UID EXPUNGE 3000:3002,3004\r\n"},
        {cmd::UidSearch{{"ALL"}, "UID 1:500 DELETED", {}}, "A1 UID SEARCH RETURN (ALL) UID 1:500 DELETED\r\n"},
        {cmd::UidSearch{{}, "ALL", {}}, "A1 UID SEARCH ALL\r\n"},
        {cmd::UidSearch{{"MIN", "COUNT"}, "", std::make_pair(std::string("Message-ID"), std::string("<a b@c>"))},
         "A1 UID SEARCH RETURN (MIN COUNT) HEADER Message-ID \"<a b@c>\"\r\n"},
        {cmd::UidSearch{{}, "UNDELETED", std::make_pair(std::string("Subject"), std::string("caf\xc3\xa9"))},
         "A1 UID SEARCH CHARSET UTF-8 UNDELETED HEADER Subject {5}\r\n<+>caf\xc3\xa9\r\n"},
        {cmd::UidSearch{{"ALL"}, "", {}, {{"OR", false}, {"(", false}, {"FROM", false}, {"ann", true}, {"SEEN", false},
                                          {")", false}, {"NOT", false}, {"TEXT", false}, {"caf\xc3\xa9 au lait", true}}},
         "A1 UID SEARCH RETURN (ALL) CHARSET UTF-8 OR (FROM \"ann\" SEEN) NOT TEXT {13}\r\n<+>caf\xc3\xa9 au lait\r\n"},
        {cmd::Idle{}, "A1 IDLE\r\n"},
        {cmd::Append{"Sent", {"\\Seen"}, std::string("17-Jul-1996 02:44:25 -0700"), "/tmp/m.eml", 310},
         "A1 APPEND Sent (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {310}\r\n<+><file:/tmp/m.eml:310>\r\n"},
        {cmd::Append{"inbox", {}, std::string(" 7-Jul-1996 02:44:25 +0000"), "/m", 5},
         "A1 APPEND INBOX \" 7-Jul-1996 02:44:25 +0000\" {5}\r\n<+><file:/m:5>\r\n"},
        {cmd::Append{"Drafts", {"\\Draft", "$Label1"}, {}, "/m", 1},
         "A1 APPEND Drafts (\\Draft $Label1) {1}\r\n<+><file:/m:1>\r\n"},
    };
    for (const auto& c : cases) {
        INFO("expected: " << c.expected);
        CHECK(wire(c.command) == c.expected);
    }
}

TEST_CASE("encode: DONE has no tag", "[command]") {
    auto encoded = encode("ignored", cmd::Done{}, {});
    CHECK(encoded.tag.empty());
    CHECK(render(encoded) == "DONE\r\n");
    CHECK(encode("A7", cmd::Noop{}, {}).tag == "A7");
}

TEST_CASE("encode: invalid tags are rejected", "[command]") {
    for (const char* tag : {"", "A+1", "A 1", "A(1", "A*", "A\"", "A\r"}) {
        INFO("tag " << tag);
        CHECK_THROWS_AS(encode(tag, cmd::Noop{}, {}), Error);
    }
    CHECK_NOTHROW(encode("a]1.x", cmd::Noop{}, {}));
}

TEST_CASE("encode: astring is an atom, quoted or literal by its bytes", "[command]") {
    struct Case {
        std::string value;
        std::string expected;  // as the second argument of LOGIN, without options
    };
    const std::vector<Case> cases = {
        {"plain", "plain"},
        {"with]bracket", "with]bracket"},  // ']' is an ASTRING-CHAR
        {"", "\"\""},
        {"sp ace", "\"sp ace\""},
        {"(", "\"(\""},
        {")", "\")\""},
        {"{", "\"{\""},
        {"%", "\"%\""},
        {"*", "\"*\""},
        {"\"", "\"\\\"\""},
        {"\\", "\"\\\\\""},
        {"tab\there", "\"tab\there\""},  // other CTLs may be quoted
        {"\x7f", "\"\x7f\""},
        {"NIL", "NIL"},  // astring, not nstring: NIL is just a string here
        {"cr\rx", "{4}\r\n<+>cr\rx"},
        {"lf\nx", "{4}\r\n<+>lf\nx"},
        {"\xc3\xa4", "{2}\r\n<+>\xc3\xa4"},
        {std::string(1024, ' '), "\"" + std::string(1024, ' ') + "\""},
        {std::string(1025, ' '), "{1025}\r\n<+>" + std::string(1025, ' ')},
    };
    for (const auto& c : cases) {
        INFO("value: " << c.value);
        CHECK(wire(cmd::Login{"u", c.value}) == "A1 LOGIN u " + c.expected + "\r\n");
    }
}

TEST_CASE("encode: 8-bit strings are quoted only with UTF8=ACCEPT and valid UTF-8", "[command]") {
    CHECK(wire(cmd::Select{"Entw\xc3\xbc rfe"}, with_utf8_accept()) == "A1 SELECT \"Entw\xc3\xbc rfe\"\r\n");
    // An 8-bit atom is not an atom: quoted.
    CHECK(wire(cmd::Select{"\xc3\xbc"}, with_utf8_accept()) == "A1 SELECT \"\xc3\xbc\"\r\n");
    CHECK(wire(cmd::Select{"bad\xff"}, with_utf8_accept()) == "A1 SELECT {4}\r\n<+>bad\xff\r\n");
    CHECK(wire(cmd::Select{"Entw\xc3\xbc rfe"}) == "A1 SELECT {10}\r\n<+>Entw\xc3\xbc rfe\r\n");
}

TEST_CASE("encode: literal forms follow LITERAL+ and LITERAL-", "[command]") {
    const std::string small = "a\r\nb";
    CHECK(wire(cmd::Login{"u", small}) == "A1 LOGIN u {4}\r\n<+>a\r\nb\r\n");
    CHECK(wire(cmd::Login{"u", small}, with_literal_plus()) == "A1 LOGIN u {4+}\r\na\r\nb\r\n");
    CHECK(wire(cmd::Login{"u", small}, with_literal_minus()) == "A1 LOGIN u {4+}\r\na\r\nb\r\n");

    const std::string at_limit = std::string(4095, 'x') + "\n";
    const std::string over_limit = std::string(4096, 'x') + "\n";
    CHECK(wire(cmd::Login{"u", at_limit}, with_literal_minus()) == "A1 LOGIN u {4096+}\r\n" + at_limit + "\r\n");
    CHECK(wire(cmd::Login{"u", over_limit}, with_literal_minus()) == "A1 LOGIN u {4097}\r\n<+>" + over_limit + "\r\n");
    CHECK(wire(cmd::Login{"u", over_limit}, with_literal_plus()) == "A1 LOGIN u {4097+}\r\n" + over_limit + "\r\n");

    // Two literals in one command: each synchronizing literal gets its own wait.
    CHECK(wire(cmd::Login{"\xc3\xa9", "\n"}) == "A1 LOGIN {2}\r\n<+>\xc3\xa9 {1}\r\n<+>\n\r\n");
}

TEST_CASE("encode: APPEND continuation placement", "[command]") {
    cmd::Append append{"Sent", {"\\Seen"}, {}, "/var/m", 4096};
    CHECK(wire(append) == "A1 APPEND Sent (\\Seen) {4096}\r\n<+><file:/var/m:4096>\r\n");
    CHECK(wire(append, with_literal_plus()) == "A1 APPEND Sent (\\Seen) {4096+}\r\n<file:/var/m:4096>\r\n");
    CHECK(wire(append, with_literal_minus()) == "A1 APPEND Sent (\\Seen) {4096+}\r\n<file:/var/m:4096>\r\n");
    append.size = 4097;
    CHECK(wire(append, with_literal_minus()) == "A1 APPEND Sent (\\Seen) {4097}\r\n<+><file:/var/m:4097>\r\n");

    auto encoded = encode("A1", append, {});
    REQUIRE(encoded.parts.size() == 4);
    CHECK(std::holds_alternative<part::Bytes>(encoded.parts[0]));
    CHECK(std::holds_alternative<part::AwaitContinuation>(encoded.parts[1]));
    CHECK(std::holds_alternative<part::FileContent>(encoded.parts[2]));
    CHECK(std::get<part::Bytes>(encoded.parts[3]).bytes == "\r\n");

    // A mailbox name that needs a literal comes before the message literal.
    append.mailbox = "\xc3\xa9";
    append.size = 10;
    CHECK(wire(append) == "A1 APPEND {2}\r\n<+>\xc3\xa9 (\\Seen) {10}\r\n<+><file:/var/m:10>\r\n");
}

TEST_CASE("encode: flags are validated", "[command]") {
    for (const char* bad : {"\\", "", "two words", "(x)", "a(", "x)", "\\Se en", "\\*", "a]", "a%", "caf\xc3\xa9",
             "{3}", "\"q\"", "a\\b"}) {
        INFO("flag " << bad);
        CHECK(failure(cmd::UidStore{set("1"), {}, cmd::StoreMode::add, true, {bad}}) == ErrorCategory::bad_input);
        CHECK(failure(cmd::Append{"INBOX", {bad}, {}, "/m", 1}) == ErrorCategory::bad_input);
    }
    CHECK(failure(cmd::Create{"Sent", std::string("Sent")}) == ErrorCategory::bad_input);
    CHECK_NOTHROW(wire(cmd::UidStore{set("1"), {}, cmd::StoreMode::add, true, {"$MDNSent", "\\Answered", "NonJunk"}}));
}

TEST_CASE("encode: malformed commands are errors", "[command]") {
    CHECK(failure(cmd::UidFetch{SequenceSet{}, false, {"FLAGS"}, {}, false}) == ErrorCategory::internal);
    CHECK(failure(cmd::UidFetch{set("1"), false, {}, {}, false}) == ErrorCategory::internal);
    CHECK(failure(cmd::UidFetch{set("1"), false, {"FLAGS"}, {}, true}) == ErrorCategory::internal);
    for (const char* item : {"FLAGS UID", "BODY[", "BODY]", "BODY[[]]", "FL\rAGS", "(FLAGS)", "{5}"}) {
        INFO("fetch item " << item);
        CHECK(failure(cmd::UidFetch{set("1"), false, {item}, {}, false}) == ErrorCategory::internal);
    }
    CHECK(failure(cmd::UidFetch{set("1"), false, {"FLAGS"}, std::uint64_t{1} << 63, false}) == ErrorCategory::internal);
    CHECK(failure(cmd::UidStore{SequenceSet{}, {}, cmd::StoreMode::add, true, {"\\Seen"}}) == ErrorCategory::internal);
    CHECK(failure(cmd::UidExpunge{}) == ErrorCategory::internal);
    CHECK(failure(cmd::UidMove{SequenceSet{}, "x"}) == ErrorCategory::internal);
    CHECK(failure(cmd::UidCopy{SequenceSet{}, "x"}) == ErrorCategory::internal);
    CHECK(failure(cmd::Select{"INBOX", false, false, cmd::QresyncParams{0, 1, {}, {}}}) == ErrorCategory::internal);
    CHECK(failure(cmd::Select{"INBOX", false, false, cmd::QresyncParams{1, 1, SequenceSet{}, {}}}) ==
          ErrorCategory::internal);
    CHECK(failure(cmd::Enable{}) == ErrorCategory::internal);
    CHECK(failure(cmd::Enable{{"QRESYNC", "BAD ATOM"}}) == ErrorCategory::internal);
    CHECK(failure(cmd::Status{"INBOX", {}}) == ErrorCategory::internal);
    CHECK(failure(cmd::Status{"INBOX", {"MESSAGES)"}}) == ErrorCategory::internal);
    CHECK(failure(cmd::List{"", "*", false, {"UID NEXT"}}) == ErrorCategory::internal);
    CHECK(failure(cmd::UidSearch{{}, "", {}}) == ErrorCategory::internal);
    CHECK(failure(cmd::UidSearch{{}, "ALL\r\nA2 LOGOUT", {}}) == ErrorCategory::internal);
    CHECK(failure(cmd::UidSearch{{"ALL)"}, "ALL", {}}) == ErrorCategory::internal);
    CHECK(failure(cmd::Authenticate{"PLAIN", std::string("not base64!")}) == ErrorCategory::internal);
    CHECK(failure(cmd::Authenticate{"PLAIN", std::string("")}) == ErrorCategory::internal);
    CHECK(failure(cmd::Authenticate{"PL AIN", {}}) == ErrorCategory::internal);
    CHECK(failure(cmd::Id{{{std::string(31, 'n'), "v"}}}) == ErrorCategory::internal);
    CHECK(failure(cmd::Login{"u", std::string("a\0b", 3)}) == ErrorCategory::bad_input);
    CHECK(failure(cmd::Append{"INBOX", {}, std::string("2024-01-01T00:00:00Z"), "/m", 1}) == ErrorCategory::bad_input);
    CHECK(failure(cmd::Append{"INBOX", {}, std::string("17-Jly-1996 02:44:25 -0700"), "/m", 1}) ==
          ErrorCategory::bad_input);
    CHECK(failure(cmd::Append{"INBOX", {}, {}, "/m", 0}) == ErrorCategory::bad_input);
    CHECK(failure(cmd::Append{"INBOX", {}, {}, "", 5}) == ErrorCategory::internal);
}

TEST_CASE("encode: command lines are bounded by max_line", "[command]") {
    SequenceSet uids;
    for (std::uint32_t uid = 1; uid < 20000; uid += 2) uids.add(uid);  // 1,3,5,...: no ranges to compress
    EncoderOptions options;
    options.max_line = 8000;
    CHECK(failure(cmd::UidStore{uids, {}, cmd::StoreMode::add, true, {"\\Seen"}}, options) == ErrorCategory::internal);
    CHECK(failure(cmd::UidFetch{uids, false, {"FLAGS"}, {}, false}, options) == ErrorCategory::internal);

    // The engine's recipe: split with room for the rest of the line, and every piece encodes.
    const std::string prefix = "A1 UID STORE ";
    const std::string suffix = " +FLAGS.SILENT (\\Seen)\r\n";
    auto pieces = uids.split(options.max_line - prefix.size() - suffix.size());
    REQUIRE(pieces.size() > 1);
    SequenceSet sent;
    for (const auto& piece : pieces) {
        auto text = render(encode("A1", cmd::UidStore{piece, {}, cmd::StoreMode::add, true, {"\\Seen"}}, options));
        CHECK(text.size() <= options.max_line);
        CHECK(text == prefix + piece.to_string() + suffix);
        sent.add(piece);
    }
    CHECK(sent == uids);

    // Exactly at the limit passes, one byte over fails; the CRLF counts.
    const std::string line = "A1 LOGIN u " + std::string(20, 'p') + "\r\n";
    options.max_line = line.size();
    CHECK(wire(cmd::Login{"u", std::string(20, 'p')}, options) == line);
    options.max_line = line.size() - 1;
    CHECK(failure(cmd::Login{"u", std::string(20, 'p')}, options) == ErrorCategory::internal);

    // Literal data is not part of a line: a big literal on a short line is fine.
    options.max_line = 100;
    options.literal_plus = true;
    const std::string big(5000, '\n');
    CHECK(wire(cmd::Login{"u", big}, options) == "A1 LOGIN u {5000+}\r\n" + big + "\r\n");
}

TEST_CASE("describe: secrets hidden, rest readable", "[command]") {
    CHECK(describe(cmd::Login{"me@example.com", "hunter2"}) == "LOGIN me@example.com ***");
    CHECK(describe(cmd::Login{"me", "p\xc3\xa4ss with \"odd\" chars\r\n"}) == "LOGIN me ***");
    CHECK(describe(cmd::Authenticate{"PLAIN", std::string("AG1lAHNlY3JldA==")}) == "AUTHENTICATE PLAIN ***");
    CHECK(describe(cmd::Authenticate{"XOAUTH2", {}}) == "AUTHENTICATE XOAUTH2");
    CHECK(describe(cmd::UidStore{set("1:3"), std::uint64_t{5}, cmd::StoreMode::add, true, {"\\Seen"}}) ==
          "UID STORE 1:3 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\\Seen)");
    CHECK(describe(cmd::Select{"caf\xc3\xa9\r\n"}) == "SELECT \"caf\\xC3\\xA9\\x0D\\x0A\"");
    CHECK(describe(cmd::Append{"Sent", {"\\Seen"}, {}, "/tmp/m.eml", 310}) ==
          "APPEND Sent (\\Seen) {310} </tmp/m.eml>");
    CHECK(describe(cmd::Done{}) == "DONE");
    // describe never throws, even for a command encode refuses.
    CHECK(describe(cmd::UidExpunge{}) == "UID EXPUNGE <empty>");
    CHECK(describe(cmd::UidStore{set("1"), {}, cmd::StoreMode::add, true, {"bad flag"}}) ==
          "UID STORE 1 +FLAGS.SILENT (\"bad flag\")");
}

TEST_CASE("encode: NOTIFY SET and NONE (RFC 5465)", "[command][notify]") {
    using cmd::NotifyEvent;
    using cmd::NotifyFilter;
    const std::vector<NotifyEvent> message_events{NotifyEvent::message_new, NotifyEvent::message_expunge,
                                                  NotifyEvent::flag_change};
    // What watch sends.
    cmd::Notify watch;
    watch.groups = {{NotifyFilter::selected, {}, message_events},
                    {NotifyFilter::personal, {},
                     {NotifyEvent::message_new, NotifyEvent::message_expunge, NotifyEvent::flag_change,
                      NotifyEvent::mailbox_name}}};
    CHECK(wire(watch) == "A1 NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) "
                         "(personal (MessageNew MessageExpunge FlagChange MailboxName))\r\n");
    CHECK(describe(watch) == "NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) "
                             "(personal (MessageNew MessageExpunge FlagChange MailboxName))");

    CHECK(wire(cmd::Notify{}) == "A1 NOTIFY NONE\r\n");

    // STATUS, NONE for a group, every filter; mailbox names encoded as for SELECT (INBOX canonical,
    // quoted when not an atom, a literal for 8-bit), one alone or several in parentheses.
    cmd::Notify all;
    all.status = true;
    all.groups = {{NotifyFilter::selected_delayed, {}, {}},
                  {NotifyFilter::inboxes, {}, {NotifyEvent::message_new, NotifyEvent::message_expunge}},
                  {NotifyFilter::subscribed, {}, {NotifyEvent::subscription_change}},
                  {NotifyFilter::subtree, {"inbox"}, {NotifyEvent::mailbox_name}},
                  {NotifyFilter::mailboxes, {"Lists/Lemonade", "Sent Items", "&AOk-t&AOk-"}, message_events}};
    CHECK(wire(all) == "A1 NOTIFY SET STATUS (selected-delayed NONE) (inboxes (MessageNew MessageExpunge)) "
                       "(subscribed (SubscriptionChange)) (subtree INBOX (MailboxName)) "
                       "(mailboxes (Lists/Lemonade \"Sent Items\" &AOk-t&AOk-) "
                       "(MessageNew MessageExpunge FlagChange))\r\n");
    cmd::Notify eight_bit;
    eight_bit.groups = {{NotifyFilter::mailboxes, {"caf\xc3\xa9"}, {NotifyEvent::mailbox_name}}};
    CHECK(wire(eight_bit) == "A1 NOTIFY SET (mailboxes {5}\r\n<+>caf\xc3\xa9 (MailboxName))\r\n");
    CHECK(wire(eight_bit, with_literal_plus()) == "A1 NOTIFY SET (mailboxes {5+}\r\ncaf\xc3\xa9 (MailboxName))\r\n");
}

TEST_CASE("encode: NOTIFY that RFC 5465 forbids is refused", "[command][notify]") {
    using cmd::NotifyEvent;
    using cmd::NotifyFilter;
    const auto notify = [](std::vector<cmd::NotifyGroup> groups, bool status = false) {
        cmd::Notify command;
        command.status = status;
        command.groups = std::move(groups);
        return command;
    };
    const std::vector<NotifyEvent> both{NotifyEvent::message_new, NotifyEvent::message_expunge};
    // STATUS needs groups.
    CHECK(failure(notify({}, true)) == ErrorCategory::internal);
    // MessageNew and MessageExpunge go together; FlagChange needs both (§5).
    CHECK(failure(notify({{NotifyFilter::personal, {}, {NotifyEvent::message_new}}})) == ErrorCategory::internal);
    CHECK(failure(notify({{NotifyFilter::personal, {}, {NotifyEvent::message_expunge}}})) == ErrorCategory::internal);
    CHECK(failure(notify({{NotifyFilter::selected, {}, {NotifyEvent::flag_change}}})) == ErrorCategory::internal);
    // The selected mailbox takes message events only, and only one selected group (§6.1).
    CHECK(failure(notify({{NotifyFilter::selected, {}, {NotifyEvent::mailbox_name}}})) == ErrorCategory::internal);
    CHECK(failure(notify({{NotifyFilter::selected, {}, both}, {NotifyFilter::selected_delayed, {}, both}})) ==
          ErrorCategory::internal);
    // subtree and mailboxes name one or more mailboxes; the others none.
    CHECK(failure(notify({{NotifyFilter::subtree, {}, both}})) == ErrorCategory::internal);
    CHECK(failure(notify({{NotifyFilter::mailboxes, {}, both}})) == ErrorCategory::internal);
    CHECK(failure(notify({{NotifyFilter::personal, {"INBOX"}, both}})) == ErrorCategory::internal);
    // Bad user data in a name is bad input, as for every command.
    CHECK(failure(notify({{NotifyFilter::mailboxes, {std::string("a\0b", 3)}, both}})) == ErrorCategory::bad_input);
    // Still describable for the log.
    CHECK(describe(notify({{NotifyFilter::personal, {}, {NotifyEvent::message_new}}})) ==
          "NOTIFY SET (personal (MessageNew))");
}

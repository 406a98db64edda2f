// Known-answer vectors for the IMAP response codec. Every vector is also parsed split at every
// byte position and fed one byte at a time (run_all_splits), with identical results.
#include <catch2/catch.hpp>

#include "sync/imap/parser.hpp"
#include "tests/unit/parser_harness.hpp"

using namespace mailsync::imap;
using mailsync::ErrorCategory;
using test::run_all_splits;
using namespace std::string_literals;

namespace {

template <class T>
const T& only(const test::Outcome& outcome) {
    INFO("error: " << outcome.error_message);
    REQUIRE_FALSE(outcome.error);
    REQUIRE(outcome.typed.size() == 1);
    REQUIRE(std::holds_alternative<T>(outcome.typed[0]));
    return std::get<T>(outcome.typed[0]);
}

template <class T>
const T& only(std::string_view input) {
    static thread_local test::Outcome keep;
    keep = run_all_splits(input);
    return only<T>(keep);
}

template <class Code>
const Code& code_of(const StatusResponse& response) {
    REQUIRE(response.code);
    REQUIRE(std::holds_alternative<Code>(*response.code));
    return std::get<Code>(*response.code);
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("tagged status responses", "[parser]") {
    const auto& ok = only<StatusResponse>("a1 OK [READ-WRITE] Select completed (0.001 secs).\r\n");
    CHECK(ok.tag == "a1");
    CHECK(ok.status == Status::ok);
    code_of<code::ReadWrite>(ok);
    CHECK(ok.text == "Select completed (0.001 secs).");

    const auto& no = only<StatusResponse>("A0002 NO [TRYCREATE] Mailbox doesn't exist: Foo\r\n");
    CHECK(no.tag == "A0002");
    CHECK(no.status == Status::no);
    code_of<code::TryCreate>(no);

    const auto& bad = only<StatusResponse>("x.3 bad Error in IMAP command: Unknown command.\r\n");
    CHECK(bad.status == Status::bad);
    CHECK_FALSE(bad.code);
    CHECK(bad.text == "Error in IMAP command: Unknown command.");

    const auto& bare = only<StatusResponse>("t4 OK\r\n");
    CHECK(bare.tag == "t4");
    CHECK(bare.text.empty());
}

TEST_CASE("untagged status responses", "[parser]") {
    const auto& bye = only<StatusResponse>("* BYE Server shutting down.\r\n");
    CHECK_FALSE(bye.tag);
    CHECK(bye.status == Status::bye);
    CHECK(bye.text == "Server shutting down.");

    const auto& preauth = only<StatusResponse>("* PREAUTH [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n");
    CHECK(preauth.status == Status::preauth);
    CHECK(code_of<code::Capability>(preauth).capabilities == Strings{"IMAP4REV1", "IDLE"});

    const auto& alert = only<StatusResponse>("* NO [ALERT] Quota exceeded\r\n");
    CHECK(alert.status == Status::no);
    code_of<code::Alert>(alert);

    CHECK(only<StatusResponse>("* BAD Unknown\r\n").status == Status::bad);

    // Dovecot sends these without text.
    const auto& closed = only<StatusResponse>("* OK [CLOSED]\r\n");
    code_of<code::Closed>(closed);
    CHECK(closed.text.empty());
    CHECK(only<StatusResponse>("* OK\r\n").status == Status::ok);
}

TEST_CASE("response codes", "[parser]") {
    const auto& greeting = only<StatusResponse>(
        "* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n");
    CHECK(code_of<code::Capability>(greeting).capabilities ==
          Strings{"IMAP4REV1", "SASL-IR", "LITERAL+", "AUTH=PLAIN"});

    CHECK(code_of<code::PermanentFlags>(only<StatusResponse>(
              "* OK [PERMANENTFLAGS (\\Answered \\Deleted $Forwarded \\*)] Limited\r\n"))
              .flags == Strings{"\\Answered", "\\Deleted", "$Forwarded", "\\*"});
    CHECK(code_of<code::PermanentFlags>(only<StatusResponse>("* OK [PERMANENTFLAGS ()] x\r\n"))
              .flags.empty());
    CHECK(code_of<code::UidValidity>(only<StatusResponse>("* OK [UIDVALIDITY 4294967295] UIDs valid\r\n"))
              .value == 4294967295u);
    CHECK(code_of<code::UidNext>(only<StatusResponse>("* OK [UIDNEXT 4392] Predicted next UID\r\n"))
              .value == 4392);
    CHECK(code_of<code::Unseen>(only<StatusResponse>("* OK [UNSEEN 12] First unseen.\r\n")).seq == 12);
    CHECK(code_of<code::HighestModSeq>(
              only<StatusResponse>("* OK [HIGHESTMODSEQ 9223372036854775807] Highest\r\n"))
              .value == 9223372036854775807ull);
    code_of<code::NoModSeq>(only<StatusResponse>("* OK [NOMODSEQ] No permanent modsequences\r\n"));
    code_of<code::UidNotSticky>(only<StatusResponse>("A3 OK [UIDNOTSTICKY] done\r\n"));
    code_of<code::ReadOnly>(only<StatusResponse>("A3 OK [READ-ONLY] Examine completed\r\n"));
    code_of<code::Nonexistent>(only<StatusResponse>("A3 NO [NONEXISTENT] Unknown Mailbox: X\r\n"));

    const auto& append = code_of<code::AppendUid>(
        only<StatusResponse>("A003 OK [APPENDUID 38505 3955] APPEND completed\r\n"));
    CHECK(append.uidvalidity == 38505);
    CHECK(append.uids.to_string() == "3955");

    const auto& copy = code_of<code::CopyUid>(
        only<StatusResponse>("A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"));
    CHECK(copy.uidvalidity == 38505);
    CHECK(copy.source.to_string() == "304,319:320");
    CHECK(copy.destination.to_string() == "3956:3958");

    CHECK(code_of<code::Modified>(only<StatusResponse>("d105 OK [MODIFIED 7,9] Conditional STORE failed\r\n"))
              .set.to_string() == "7,9");

    const auto& unknown = code_of<code::Other>(
        only<StatusResponse>("a1 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported\r\n"));
    CHECK(unknown.name == "BADCHARSET");
    CHECK(unknown.arguments == "(UTF-8 US-ASCII)");
    const auto& bare_unknown = code_of<code::Other>(only<StatusResponse>("a1 NO [x-over-quota] Full\r\n"));
    CHECK(bare_unknown.name == "X-OVER-QUOTA");
    CHECK(bare_unknown.arguments.empty());
}

TEST_CASE("continuation requests", "[parser]") {
    CHECK(only<Continuation>("+ idling\r\n").text == "idling");
    CHECK(only<Continuation>("+ YmFzZTY0Kz0=\r\n").text == "YmFzZTY0Kz0=");
    CHECK(only<Continuation>("+\r\n").text.empty());
    CHECK(only<Continuation>("+ \r\n").text.empty());
}

TEST_CASE("capability and enabled data", "[parser]") {
    CHECK(only<CapabilityData>("* CAPABILITY IMAP4rev1 STARTTLS auth=plain Idle\r\n").capabilities ==
          Strings{"IMAP4REV1", "STARTTLS", "AUTH=PLAIN", "IDLE"});
    CHECK(only<EnabledData>("* ENABLED CONDSTORE QRESYNC\r\n").capabilities ==
          Strings{"CONDSTORE", "QRESYNC"});
    CHECK(only<EnabledData>("* ENABLED\r\n").capabilities.empty());
}

TEST_CASE("LIST and LSUB", "[parser]") {
    const auto& sent = only<ListData>("* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n");
    CHECK_FALSE(sent.lsub);
    CHECK(sent.attributes == Strings{"\\HASNOCHILDREN", "\\SENT"});
    CHECK(sent.delimiter == '/');
    CHECK(sent.mailbox == "Sent");

    const auto& flat = only<ListData>("* LIST (\\Noselect) NIL \"\"\r\n");
    CHECK_FALSE(flat.delimiter);
    CHECK(flat.mailbox.empty());

    const auto& escaped = only<ListData>("* LIST () \"\\\\\" \"Quoted \\\"name\\\" \\\\ x\"\r\n");
    CHECK(escaped.delimiter == '\\');
    CHECK(escaped.mailbox == "Quoted \"name\" \\ x");

    const auto& literal = only<ListData>("* LIST (\\HasChildren) \"/\" {7}\r\nFoo Bar\r\n");
    CHECK(literal.mailbox == "Foo Bar");

    const auto& extended =
        only<ListData>("* LIST (\\Subscribed) \"/\" \"Archive\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n");
    CHECK(extended.mailbox == "Archive");
    CHECK(extended.attributes == Strings{"\\SUBSCRIBED"});

    const auto& lsub = only<ListData>("* lsub () \".\" inbox\r\n");
    CHECK(lsub.lsub);
    CHECK(lsub.mailbox == "INBOX");
    CHECK(only<ListData>("* LIST () \"/\" &AMk-t&AOk-\r\n").mailbox == "&AMk-t&AOk-");
}

TEST_CASE("STATUS", "[parser]") {
    const auto& status = only<StatusData>(
        "* STATUS INBOX (MESSAGES 231 UIDNEXT 44292 UIDVALIDITY 1 UNSEEN 0 RECENT 2 "
        "HIGHESTMODSEQ 7011231777 SIZE 123456789012)\r\n");
    CHECK(status.mailbox == "INBOX");
    CHECK(status.messages == 231u);
    CHECK(status.uidnext == 44292u);
    CHECK(status.uidvalidity == 1u);
    CHECK(status.unseen == 0u);
    CHECK(status.recent == 2u);
    CHECK(status.highestmodseq == 7011231777ull);
    CHECK(status.size == 123456789012ull);

    const auto& partial =
        only<StatusData>("* STATUS \"Sent Items\" (DELETED 3 APPENDLIMIT NIL MESSAGES 2)\r\n");
    CHECK(partial.mailbox == "Sent Items");
    CHECK(partial.messages == 2u);
    CHECK_FALSE(partial.uidnext);
    CHECK_FALSE(partial.highestmodseq);
    CHECK(only<StatusData>("* STATUS Foo ()\r\n").mailbox == "Foo");
}

TEST_CASE("EXISTS, RECENT, EXPUNGE, FLAGS", "[parser]") {
    CHECK(only<ExistsData>("* 23 EXISTS\r\n").count == 23);
    CHECK(only<ExistsData>("* 0 exists\r\n").count == 0);
    CHECK(only<RecentData>("* 5 RECENT\r\n").count == 5);
    CHECK(only<ExpungeData>("* 44 EXPUNGE\r\n").seq == 44);
    CHECK(only<FlagsData>("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded NonJunk)\r\n")
              .flags == Strings{"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft",
                                "$Forwarded", "NonJunk"});
    CHECK(only<FlagsData>("* FLAGS ()\r\n").flags.empty());
}

TEST_CASE("VANISHED", "[parser]") {
    const auto& earlier = only<VanishedData>("* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n");
    CHECK(earlier.earlier);
    CHECK(earlier.uids.to_string() == "41,43:116,118,120:211,214:540");
    const auto& now = only<VanishedData>("* VANISHED 405,407,410,425\r\n");
    CHECK_FALSE(now.earlier);
    CHECK(now.uids.count() == 4);
    CHECK(only<VanishedData>("* vanished (earlier) 7\r\n").earlier);
}

TEST_CASE("FETCH of flags and metadata", "[parser]") {
    const auto& fetch = only<FetchData>(
        "* 12 FETCH (UID 4827313 FLAGS (\\Seen $Label1) MODSEQ (624140003) "
        "INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286)\r\n");
    CHECK(fetch.seq == 12);
    CHECK(fetch.uid == 4827313u);
    CHECK(fetch.flags == Strings{"\\Seen", "$Label1"});
    CHECK(fetch.modseq == 624140003ull);
    CHECK(fetch.internal_date == "17-Jul-1996 02:44:25 -0700");
    CHECK(fetch.rfc822_size == 4286u);
    CHECK_FALSE(fetch.envelope);
    CHECK(fetch.sections.empty());

    const auto& lower = only<FetchData>("* 1 fetch (uid 5 flags ())\r\n");
    CHECK(lower.uid == 5u);
    REQUIRE(lower.flags);
    CHECK(lower.flags->empty());
    CHECK_FALSE(lower.body_structure);

    const auto& skipped = only<FetchData>(
        "* 2 FETCH (X-GM-MSGID 1278455344230334865 X-GM-LABELS (\\Inbox \"a b\" {3}\r\nx y) "
        "BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL "
        "NIL NIL)(\"text\" \"html\" NIL NIL NIL \"7bit\" 5 1 NIL NIL NIL NIL) \"alternative\" "
        "(\"boundary\" \"b\") NIL NIL NIL) BODY (\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1) "
        "BINARY.SIZE[1] 30 UID 9)\r\n");
    CHECK(skipped.uid == 9u);
    CHECK(skipped.sections.empty());
    // BODYSTRUCTURE is kept as its wire text, for a message mirrored as headers only.
    REQUIRE(skipped.body_structure);
    CHECK(*skipped.body_structure ==
          "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL)(\"text\" \"html\" NIL NIL NIL "
          "\"7bit\" 5 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b\") NIL NIL NIL)");
}

TEST_CASE("FETCH ENVELOPE", "[parser]") {
    const auto& fetch = only<FetchData>(
        "* 12 FETCH (ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
        "\"IMAP4rev1 WG mtg summary and minutes\" "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((NIL NIL \"imap\" \"cac.washington.edu\")) "
        "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) "
        "NIL NIL \"<B27397-0100000@cac.washington.edu>\"))\r\n");
    REQUIRE(fetch.envelope);
    const Envelope& e = *fetch.envelope;
    CHECK(e.date == "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)");
    CHECK(e.subject == "IMAP4rev1 WG mtg summary and minutes");
    REQUIRE(e.from.size() == 1);
    CHECK(e.from[0].name == "Terry Gray");
    CHECK_FALSE(e.from[0].adl);
    CHECK(e.from[0].mailbox == "gray");
    CHECK(e.from[0].host == "cac.washington.edu");
    REQUIRE(e.cc.size() == 2);
    CHECK_FALSE(e.cc[0].name);
    CHECK(e.cc[1].mailbox == "KLENSIN");
    CHECK(e.bcc.empty());
    CHECK_FALSE(e.in_reply_to);
    CHECK(e.message_id == "<B27397-0100000@cac.washington.edu>");
}

TEST_CASE("NIL, \"NIL\" and \"\" are distinct", "[parser]") {
    const auto& fetch = only<FetchData>(
        "* 1 FETCH (ENVELOPE (NIL \"NIL\" NIL NIL NIL NIL NIL NIL \"\" {3}\r\nnil))\r\n");
    REQUIRE(fetch.envelope);
    CHECK_FALSE(fetch.envelope->date);
    CHECK(fetch.envelope->subject == "NIL");
    CHECK(fetch.envelope->from.empty());
    CHECK(fetch.envelope->in_reply_to == "");
    CHECK(fetch.envelope->message_id == "nil");
}

TEST_CASE("FETCH body sections kept in memory", "[parser]") {
    const std::string input =
        "* 3 FETCH (UID 77 BODY[HEADER.FIELDS (SUBJECT FROM)] {22}\r\nSubject: hi\r\nFrom: x\r\n "
        "BODY[]<0> \"quoted \\\"body\\\"\" BODY[1] NIL BINARY[2] ~{4}\r\n\x00\x01\r\n "
        "RFC822.HEADER {2}\r\n\r\n RFC822.TEXT \"\" RFC822 {0}\r\n)\r\n"s;
    const auto outcome = run_all_splits(input, false);
    const auto& fetch = only<FetchData>(outcome);
    CHECK(fetch.uid == 77u);
    REQUIRE(fetch.sections.size() == 7);
    CHECK(fetch.sections[0].item == "BODY");
    CHECK(fetch.sections[0].section == "HEADER.FIELDS (SUBJECT FROM)");
    CHECK(fetch.sections[0].data == "Subject: hi\r\nFrom: x\r\n");
    CHECK(fetch.sections[0].size == 22);
    CHECK_FALSE(fetch.sections[0].streamed);
    CHECK(fetch.sections[1].origin == 0u);
    CHECK(fetch.sections[1].data == "quoted \"body\"");
    CHECK(fetch.sections[2].nil);
    CHECK(fetch.sections[2].section == "1");
    CHECK(fetch.sections[3].item == "BINARY");
    CHECK(fetch.sections[3].data == std::string("\x00\x01\r\n", 4));
    CHECK(fetch.sections[4].item == "RFC822.HEADER");
    CHECK(fetch.sections[4].data == "\r\n");
    CHECK(fetch.sections[5].item == "RFC822.TEXT");
    CHECK(fetch.sections[5].data.empty());
    CHECK_FALSE(fetch.sections[5].nil);
    CHECK(fetch.sections[6].item == "RFC822");
    CHECK(fetch.sections[6].size == 0);
}

TEST_CASE("FETCH body literals stream to the sink", "[parser]") {
    const std::string input =
        "* 3 FETCH (UID 77 FLAGS (\\Seen) BODY[] {11}\r\nhello\r\nbody ENVELOPE (NIL {4}\r\nsubj "
        "NIL NIL NIL NIL NIL NIL NIL NIL) BINARY[1] ~{3}\r\n\x00\xff\n)\r\n"
        "* 4 FETCH (RFC822 {0}\r\n UID 78)\r\n"s;
    const auto outcome = run_all_splits(input, true);
    REQUIRE_FALSE(outcome.error);
    REQUIRE(outcome.typed.size() == 2);
    const auto& first = std::get<FetchData>(outcome.typed[0]);
    REQUIRE(first.sections.size() == 2);
    CHECK(first.sections[0].streamed);
    CHECK(first.sections[0].size == 11);
    CHECK(first.sections[0].data.empty());
    CHECK(first.sections[1].streamed);
    REQUIRE(first.envelope);
    CHECK(first.envelope->subject == "subj");  // an ordinary literal stays inline
    CHECK(outcome.sink_log ==
          "[seq=3 uid=77 BODY[] size=11 binary=false body=<hello\r\nbody>]"
          "[seq=3 uid=77 BINARY[1] size=3 binary=true body=<" + std::string("\x00\xff\n", 3) +
              ">][seq=4 uid=nil RFC822[] size=0 binary=false body=<>]");
}

TEST_CASE("SEARCH and ESEARCH", "[parser]") {
    CHECK(only<SearchData>("* SEARCH 2 3 6\r\n").numbers == std::vector<std::uint32_t>{2, 3, 6});
    CHECK(only<SearchData>("* SEARCH\r\n").numbers.empty());
    CHECK(only<SearchData>("* SEARCH \r\n").numbers.empty());
    const auto& modseq = only<SearchData>("* SEARCH 2 5 (MODSEQ 917162500)\r\n");
    CHECK(modseq.numbers == std::vector<std::uint32_t>{2, 5});
    CHECK(modseq.modseq == 917162500ull);

    const auto& esearch = only<ESearchData>(
        "* ESEARCH (TAG \"A282\") UID MIN 2 MAX 15 COUNT 5 ALL 2,10:15 MODSEQ 917162500\r\n");
    CHECK(esearch.tag == "A282");
    CHECK(esearch.uid);
    CHECK(esearch.min == 2u);
    CHECK(esearch.max == 15u);
    CHECK(esearch.count == 5u);
    REQUIRE(esearch.all);
    CHECK(esearch.all->to_string() == "2,10:15");
    CHECK(esearch.modseq == 917162500ull);

    const auto& empty = only<ESearchData>("* ESEARCH (TAG \"x1\") UID\r\n");
    CHECK(empty.uid);
    CHECK_FALSE(empty.count);
    const auto& count = only<ESearchData>("* ESEARCH COUNT 0 PARTIAL (1:10 NIL)\r\n");
    CHECK_FALSE(count.tag);
    CHECK_FALSE(count.uid);
    CHECK(count.count == 0u);
}

TEST_CASE("unknown untagged responses are kept as OtherData", "[parser]") {
    const auto& id = only<OtherData>("* ID (\"name\" \"Dovecot\")\r\n");
    CHECK(id.keyword == "ID");
    CHECK(id.line == "* ID (\"name\" \"Dovecot\")");
    const auto& numbered = only<OtherData>("* 5 XFOO bar\r\n");
    CHECK(numbered.keyword == "XFOO");
    const auto& with_literal = only<OtherData>("* NAMESPACE ((\"\" \"/\")) NIL (({5}\r\nUsers \"/\"))\r\n");
    CHECK(with_literal.keyword == "NAMESPACE");
    CHECK(with_literal.line == "* NAMESPACE ((\"\" \"/\")) NIL (({5} \"/\"))");
}

TEST_CASE("pipelined responses in one buffer", "[parser]") {
    const auto outcome = run_all_splits(
        "* 2 EXISTS\r\n* 1 FETCH (FLAGS (\\Seen))\r\n+ go\r\nA1 OK done\r\n* BYE bye\r\n");
    REQUIRE_FALSE(outcome.error);
    REQUIRE(outcome.typed.size() == 5);
    CHECK(std::holds_alternative<ExistsData>(outcome.typed[0]));
    CHECK(std::holds_alternative<FetchData>(outcome.typed[1]));
    CHECK(std::holds_alternative<Continuation>(outcome.typed[2]));
    CHECK(std::get<StatusResponse>(outcome.typed[3]).tag == "A1");
    CHECK(std::get<StatusResponse>(outcome.typed[4]).status == Status::bye);
}

// Decision documented in framer.hpp: a bare LF ends a line like CRLF.
TEST_CASE("bare LF line endings are tolerated", "[parser]") {
    const auto outcome = run_all_splits("* 3 EXISTS\n* LIST () \"/\" {3}\nabc\na1 OK x\n");
    REQUIRE_FALSE(outcome.error);
    REQUIRE(outcome.typed.size() == 3);
    CHECK(std::get<ListData>(outcome.typed[1]).mailbox == "abc");
}

TEST_CASE("number ranges", "[parser]") {
    CHECK(only<ExistsData>("* 4294967295 EXISTS\r\n").count == 4294967295u);
    CHECK(only<FetchData>("* 1 FETCH (MODSEQ (9223372036854775807))\r\n").modseq ==
          9223372036854775807ull);
    for (const char* input : {"* 4294967296 EXISTS\r\n",
                              "* 1 FETCH (UID 99999999999999999999999)\r\n",
                              "* 1 FETCH (MODSEQ (9223372036854775808))\r\n",
                              "* OK [HIGHESTMODSEQ 18446744073709551616] x\r\n"}) {
        INFO(input);
        const auto outcome = run_all_splits(input);
        CHECK(outcome.error == ErrorCategory::protocol);
        CHECK_THAT(outcome.error_message, Catch::Contains("out of range"));
    }
}

TEST_CASE("parse_internal_date", "[parser]") {
    CHECK(parse_internal_date("17-Jul-1996 02:44:25 -0700") == 837596665);
    CHECK(parse_internal_date(" 1-Jan-1970 00:00:00 +0000") == 0);
    CHECK(parse_internal_date("01-Jan-1970 01:00:00 +0100") == 0);
    CHECK(parse_internal_date("29-Feb-2024 23:59:59 +0000") == 1709251199);
    CHECK(parse_internal_date("31-dec-1969 23:59:59 +0000") == -1);
    CHECK_FALSE(parse_internal_date("29-Feb-2023 10:00:00 +0000"));
    CHECK_FALSE(parse_internal_date("17-Jux-1996 02:44:25 -0700"));
    CHECK_FALSE(parse_internal_date("17-Jul-1996 24:44:25 -0700"));
    CHECK_FALSE(parse_internal_date("17-Jul-1996 02:44:25 0700"));
    CHECK_FALSE(parse_internal_date("17-Jul-1996 02:44:25 -0760"));
    CHECK_FALSE(parse_internal_date("17-Jul-1996 02:44:25"));
    CHECK_FALSE(parse_internal_date(""));
}

TEST_CASE("NOTIFY (RFC 5465): notifications and its response codes", "[parser][notify]") {
    // The server stopped notifying (§5.8), or refused NOTIFY (§3.1).
    const auto& overflow = only<StatusResponse>("* OK [NOTIFICATIONOVERFLOW] ...A large number of changes\r\n");
    CHECK_FALSE(overflow.tag);
    CHECK(overflow.status == Status::ok);
    code_of<code::NotificationOverflow>(overflow);
    const auto& refused =
        only<StatusResponse>("m7 NO [NOTIFICATIONOVERFLOW] NOTIFY not supported for these mailboxes.\r\n");
    CHECK(refused.status == Status::no);
    code_of<code::NotificationOverflow>(refused);
    const auto& badevent = code_of<code::Other>(
        only<StatusResponse>("m7 NO [BADEVENT (MessageNew MessageExpunge FlagChange)] Unsupported NOTIFY events.\r\n"));
    CHECK(badevent.name == "BADEVENT");
    CHECK(badevent.arguments == "(MessageNew MessageExpunge FlagChange)");

    // STATUS of another mailbox as Dovecot sends it for a new message (QRESYNC enabled) and for a
    // flag change (HIGHESTMODSEQ alone).
    const auto& arrived = only<StatusData>("* STATUS Work (MESSAGES 3 UIDNEXT 4 UNSEEN 1 HIGHESTMODSEQ 12)\r\n");
    CHECK(arrived.mailbox == "Work");
    CHECK(arrived.messages == 3u);
    CHECK(arrived.uidnext == 4u);
    const auto& flagged = only<StatusData>("* STATUS \"Lists/Lemonade\" (HIGHESTMODSEQ 13)\r\n");
    CHECK(flagged.highestmodseq == 13u);
    CHECK_FALSE(flagged.messages);

    // LIST for MailboxName: created, deleted (\NonExistent), renamed (OLDNAME), no access.
    CHECK(only<ListData>("* LIST (\\HasNoChildren) \"/\" Projects\r\n").mailbox == "Projects");
    CHECK(only<ListData>("* LIST (\\NonExistent) \"/\" Gone\r\n").attributes == Strings{"\\NONEXISTENT"});
    const auto& renamed = only<ListData>("* LIST () \"/\" \"New Name\" (\"OLDNAME\" (\"Old Name\"))\r\n");
    CHECK(renamed.mailbox == "New Name");
    CHECK(only<ListData>("* LIST (\\NoAccess) \"/\" Shared\r\n").attributes == Strings{"\\NOACCESS"});
}

#!/usr/bin/env python3
"""Regenerates the seed corpora of fuzz_parser (tests/fuzz/corpus/parser/) and fuzz_session (below) from the recorded
Dovecot responses and the hand-written vectors below. Each file is 2 option bytes (chunk size,
flags: bit 0 small limits, bit 1 body sink) followed by the server's byte stream."""
import hashlib
import pathlib

here = pathlib.Path(__file__).resolve().parent
out = here / "corpus" / "parser"
out.mkdir(parents=True, exist_ok=True)

vectors = [
    b"a1 OK [READ-WRITE] Select completed.\r\n",
    b"* OK [CLOSED]\r\n* OK\r\n+\r\n+ idling\r\n",
    b"* OK [PERMANENTFLAGS (\\Answered \\Deleted $Forwarded \\*)] Limited\r\n",
    b"A003 OK [APPENDUID 38505 3955] APPEND completed\r\n",
    b"A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
    b"d105 OK [MODIFIED 7,9] Conditional STORE failed\r\n",
    b"a1 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported\r\n* NO [ALERT] Quota\r\n",
    b"* OK [HIGHESTMODSEQ 9223372036854775807] x\r\n* OK [NOMODSEQ] y\r\n",
    b"* LIST () \"\\\\\" \"Quoted \\\"name\\\" \\\\ x\"\r\n* LIST (\\Noselect) NIL \"\"\r\n",
    b"* LIST (\\HasChildren) \"/\" {7}\r\nFoo Bar\r\n",
    b"* LIST (\\Subscribed) \"/\" \"Archive\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
    b"* STATUS \"Sent Items\" (DELETED 3 APPENDLIMIT NIL MESSAGES 2 SIZE 123456789012)\r\n",
    b"* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n* VANISHED 405,407\r\n",
    b"* 12 FETCH (UID 4827313 FLAGS (\\Seen $Label1) MODSEQ (624140003) "
    b"INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286)\r\n",
    b"* 3 FETCH (UID 77 BODY[HEADER.FIELDS (SUBJECT FROM)] {22}\r\nSubject: hi\r\nFrom: x\r\n "
    b"BODY[]<0> \"quoted \\\"body\\\"\" BODY[1] NIL BINARY[2] ~{4}\r\n\x00\x01\r\n "
    b"RFC822.HEADER {2}\r\n\r\n RFC822.TEXT \"\" RFC822 {0}\r\n)\r\n",
    b"* 2 FETCH (X-GM-MSGID 1278455344230334865 X-GM-LABELS (\\Inbox \"a b\" {3}\r\nx y) "
    b"BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1)(\"text\" \"html\" NIL NIL NIL "
    b"\"7bit\" 5 1) \"alternative\") BINARY.SIZE[1] 30 UID 9)\r\n",
    b"* 1 FETCH (ENVELOPE (NIL \"NIL\" NIL NIL NIL NIL NIL NIL \"\" {3}\r\nnil))\r\n",
    b"* SEARCH 2 5 (MODSEQ 917162500)\r\n* SEARCH\r\n* SEARCH \r\n",
    b"* ESEARCH (TAG \"A282\") UID MIN 2 MAX 15 COUNT 5 ALL 2,10:15 MODSEQ 9\r\n",
    b"* ESEARCH COUNT 0 PARTIAL (1:10 NIL)\r\n",
    b"* NAMESPACE ((\"\" \"/\")) NIL (({5}\r\nUsers \"/\"))\r\n* 5 XFOO bar\r\n",
    b"* 3 EXISTS\n* LIST () \"/\" {3}\nabc\na1 OK x\n",
    b"* 1 FETCH (BODY[] {10}\r\nhello)\r\n* 2 EXISTS\r\n",
    b"* 1 FETCH (BODY[] {99999999999999999999}\r\n",
    b"* 1 FETCH (BODYSTRUCTURE " + b"(" * 300 + b"NIL" + b")" * 300 + b" UID 4)\r\n",
    b"* CAPABILITY IMAP4rev1 STARTTLS auth=plain Idle\r\n* ENABLED CONDSTORE QRESYNC\r\n",
    # NOTIFY (RFC 5465): notifications during IDLE, its response codes, Dovecot's free-text loss.
    b"+ idling\r\n* STATUS Work (MESSAGES 2 UIDNEXT 3 UNSEEN 2 HIGHESTMODSEQ 3)\r\n* STATUS Work (HIGHESTMODSEQ 4)\r\n"
    b"* LIST () \"/\" Projects/Beta\r\n* LIST (\\NonExistent) \"/\" Old (\"OLDNAME\" (\"Older\"))\r\n"
    b"* OK [NOTIFICATIONOVERFLOW] too many\r\n* NO NOTIFY error, some events may have got lost\r\n"
    b"m4 NO [BADEVENT (MessageNew MessageExpunge)] refused\r\nm5 NO [NOTIFICATIONOVERFLOW] later\r\n",
]
streams = [(p.name, p.read_bytes()) for p in sorted((here / "../data/dovecot").glob("*.imap"))]
streams += [(f"vector-{i}", v) for i, v in enumerate(vectors)]

for index, (_, stream) in enumerate(streams):
    options = bytes([(index * 37) % 256, index % 4])
    data = options + stream
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
print(f"{len(streams)} corpus files in {out}")

# ---- fuzz_session (tests/fuzz/corpus/session/): whole conversations, the client's tags m1, m2, ... ----
# Each file: byte 0 chunk size, byte 1 options (bit 0 small limits, bit 1 EOF at the end, bit 2
# pipeline depth 1), then what the server says to fuzz_session's fixed sequence of commands.
session_out = here / "corpus" / "session"
session_out.mkdir(parents=True, exist_ok=True)
CAPS = b"IMAP4rev1 LITERAL+ SASL-IR IDLE ENABLE QRESYNC CONDSTORE UIDPLUS AUTH=PLAIN"
select_reply = (b"* 3 EXISTS\r\n* FLAGS (\\Answered \\Seen $Label1)\r\n* OK [PERMANENTFLAGS (\\Seen \\*)] ok\r\n"
                b"* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 9] ok\r\n* OK [HIGHESTMODSEQ 120] ok\r\n"
                b"* VANISHED (EARLIER) 4:6\r\n* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (110))\r\n")
tail = (b"m6 OK noop\r\n* 2 FETCH (UID 3 MODSEQ (121) FLAGS (\\Seen))\r\nm5 OK [MODIFIED 3] conditional store\r\n"
        b"* ESEARCH (TAG \"m7\") UID ALL 1:3\r\nm7 OK searched\r\n"
        b"+ idling\r\n* 4 EXISTS\r\nm8 OK idle done\r\n* BYE logging out\r\nm9 OK bye\r\n")
conversations = [
    # QRESYNC, AUTHENTICATE PLAIN with SASL-IR
    b"* OK [CAPABILITY " + CAPS + b"] ready\r\n" + b"m1 OK [CAPABILITY " + CAPS + b"] in\r\n"
    + b"* ENABLED QRESYNC\r\nm2 OK enabled\r\n" + select_reply + b"m3 OK [READ-WRITE] selected\r\n"
    + b"* 1 FETCH (UID 1 MODSEQ (110) FLAGS () BODY[] {12}\r\nHello world!)\r\n* VANISHED 2\r\n"
    + b"* 3 FETCH (UID 8 BODY[] ~{3}\r\n\x00\x01\x02 FLAGS (\\Seen))\r\nm4 OK fetched\r\n" + tail,
    # LOGIN, no QRESYNC: tags shift by one (no ENABLE)
    b"* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\nm1 OK [CAPABILITY IMAP4rev1 IDLE CONDSTORE] in\r\n"
    + b"* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [NOMODSEQ] no modseqs\r\nm2 OK [READ-ONLY] examined\r\n"
    + b"* 1 FETCH (UID 4 FLAGS () BODY[] {0}\r\n)\r\n* 2 FETCH (UID 5 BODY[] NIL)\r\n* 1 EXPUNGE\r\nm3 OK\r\n"
    + b"m4 NO [MODIFIED 3] no\r\nm5 OK\r\n* SEARCH 1 2\r\nm6 BAD no esearch\r\n+ idling\r\n* OK Still here\r\n"
    + b"* 1 RECENT\r\nm7 OK\r\n* BYE\r\nm8 OK\r\n",
    # PREAUTH, CAPABILITY asked, ENABLE, a failing SELECT
    b"* PREAUTH ready\r\n* CAPABILITY IMAP4rev1 ENABLE QRESYNC IDLE\r\nm1 OK\r\n* ENABLED QRESYNC\r\nm2 OK\r\n"
    + b"m3 NO [NONEXISTENT] no such mailbox\r\n",
    # refused login
    b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n+ \r\nm1 NO [AUTHENTICATIONFAILED] bad\r\n",
    # BYE in the middle of the body FETCH, a body cut short
    b"* OK [CAPABILITY " + CAPS + b"] ready\r\n" + b"m1 OK in\r\n* CAPABILITY " + CAPS + b"\r\nm2 OK\r\n"
    + b"* ENABLED QRESYNC\r\nm3 OK\r\n" + select_reply + b"m4 OK selected\r\n"
    + b"* 1 FETCH (UID 1 BODY[] {100}\r\nshort",
    b"* OK [CAPABILITY " + CAPS + b"] ready\r\nm1 OK [CAPABILITY " + CAPS + b"] in\r\n"
    + b"* ENABLED QRESYNC\r\nm2 OK\r\n" + select_reply + b"m3 OK\r\n* 1 FETCH (UID 1 FLAGS ())\r\n* BYE shutting down\r\n",
    # STARTTLS-less server with continuation for a synchronizing literal, garbage and huge sizes
    b"* OK [CAPABILITY IMAP4rev1] x\r\n+ go\r\nm1 OK\r\n* CAPABILITY IMAP4rev1\r\nm2 OK\r\n* 1 FETCH (BODY[] {99999999999})\r\n",
    b"* OK [CAPABILITY " + CAPS + b"] ready\r\nm1 OK [CAPABILITY " + CAPS + b"] in\r\n* ENABLED QRESYNC\r\nm2 OK\r\n"
    + b"* 4294967295 EXISTS\r\n* VANISHED 1:4294967295\r\n* 0 EXPUNGE\r\nm3 OK\r\nm3 OK\r\n",
]
count = 0
for index, conversation in enumerate(conversations):
    for options in ([index % 8, 0], [1, 2], [97, 6], [13, 3]):
        data = bytes([options[0] % 256, options[1]]) + conversation
        (session_out / hashlib.sha1(data).hexdigest()).write_bytes(data)
        count += 1
print(f"{count} corpus files in {session_out}")

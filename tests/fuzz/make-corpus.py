#!/usr/bin/env python3
"""Regenerates the seed corpus of fuzz_parser (tests/fuzz/corpus/parser/) from the recorded
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
]
streams = [(p.name, p.read_bytes()) for p in sorted((here / "../data/dovecot").glob("*.imap"))]
streams += [(f"vector-{i}", v) for i, v in enumerate(vectors)]

for index, (_, stream) in enumerate(streams):
    options = bytes([(index * 37) % 256, index % 4])
    data = options + stream
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
print(f"{len(streams)} corpus files in {out}")

#!/usr/bin/env python3
"""server_truth.py [--dates] PORT USER PASSWORD: every message on the server, read without mailsync's code.
server_truth.py --serve: the same for each line "PORT<tab>USER<tab>PASSWORD" read on stdin, each
answer ended by a line "end" (or one line "error<tab>MESSAGE"): one interpreter for a whole campaign,
as starting Python costs more than reading a small account.

The fault campaign's view of the server must not come from mailsync's own session and parser
(a bug there would hide itself), so this reads it with Python's imaplib over plaintext loopback:
LIST, then per selectable mailbox EXAMINE and UID FETCH 1:* (UID FLAGS BODY.PEEK[]).

Output, one line each, tab-separated:
    mailbox NAME                    (every selectable mailbox, also an empty one)
    message NAME UID SHA256 FLAGS   (FLAGS sorted and comma-joined, \\Recent left out: it belongs to
                                     the session, not the message)
With --dates each message line ends in one more field: its INTERNALDATE as Unix seconds (restore's tests).
Exit 1 with a message on stderr if the server cannot be read.
"""
import hashlib
import imaplib
import re
import sys
import time

LIST_LINE = re.compile(rb'\((?P<attributes>[^)]*)\) (?:"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$')


def mailbox_names(imap):
    status, lines = imap.list('""', "*")
    if status != "OK":
        raise RuntimeError(f"LIST failed: {lines}")
    names = []
    for line in lines:
        if isinstance(line, tuple):  # the name as a literal
            attributes, name = LIST_LINE.match(line[0]).group("attributes"), line[1]
        else:
            match = LIST_LINE.match(line)
            if not match:
                raise RuntimeError(f"unexpected LIST line {line!r}")
            attributes, name = match.group("attributes"), match.group("name")
            if name.startswith(b'"'):
                name = re.sub(rb'\\(.)', rb"\1", name[1:-1])
        if b"\\noselect" not in attributes.lower():
            names.append(name.decode())
    return sorted(names)


def quoted(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def messages(imap, name):
    status, data = imap.select(quoted(name), readonly=True)
    if status != "OK":
        raise RuntimeError(f"EXAMINE {name} failed: {data}")
    if int(data[0]) == 0:
        return []
    status, data = imap.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[])")
    if status != "OK":
        raise RuntimeError(f"UID FETCH in {name} failed: {data}")
    # imaplib gives (text before the literal, literal) per message, then the text after it.
    found, text, body = [], b"", None

    def finish():
        if body is None:
            return
        uid = re.search(rb"\bUID (\d+)", text)
        flags = re.search(rb"\bFLAGS \(([^)]*)\)", text)
        if not uid or not flags:
            raise RuntimeError(f"FETCH response without UID or FLAGS in {name}: {text!r}")
        kept = sorted(f for f in flags.group(1).decode().split() if f != "\\Recent")
        date = imaplib.Internaldate2tuple(text)
        if date is None:
            raise RuntimeError(f"FETCH response without INTERNALDATE in {name}: {text!r}")
        found.append((int(uid.group(1)), hashlib.sha256(body).hexdigest(), ",".join(kept), int(time.mktime(date))))

    for item in data:
        if isinstance(item, tuple):
            finish()
            text, body = item[0], item[1]
        elif item is not None:
            text += item
    finish()
    return sorted(found)


def read_server(port, user, password, dates=False):
    imap = imaplib.IMAP4("127.0.0.1", port)
    imap.login(user, password)
    out = []
    for name in mailbox_names(imap):
        out.append(f"mailbox\t{name}")
        for uid, sha, flags, date in messages(imap, name):
            out.append(f"message\t{name}\t{uid}\t{sha}\t{flags}" + (f"\t{date}" if dates else ""))
    imap.logout()
    return out


def serve():
    for request in sys.stdin:
        port, user, password = request.rstrip("\n").split("\t")
        try:
            answer = read_server(int(port), user, password) + ["end"]
        except Exception as error:  # the caller reports it as the campaign's failure
            answer = [f"error\t{error!r}".replace("\n", " ")]
        sys.stdout.write("\n".join(answer) + "\n")
        sys.stdout.flush()


def main():
    if sys.argv[1:] == ["--serve"]:
        serve()
        return
    arguments = sys.argv[1:]
    dates = arguments[:1] == ["--dates"]
    if dates:
        arguments = arguments[1:]
    port, user, password = int(arguments[0]), arguments[1], arguments[2]
    sys.stdout.write("\n".join(read_server(port, user, password, dates)) + "\n")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # any failure to read is the campaign's failure, said plainly
        print(f"server_truth.py: {error}", file=sys.stderr)
        sys.exit(1)

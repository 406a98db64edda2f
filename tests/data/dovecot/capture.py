#!/usr/bin/env python3
"""Records a real Dovecot's responses for the codec's tests.

    capture.py HOST PORT USER PASSWORD OUT_DIR

Talks plain IMAP to a throwaway Dovecot on loopback (e.g. one started with
tests/integration/dovecot-fixture.sh), runs a session that exercises what the sync engine uses,
and writes the server's exact bytes for each step to OUT_DIR/NN-step.imap. The account's INBOX is
expected to be empty at the start; the session adds mail to it.
"""
import re
import socket
import sys

host, port, user, password, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
sock = socket.create_connection((host, port), timeout=10)
received = b""
tag_number = 0
step_number = 0


def read_until(pattern):
    global received
    while True:
        match = re.search(pattern, received, re.M)
        if match:
            data, received = received[: match.end()], received[match.end():]
            return data
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("connection closed")
        received += chunk


def save(name, data):
    global step_number
    step_number += 1
    with open(f"{out_dir}/{step_number:02d}-{name}.imap", "wb") as f:
        f.write(data)


def command(name, text, literal=None):
    global tag_number
    tag_number += 1
    tag = f"a{tag_number}".encode()
    if literal is None:
        sock.sendall(tag + b" " + text + b"\r\n")
    else:  # synchronising literal: wait for "+"
        sock.sendall(tag + b" " + text + b" {%d}\r\n" % len(literal))
        continuation = read_until(rb"^\+ [^\r\n]*\r\n")
        sock.sendall(literal + b"\r\n")
        data = read_until(rb"^" + tag + rb" (OK|NO|BAD)[^\r\n]*\r\n")
        save(name, continuation + data)
        return data
    data = read_until(rb"^" + tag + rb" (OK|NO|BAD)[^\r\n]*\r\n")
    save(name, data)
    return data


def message(number, subject):
    return (
        f"From: \"Alice Example\" <alice@example.org>\r\n"
        f"To: bob@example.net, \"Carol \\\"C\\\" Doe\" <carol@example.com>\r\n"
        f"Cc: undisclosed-recipients:;\r\n"
        f"Subject: {subject}\r\n"
        f"Date: Mon, 2 Jan 2023 10:0{number}:00 +0100\r\n"
        f"Message-ID: <msg{number}@example.org>\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n"
        f"\r\n"
        f"Body of message {number}.\r\nSecond line: {{5}} is not a literal here.\r\n"
    ).encode()


save("greeting", read_until(rb"^\* OK[^\r\n]*\r\n"))
command("capability", b"CAPABILITY")
command("login", b"LOGIN %s \"%s\"" % (user.encode(), password.encode()))
command("enable", b"ENABLE QRESYNC")
command("create", b"CREATE Archive")
command("create-special", b"CREATE \"Sent Items\" (USE (\\Sent))")
for number, subject in enumerate(["Hello", "=?utf-8?q?Gr=C3=BC=C3=9Fe?=", "Third \"quoted\""], 1):
    command(f"append-{number}", b"APPEND INBOX (\\Seen $Label1) \"02-Jan-2023 10:00:00 +0100\"",
            message(number, subject))
command("list-status", b"LIST \"\" \"*\" RETURN (SPECIAL-USE SUBSCRIBED CHILDREN STATUS "
        b"(MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE))")
status = command("status", b"STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT HIGHESTMODSEQ)")
uidvalidity = re.search(rb"UIDVALIDITY (\d+)", status).group(1)
modseq = re.search(rb"HIGHESTMODSEQ (\d+)", status).group(1)
command("select", b"SELECT INBOX (CONDSTORE)")
command("store", b"UID STORE 1 +FLAGS (\\Flagged)")
command("store-unchanged", b"UID STORE 1,2 (UNCHANGEDSINCE 1) +FLAGS (\\Answered)")
command("copy", b"UID COPY 1:2 Archive")
command("store-deleted", b"UID STORE 2 +FLAGS.SILENT (\\Deleted)")
command("expunge", b"UID EXPUNGE 2")
command("close", b"UNSELECT")
command("select-qresync", b"SELECT INBOX (QRESYNC (%s %s 1:10))" % (uidvalidity, modseq))
command("fetch", b"UID FETCH 1:* (UID FLAGS MODSEQ INTERNALDATE RFC822.SIZE ENVELOPE BODY.PEEK[])")
command("fetch-header", b"FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] BODY.PEEK[TEXT]<0.10> BODYSTRUCTURE)")
command("fetch-binary", b"FETCH 2 (BINARY.PEEK[1] BINARY.SIZE[1] RFC822.HEADER)")
command("search", b"UID SEARCH MODSEQ 1")
command("esearch", b"UID SEARCH RETURN (MIN MAX COUNT ALL) ALL")
command("idle-noop", b"NOOP")
command("namespace", b"NAMESPACE")
command("bad", b"FROBNICATE")
command("logout", b"LOGOUT")
sock.close()

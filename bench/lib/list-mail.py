#!/usr/bin/python3
"""Mailing-list-like plain text, the text-heavy account of the benchmark (issue 15).

    list-mail.py --count N --seed S --out DIR

Threads of 2-12 messages on a development list: each reply quotes what it answers ("> ", up to
200 lines) above its own 10-120 lines; one message in four carries a patch (a unified diff of
40-400 lines); list and transport headers (Received, List-*, a DKIM signature) as real list mail
has them. About 11 KB a message, text/plain, and compressible as such mail is (deflate with a
flush after each message, as over IMAP: about a seventh; the vocabulary is small). Dated 20 minutes apart from 2024-01-01, also the file's mtime (scripts/load-mail.sh makes
it the INTERNALDATE). The same arguments give the same bytes.
"""
import base64
import datetime as dt
import importlib.util
import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))
import eml_files  # noqa: E402

spec = importlib.util.spec_from_file_location(
    "generate_mail", os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "generate-mail.py"))
vocabulary = importlib.util.module_from_spec(spec)
spec.loader.exec_module(vocabulary)

CODE = ["if (", "return ", "for (auto& ", "const std::string ", "std::size_t ", "throw Error(", "} else {",
        "auto it = ", "static_cast<int>(", "session.send(", "store.write(", "// ", "#include \"", "void ",
        "CHECK(", "REQUIRE(", "fmt::format(\"{}\", ", "std::vector<", "break;", "continue;"]
NAMES = ["pull", "push", "store", "session", "parser", "mailbox", "message", "flags", "queue", "view",
         "index", "record", "body", "hash", "batch", "limit", "deadline", "buffer", "reply", "tag"]


def sentence(rng):
    words = [rng.choice(vocabulary.WORDS) for _ in range(rng.randint(6, 16))]
    return " ".join(words).capitalize() + "."


def paragraph_lines(rng, count):
    text, lines = " ".join(sentence(rng) for _ in range(count)), []
    line = ""
    for word in text.split():
        if len(line) + len(word) + 1 > 72:
            lines.append(line)
            line = word
        else:
            line = (line + " " + word).strip()
    return lines + ([line] if line else [])


def patch_lines(rng):
    path = f"src/{rng.choice(NAMES)}/{rng.choice(NAMES)}_{rng.choice(NAMES)}.cpp"
    lines = [f"diff --git a/{path} b/{path}", f"--- a/{path}", f"+++ b/{path}"]
    for _ in range(rng.randint(2, 12)):
        start = rng.randint(1, 900)
        lines.append(f"@@ -{start},20 +{start},22 @@ {rng.choice(CODE)}{rng.choice(NAMES)}()")
        for _ in range(rng.randint(15, 35)):
            mark = rng.choices([" ", "-", "+"], [6, 1, 1])[0]
            code = "    " * rng.randint(0, 3) + rng.choice(CODE) + rng.choice(NAMES) + "_" + rng.choice(NAMES) + ";"
            lines.append(mark + code)
    return lines


def message(i, rng, when, thread, parent_body):
    def person():
        first, last = rng.choice(vocabulary.FIRST), rng.choice(vocabulary.LAST)
        return f"{first} {last}", f"{first.lower()}.{rng.randint(1, 90)}@example.org"
    name, address = person()
    subject = ("Re: " if parent_body else "") + f"[dev] [PATCH v{rng.randint(1, 4)}] {rng.choice(NAMES)}: " + \
        " ".join(rng.choice(vocabulary.WORDS) for _ in range(rng.randint(3, 8)))
    date = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
    dkim = base64.b64encode(rng.randbytes(128)).decode()
    headers = [f"Return-Path: <dev-bounces+me=example.org@lists.example.org>"]
    for hop in range(3):
        headers += [f"Received: from mx{hop}.lists.example.org (mx{hop}.lists.example.org [192.0.2.{10 + hop}])",
                    f"\tby mail.example.org (Postfix) with ESMTPS id {rng.randrange(16 ** 10):010X}",
                    f"\tfor <me@example.org>; {date}"]
    headers += [f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=list;",
                f"\tb={dkim}",
                f"From: {name} <{address}>", "To: dev@lists.example.org", f"Subject: {subject}",
                f"Message-ID: <{i}.{thread}@lists.example.org>", f"Date: {date}",
                "List-Id: Development of the project <dev.lists.example.org>",
                "List-Unsubscribe: <https://lists.example.org/mailman/options/dev>, <mailto:dev-request@lists.example.org?subject=unsubscribe>",
                "List-Archive: <https://lists.example.org/pipermail/dev/>",
                "List-Post: <mailto:dev@lists.example.org>",
                "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    body = []
    if parent_body:
        body.append(f"On {date}, {person()[0]} wrote:")
        body += [("> " + line).rstrip() for line in parent_body[:200]]
        body.append("")
    for _ in range(rng.randint(2, 8)):
        body += paragraph_lines(rng, rng.randint(3, 8)) + [""]
    if rng.random() < 0.25:
        body += patch_lines(rng) + [""]
    body += ["-- ", f"{name}", "", "_______________________________________________",
             "dev mailing list", "dev@lists.example.org", "https://lists.example.org/mailman/listinfo/dev"]
    return ("\r\n".join(headers + [""] + body) + "\r\n").encode("utf-8"), body


class Threads:
    """Messages in order: a thread of 2-12 messages, each answering the one before, then the next."""

    def __init__(self):
        self.rng, self.thread, self.left, self.parent = None, 0, 0, None

    def message(self, i, seed, when):
        if self.rng is None:
            self.rng = random.Random(seed)
        if self.left == 0:
            self.thread, self.left, self.parent = self.thread + 1, self.rng.randint(2, 12), None
        data, self.parent = message(i, self.rng, when, self.thread, self.parent)
        self.left -= 1
        return data


def main():
    eml_files.write_all(__doc__, dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), 1200, Threads().message)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Many small text messages, fast: for the search benchmark's 100 000-message account.

    small-mail.py --count N --seed S --out DIR

Single text/plain UTF-8 messages of 0.5-3 KB (40-400 words of scripts/generate-mail.py's vocabulary,
with its non-ASCII words and names), dated half an hour apart from 2021-01-01 (also the file's
mtime, which scripts/load-mail.sh makes the INTERNALDATE). No attachments: the worst case for the
index's size relative to the mail's. The same arguments give the same bytes.
"""
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


def message(i, rng, when):
    def name():
        return f"{rng.choice(vocabulary.FIRST)} {rng.choice(vocabulary.LAST)}"
    words = [rng.choice(vocabulary.UNICODE_WORDS) if rng.random() < 0.02 else rng.choice(vocabulary.WORDS)
             for _ in range(rng.randint(40, 400))]
    lines = [" ".join(words[k:k + 12]) for k in range(0, len(words), 12)]
    subject = " ".join(rng.choice(vocabulary.WORDS) for _ in range(rng.randint(2, 7)))
    headers = [f"From: {name()} <user{rng.randint(1, 500)}@example.org>",
               f"To: {name()} <me@example.org>",
               f"Subject: {subject}",
               f"Message-ID: <{i}.small@bench.mailsync.test>",
               f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}",
               "MIME-Version: 1.0",
               "Content-Type: text/plain; charset=utf-8",
               "Content-Transfer-Encoding: 8bit"]
    return ("\r\n".join(headers + [""] + lines) + "\r\n").encode("utf-8")


def main():
    eml_files.write_all(__doc__, dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc), 1800,
                        lambda i, seed, when: message(i, random.Random(f"{seed}:{i}"), when))


if __name__ == "__main__":
    main()

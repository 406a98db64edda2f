#!/usr/bin/python3
"""Generate realistic RFC 5322 messages, deterministically from a seed.

    generate-mail.py --count N --seed S --out DIR [--attachments-percent P] [--max-attachment-mb M]

Writes DIR/000001.eml ... one message per file, CRLF line endings, each with a unique Message-ID,
a Date (about half an hour apart from --start-date on, in order; also the file's mtime), From/To/Cc/Subject that sometimes carry
non-ASCII names as RFC 2047 encoded words, and bodies of several shapes: text/plain (7bit or
quoted-printable UTF-8), multipart/alternative (text + HTML), and multipart/mixed with base64
attachments. Most messages are 2-50 KB; with attachments some reach several megabytes (at most
--max-attachment-mb per attachment). The same arguments always give the same bytes.

Also prints a one-line summary (count, total size, min/median/max) to stderr.
Load the result into the test Dovecot with scripts/load-mail.sh.
"""
import argparse
import base64
import datetime as dt
import os
import random
import sys

FIRST = ["Alice", "Bob", "Carol", "David", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
         "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter",
         "Zoë", "José", "Søren", "Françoise", "Jürgen", "Małgorzata", "Ærøskøbing", "Łukasz",
         "Дмитрий", "Анна", "山田", "佐藤", "김민준", "Ελένη", "محمد", "Renée", "Núria"]
LAST = ["Smith", "Jones", "Müller", "García", "Dubois", "Rossi", "Novák", "Kowalski", "Østergaard",
        "Nguyễn", "Иванов", "太郎", "花子", "Papadopoulos", "O'Brien", "van der Berg", "Šimić"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.co.uk", "lists.example.edu",
           "münchen.example", "corp.example"]
WORDS = ("the of and to in is that for it as was with be by on not he this are or his from at "
         "which but have an they you were her she there been one all we their has would when if "
         "more no out so said what up its about into than them can only other new some time could "
         "these two may first then do any like my now over such our man me even most made after "
         "also did many before must through back years where much your way well down should because "
         "each just those people how too little state good very make world still own see men work "
         "long get here between both life being under never day same another know while last might "
         "us great old year off come since against go came right used take three meeting report "
         "budget release server invoice schedule draft review quarterly deadline project update "
         "synchronisation mailbox offline laptop backup archive conference travel lunch proposal").split()
UNICODE_WORDS = ["Grüße", "café", "naïve", "résumé", "Ångström", "smørrebrød", "Straße", "über",
                 "déjà vu", "piñata", "日本語", "会議", "Привет", "встреча", "Καλημέρα", "🎉", "✓", "€100"]
SUBJECT_PREFIX = ["", "", "", "", "Re: ", "Re: ", "Fwd: ", "RE: ", "AW: ", "[list] ", "Re: Re: "]
ATTACHMENTS = [("report.pdf", "application/pdf"), ("photo.jpg", "image/jpeg"),
               ("scan.png", "image/png"), ("budget.xlsx",
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
               ("notes.txt", "text/plain"), ("archive.zip", "application/zip"),
               ("Präsentation.pptx",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
               ("invitation.ics", "text/calendar")]


def is_ascii(s):
    return all(ord(c) < 128 for c in s)


def encoded_word(s, rng):
    """RFC 2047: B or Q encoding of UTF-8 text, split into words of at most 75 characters."""
    if is_ascii(s):
        return s
    out, chunk = [], ""
    for ch in s:  # never split a character's bytes across encoded words
        if len((chunk + ch).encode()) > 39:
            out.append(chunk)
            chunk = ""
        chunk += ch
    out.append(chunk)
    if rng.random() < 0.5:
        return " ".join("=?UTF-8?B?" + base64.b64encode(c.encode()).decode() + "?=" for c in out)
    words = []
    for c in out:
        q = ""
        for b in c.encode():
            if chr(b).isalnum() and b < 128:
                q += chr(b)
            elif b == 0x20:
                q += "_"
            else:
                q += "=%02X" % b
        words.append("=?UTF-8?Q?" + q + "?=")
    return " ".join(words)


def address(rng):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    f = "".join(c for c in first.lower() if c.isascii() and c.isalnum())[:1] or "x"
    l = "".join(c for c in last.lower() if c.isascii() and c.isalnum()) or "user%d" % rng.randrange(1000)
    local = f + "." + l
    domain = rng.choice(DOMAINS)
    if not domain.isascii():
        domain = domain.encode("idna").decode()
    name = f"{first} {last}"
    if rng.random() < 0.1:
        return f"{local}@{domain}"
    if is_ascii(name):
        if "'" in name or "." in name:
            name = '"' + name + '"'
        return f"{name} <{local}@{domain}>"
    return f"{encoded_word(name, rng)} <{local}@{domain}>"


def sentence(rng, unicode_ok=True):
    n = rng.randint(4, 18)
    ws = [rng.choice(WORDS) for _ in range(n)]
    if unicode_ok and rng.random() < 0.15:
        ws[rng.randrange(n)] = rng.choice(UNICODE_WORDS)
    s = " ".join(ws)
    return s[0].upper() + s[1:] + rng.choice([".", ".", ".", "?", "!"])


def paragraph_text(rng, target, unicode_ok=True):
    """Plain text of about `target` bytes, wrapped at 72 columns."""
    lines, size, line = [], 0, ""
    while size < target:
        for w in sentence(rng, unicode_ok).split(" "):
            if len(line) + len(w) + 1 > 72:
                lines.append(line)
                size += len(line.encode()) + 2
                line = ""
            line = (line + " " + w) if line else w
        if rng.random() < 0.25:
            lines.append(line)
            lines.append("")
            size += len(line.encode()) + 4
            line = ""
    if line:
        lines.append(line)
    return lines


def quoted_printable(lines):
    out = []
    for line in lines:
        if line.isascii() and "=" not in line and not line.endswith(" ") and len(line) <= 76:
            out.append(line)
            continue
        enc = ""
        for ch in line:
            for b in ch.encode():
                if (33 <= b <= 126 and b != 61) or b == 32:
                    enc += chr(b)
                else:
                    enc += "=%02X" % b
        if enc.endswith(" "):
            enc = enc[:-1] + "=20"
        while len(enc) > 76:  # soft line breaks, never inside an =XX escape
            cut = 75
            while enc[cut - 1] == "=" or enc[cut - 2] == "=":
                cut -= 1
            out.append(enc[:cut] + "=")
            enc = enc[cut:]
        out.append(enc)
    return out


def text_part(rng, target):
    lines = paragraph_text(rng, target)
    if all(is_ascii(l) for l in lines):
        return ["Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit", ""] + lines
    return ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable",
            ""] + quoted_printable(lines)


def html_part(rng, lines_text):
    body = ["<html><head><meta charset=\"UTF-8\"></head><body>"]
    for l in lines_text:
        body.append("<p>" + l.replace("&", "&amp;").replace("<", "&lt;") + "</p>" if l else "<br>")
    body.append("</body></html>")
    return ["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable",
            ""] + quoted_printable(body)


def attachment_size(rng, max_mb):
    r = rng.random()
    if r < 0.85:
        size = int(rng.lognormvariate(10.5, 1.0))       # median ~36 KB
    else:
        size = int(rng.uniform(1.0, 1.0 + 3 * rng.random()) * 1024 * 1024)  # 1-4 MB
    return max(200, min(size, int(max_mb * 1024 * 1024)))


def attachment_part(rng, max_mb):
    name, ctype = rng.choice(ATTACHMENTS)
    size = attachment_size(rng, max_mb)
    if ctype.startswith("text/"):
        data = "\r\n".join(paragraph_text(rng, size, unicode_ok=False)).encode()
    else:
        data = rng.randbytes(size)
    enc = base64.b64encode(data).decode()
    fname = name if is_ascii(name) else None
    lines = [f"Content-Type: {ctype}; name=\"{fname or encoded_word(name, rng)}\""]
    if fname:
        lines.append(f"Content-Disposition: attachment; filename=\"{fname}\"")
    else:
        lines.append("Content-Disposition: attachment;")
        lines.append(" filename*=UTF-8''" + "".join(
            c if c.isascii() and c.isalnum() or c in ".-_" else "".join("%%%02X" % b for b in c.encode())
            for c in name))
    lines += ["Content-Transfer-Encoding: base64", ""]
    lines += [enc[i:i + 76] for i in range(0, len(enc), 76)]
    return lines


def boundary(rng):
    return "=_" + "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(24))


def multipart(subtype, parts, rng):
    b = boundary(rng)
    lines = [f"Content-Type: multipart/{subtype}; boundary=\"{b}\"", "",
             "This is a multi-part message in MIME format.", ""]
    for p in parts:
        lines.append("--" + b)
        lines += p
        lines.append("")
    lines.append("--" + b + "--")
    return lines


def message(i, rng, args, date):
    text_size = int(min(max(rng.lognormvariate(8.3, 0.9), 300), 45000))  # median ~4 KB
    with_attachment = rng.random() * 100 < args.attachments_percent
    shape = rng.random()
    if with_attachment:
        body_parts = [text_part(rng, text_size)]
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            body_parts.append(attachment_part(rng, args.max_attachment_mb))
        body = multipart("mixed", body_parts, rng)
    elif shape < 0.35:
        lines = paragraph_text(rng, text_size // 2)
        plain = (["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable", ""]
                 + quoted_printable(lines))
        body = multipart("alternative", [plain, html_part(rng, lines)], rng)
    else:
        body = text_part(rng, text_size)

    subject = rng.choice(SUBJECT_PREFIX) + " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
    if rng.random() < 0.2:
        subject += " " + rng.choice(UNICODE_WORDS)
    subject = subject[0].upper() + subject[1:]
    headers = [
        "Return-Path: <bounce-%d@example.net>" % i,
        "Received: from mx.example.net (mx.example.net [192.0.2.%d])" % (i % 250 + 1),
        "\tby imap.example.com with ESMTPS id %08x;" % rng.getrandbits(32),
        "\t" + date.strftime("%a, %d %b %Y %H:%M:%S +0000"),
        "Date: " + date.strftime("%a, %d %b %Y %H:%M:%S +0000"),
        "From: " + address(rng),
        "To: " + ", ".join(address(rng) for _ in range(rng.choice([1, 1, 1, 2, 3]))),
    ]
    if rng.random() < 0.25:
        headers.append("Cc: " + address(rng))
    headers += [
        "Subject: " + encoded_word(subject, rng),
        f"Message-ID: <{args.seed}.{i}.{rng.getrandbits(48):012x}@generate-mail.example>",
    ]
    if subject.startswith(("Re:", "RE:", "AW:")):
        ref = f"<{args.seed}.{max(1, i - rng.randint(1, 50))}.ref@generate-mail.example>"
        headers += ["In-Reply-To: " + ref, "References: " + ref]
    headers += ["MIME-Version: 1.0", "X-Generator: mailsync generate-mail.py"]
    lines = headers + body
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--attachments-percent", type=float, default=10.0)
    ap.add_argument("--max-attachment-mb", type=float, default=4.0)
    ap.add_argument("--start-date", default="2021-01-01",
                    help="message i is dated about i half-hours after this day (UTC)")
    args = ap.parse_args()
    if args.count < 0 or not 0 <= args.attachments_percent <= 100 or args.max_attachment_mb <= 0:
        ap.error("bad --count, --attachments-percent or --max-attachment-mb")
    os.makedirs(args.out, exist_ok=True)
    start = dt.datetime.fromisoformat(args.start_date).replace(tzinfo=dt.timezone.utc)
    width = max(6, len(str(args.count)))
    sizes = []
    for i in range(1, args.count + 1):
        rng = random.Random(f"{args.seed}:{i}")   # each message independent of the others
        # Dates increase with i (as in a real mailbox), with jitter; message i does not depend on
        # --count, so a larger set extends a smaller one.
        t = start + dt.timedelta(seconds=int(1800 * (i - rng.random())))
        data = message(i, rng, args, t)
        path = os.path.join(args.out, f"{i:0{width}d}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.replace(path + ".tmp", path)
        ts = t.timestamp()
        os.utime(path, (ts, ts))
        sizes.append(len(data))
    if sizes:
        s = sorted(sizes)
        print(f"generate-mail: {len(s)} messages, {sum(s) / 1e6:.1f} MB, min {s[0]} B, "
              f"median {s[len(s) // 2]} B, max {s[-1]} B -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

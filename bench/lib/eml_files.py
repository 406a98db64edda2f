"""Shared by the bench's mail generators: their command line and the files they write.

    write_all(description, start, step_seconds, make)

parses `--count N --seed S --out DIR` and writes make(i, seed, when) (the bytes of message i, dated
`when`) to DIR/<i>.eml for i = 1..N, each file's mtime `when` (scripts/load-mail.sh makes it the
INTERNALDATE); message i is dated start + i × step_seconds.
"""
import argparse
import datetime as dt
import os


def write_all(description, start, step_seconds, make):
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    width = max(6, len(str(args.count)))
    for i in range(1, args.count + 1):
        when = start + dt.timedelta(seconds=step_seconds * i)
        path = os.path.join(args.out, f"{i:0{width}d}.eml")
        with open(path, "wb") as f:
            f.write(make(i, args.seed, when))
        os.utime(path, (when.timestamp(), when.timestamp()))

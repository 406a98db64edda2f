#!/usr/bin/python3
"""Writes N small messages straight into a Maildir folder of the bench Dovecot (bench/scale.sh).

    fill-maildir.py --count N --seed S --maildir DIR [--owner UID:GID]

The messages of bench/lib/small-mail.py (0.5-3 KB text/plain, message i the same bytes for the same
seed), but no copy in between: at a million messages a cache of .eml files and a second copy into
the Maildir would double the disk and the inodes. Each file is written to DIR/tmp/ and renamed into
DIR/cur/ under a name unique to this run (Maildir's time.MiPpid.host), with its flags in the name
(~75% \\Seen, ~5% \\Flagged, by message number) and its mtime the Date header, which Dovecot takes
as the INTERNALDATE. Dovecot sees them at its next look at the folder (bench/scale.sh asks it with
`doveadm mailbox status`, which assigns the UIDs in one go). Prints the number written.
"""
import argparse
import datetime as dt
import importlib.util
import os
import random
import socket

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("small_mail", os.path.join(here, "small-mail.py"))
small_mail = importlib.util.module_from_spec(spec)
spec.loader.exec_module(small_mail)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--owner", default="", help="UID:GID to chown the files to (when run as root)")
    args = ap.parse_args()
    uid, gid = (int(x) for x in args.owner.split(":")) if args.owner else (-1, -1)
    for sub in ("tmp", "cur", "new"):
        os.makedirs(os.path.join(args.maildir, sub), exist_ok=True)
    host = socket.gethostname().replace("/", "_").replace(":", "_")
    pid = os.getpid()
    start = dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)
    tmp_dir, cur_dir = os.path.join(args.maildir, "tmp"), os.path.join(args.maildir, "cur")
    for i in range(1, args.count + 1):
        when = start + dt.timedelta(seconds=1800 * i)
        data = small_mail.message(i, random.Random(f"{args.seed}:{i}"), when)
        stamp = int(when.timestamp())
        flags = ("F" if i % 20 == 7 else "") + ("S" if i % 4 != 1 else "")
        base = f"{stamp}.M{i}P{pid}.{host},S={len(data)}"
        tmp = os.path.join(tmp_dir, base)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.utime(fd, (stamp, stamp))
            if uid >= 0:
                os.fchown(fd, uid, gid)
        finally:
            os.close(fd)
        os.rename(tmp, os.path.join(cur_dir, f"{base}:2,{flags}"))
    print(args.count)


if __name__ == "__main__":
    main()

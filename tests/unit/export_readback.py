#!/usr/bin/env python3
"""Reads an export back with Python's standard mailbox module and compares every message with the
bytes the store holds (the server's). Usage: export_readback.py maildir|mbox PATH EXPECTED_DIR
EXPECTED_DIR holds one file per message (any names). For mbox, the two lines mailsync adds
(Status:, X-Status:) are dropped and the mboxrd quoting undone before comparing: see sync/export/export.hpp.
Exits 0 when the multisets of messages are equal, 1 (printing the difference) otherwise."""
import mailbox, os, re, sys

fmt, path, expected_dir = sys.argv[1:4]
expected = sorted(open(os.path.join(expected_dir, n), 'rb').read() for n in os.listdir(expected_dir))
got = []
if fmt == 'maildir':
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in box.keys():
        got.append(box.get_bytes(key))
else:
    box = mailbox.mbox(path, create=False)
    quoted = re.compile(rb'^>(>*From )', re.M)
    for key in box.keys():
        data = box.get_bytes(key)
        lines = data.split(b'\n', 2)
        assert lines[0].startswith(b'Status: ') and lines[1].startswith(b'X-Status: '), lines[:2]
        got.append(quoted.sub(rb'\1', lines[2]))
got.sort()
if got != expected:
    print(f'{fmt} {path}: {len(got)} messages read back, {len(expected)} expected')
    for g in got:
        if g not in expected: print('unexpected:', g[:200])
    for e in expected:
        if e not in got: print('missing:', e[:200])
    sys.exit(1)
print(f'{fmt} {path}: {len(got)} messages byte-identical')

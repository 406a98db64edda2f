#!/usr/bin/env python3
"""Where a process's peak RSS is, mapping by mapping (bench/results/2026-12-02-lazylib-memory.md).

    peak-smaps.py [--interval S] [--top N] -- COMMAND...

Runs COMMAND (its output discarded), reads /proc/PID/smaps every --interval seconds (default
0.05) and keeps the snapshot whose total Rss is the largest. Prints that snapshot summed by
mapping (a file's several segments together; "[anon mmap]" for nameless maps such as thread
stacks and malloc arenas): resident kB, of it anonymous kB, the number of maps, the name; then the
totals and the most threads seen. Like bench/lib/sample-rss.py its peak is a lower bound (a
shorter peak between two samples is missed); unlike it, it says which library, heap or file the
resident pages belong to. Exits with COMMAND's exit status.
"""
import argparse
import collections
import os
import subprocess
import sys
import time


def snapshot(pid):
    rss, anon, maps = collections.Counter(), collections.Counter(), collections.Counter()
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if not fields:
                continue
            if not fields[0].endswith(":") and "-" in fields[0]:   # a mapping's header line
                name = fields[5] if len(fields) > 5 else "[anon mmap]"
                maps[name] += 1
            elif fields[0] == "Rss:":
                rss[name] += int(fields[1])
            elif fields[0] == "Anonymous:":
                anon[name] += int(fields[1])
    return rss, anon, maps


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    process = subprocess.Popen(args.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    best_total, best, most_threads = 0, None, 0
    while process.poll() is None:
        try:
            rss, anon, maps = snapshot(process.pid)
            threads = len(os.listdir(f"/proc/{process.pid}/task"))
        except (FileNotFoundError, ProcessLookupError):
            break
        except ValueError:   # a line read while the process changed its maps
            time.sleep(args.interval)
            continue
        most_threads = max(most_threads, threads)
        total = sum(rss.values())
        if total > best_total:
            best_total, best = total, (rss, anon, maps, threads)
        time.sleep(args.interval)
    code = process.wait()
    if best is None:
        print(f"exit {code}; no sample taken (the process was too short)")
        return code
    rss, anon, maps, threads = best
    print(f"exit {code}; largest sampled Rss {best_total} kB ({threads} threads then, {most_threads} at most)")
    print(f"{'Rss kB':>7} {'anon kB':>7} {'maps':>4} mapping")
    for name, kb in rss.most_common(args.top):
        print(f"{kb:7d} {anon[name]:7d} {maps[name]:4d} {name}")
    anonymous = sum(anon.values())
    print(f"anonymous {anonymous} kB, file-backed {best_total - anonymous} kB")
    return code


if __name__ == "__main__":
    sys.exit(main())

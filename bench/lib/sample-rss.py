#!/usr/bin/env python3
"""Run a command and sample the memory of the measured process (bench/run.sh, bench/memory.sh).

    sample-rss.py [--interval S] [--dense-start S] [--child] [--mapping SUFFIX] [--log FILE] -- COMMAND...

The measured process is COMMAND itself or, with --child, the process COMMAND starts (for
`/usr/bin/time -f %M CMD`: CMD, so that time keeps measuring %M undisturbed). Every --interval seconds
(default 0.05; ten times as often during the first --dense-start seconds, so that short runs are
sampled too) the sampler reads /proc/PID/status (VmRSS, RssAnon, RssFile) and, with --mapping, the
Rss of the mappings in /proc/PID/smaps whose path ends with SUFFIX (e.g. /data.mdb), and keeps each
maximum. A peak shorter than the interval can be missed: the maxima are lower bounds. The exit of the
command is noticed at once (not at the next sample), so the seconds are those of the command.

COMMAND's stdout and stderr go to --log (default: inherited). Prints one line:

    ru_maxrss_kb max_vmrss_kb max_rss_anon_kb max_rss_file_kb max_mapping_kb seconds exit_code

ru_maxrss is the kernel's peak for COMMAND and what it waited for, as wait4 reports it. It is never
below this sampler's own RSS (~11 MB): COMMAND is spawned from the Python process, and the kernel
carries the spawning image's peak over the exec. For an exact %M, run COMMAND under
`/usr/bin/time -f %M` (which is small) and measure it with --child, as bench/run.sh does.
"-" stands for a counter never sampled (the process was gone before the first sample, or no
--mapping). exit_code is COMMAND's (negative: killed by that signal). The sampler exits 0 unless it
could not start COMMAND.
"""
import argparse
import os
import subprocess
import sys
import threading
import time


def children(pid):
    """PIDs of pid's children (/proc/PID/task/PID/children; a scan of /proc if the kernel lacks it)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except FileNotFoundError:
        if not os.path.exists(f"/proc/{pid}"):
            return []
    except OSError:
        return []
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    # "pid (comm) state ppid ...": comm may contain spaces and parentheses
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--dense-start", type=float, default=0.0, metavar="SECONDS",
                    help="sample every INTERVAL/10 during the first SECONDS of the measured process")
    ap.add_argument("--child", action="store_true", help="measure the process COMMAND starts")
    ap.add_argument("--mapping", help="also the Rss of the mappings whose path ends with this")
    ap.add_argument("--log", help="COMMAND's stdout and stderr")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("no COMMAND")

    log = open(args.log, "wb") if args.log else None
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT if log else None)
    result = {}
    done = threading.Event()

    def waiter():  # wait4 in a thread: the main loop wakes up as soon as COMMAND exits
        _, status, ru = os.wait4(p.pid, 0)
        result.update(status=status, ru=ru, t=time.monotonic())
        done.set()

    threading.Thread(target=waiter, daemon=True).start()

    target = p.pid
    if args.child:  # COMMAND forks at once; look for its child every millisecond until then
        target = None
        while target is None and not done.is_set():
            kids = children(p.pid)
            if kids:
                target = kids[0]
            else:
                done.wait(0.001)
        # ... and until the child has exec'd: before, it is a copy of COMMAND, not the measured program
        while target is not None and not done.is_set():
            try:
                if os.readlink(f"/proc/{target}/exe") != os.readlink(f"/proc/{p.pid}/exe"):
                    break
            except OSError:
                break
            done.wait(0.001)
    start = time.monotonic()

    peak = {"VmRSS": None, "RssAnon": None, "RssFile": None}
    mapping = None
    while target is not None and not done.is_set():
        try:
            with open(f"/proc/{target}/status") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in peak:  # absent once the process is a zombie
                        v = int(value.split()[0])
                        peak[key] = v if peak[key] is None else max(peak[key], v)
            if args.mapping and peak["VmRSS"] is not None:
                with open(f"/proc/{target}/smaps") as f:
                    in_map, rss = False, 0
                    for line in f:
                        first = line.split(None, 1)[0]
                        if "-" in first and not first.endswith(":"):
                            in_map = line.rstrip().endswith(args.mapping)
                        elif in_map and first == "Rss:":
                            rss += int(line.split()[1])
                    mapping = rss if mapping is None else max(mapping, rss)
        except (OSError, ValueError, IndexError):
            pass
        dense = time.monotonic() - start < args.dense_start
        done.wait(args.interval / 10 if dense else args.interval)

    done.wait()
    code = os.waitstatus_to_exitcode(result["status"])
    show = lambda v: "-" if v is None else str(v)
    print(result["ru"].ru_maxrss, show(peak["VmRSS"]), show(peak["RssAnon"]), show(peak["RssFile"]),
          show(mapping), f"{result['t'] - t0:.2f}", code)


if __name__ == "__main__":
    sys.exit(main())

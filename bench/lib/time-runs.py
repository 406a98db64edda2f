#!/usr/bin/python3
"""Runs a command several times and prints the median of its wall and CPU times, in milliseconds
to a tenth (bench/search.sh's queries: GNU time's 10 ms steps cannot tell 5 ms from 15).

    time-runs.py RUNS -- COMMAND...

Prints one line: median_wall_ms median_cpu_ms min_wall_ms max_wall_ms. CPU is user + system of
COMMAND (os.wait4's rusage, microseconds). COMMAND's output is discarded; a run that fails stops
the script with its exit code.
"""
import os
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    runs = int(sys.argv[1])
    command = sys.argv[3:]
    walls, cpus = [], []
    for _ in range(runs):
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((usage.ru_utime + usage.ru_stime) * 1000)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            print(f"time-runs.py: {' '.join(command)} exited with {code}", file=sys.stderr)
            sys.exit(code if code > 0 else 1)
    print(f"{statistics.median(walls):.1f} {statistics.median(cpus):.1f} {min(walls):.1f} {max(walls):.1f}")


if __name__ == "__main__":
    main()

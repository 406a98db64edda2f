#!/usr/bin/python3
"""The Markdown report of bench/scale.sh from its two TSV files.

    scale-table.py SCALE_TSV LOCAL_TSV --command C --machine M --load L
"""
import argparse
import csv
import datetime as dt


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def size(b):
    b = num(b)
    if b is None:
        return "?"
    for unit, f in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= f:
            return f"{b / f:.1f} {unit}"
    return f"{b:.0f} B"


def mb(kb):
    kb = num(kb)
    return "-" if kb is None else f"{kb / 1024:.1f} MB"


def secs(s):
    s = num(s)
    return "?" if s is None else f"{s:.2f} s"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scale")
    ap.add_argument("local")
    ap.add_argument("--command", required=True)
    ap.add_argument("--machine", required=True)
    ap.add_argument("--load", required=True)
    a = ap.parse_args()
    rows = list(csv.DictReader(open(a.scale), delimiter="\t"))
    local = list(csv.DictReader(open(a.local), delimiter="\t"))
    runs = {(r["messages"], r["tool"], r["phase"]): r for r in rows}
    sizes = sorted({int(r["messages"]) for r in rows})
    phases = list(dict.fromkeys(r["phase"] for r in rows))

    print(f"# One large mailbox, mailsync beside mbsync — {dt.date.today().isoformat()}\n")
    print(f"`{a.command}` (issue 15, targets 3 and 5). {a.machine}.\n")
    print(f"Machine {a.load}: times are indicative when the load is above the 2 cores; bytes and memory are not affected.\n")
    print("One INBOX of N small text messages (`bench/lib/small-mail.py`, 0.5-3 KB) written straight into the "
          "throwaway Dovecot's Maildir; each tool syncs its own identical copy. mailsync: `mode: pull`, "
          "**`search: false`** (the full-text index is left out of these figures), `tls: none`. Every sync goes "
          "through a byte-counting proxy on loopback (no delay). Peak RSS: `/usr/bin/time -f %M`; RssAnon (heap, "
          "stacks), RssFile and the resident part of mailsync's `data.mdb` map: the peaks of `/proc/PID/status` "
          "and `smaps`, sampled every 50 ms (lower bounds). Change rounds: another client adds `\\Answered` to C "
          "messages and expunges C others, spread over the mailbox.\n")

    print("| messages | phase | mailsync time | bytes up / down | peak RSS | peak RssAnon | peak data.mdb resident "
          "| data.mdb size | mbsync time | bytes up / down | peak RSS | peak RssAnon |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        for phase in phases:
            m = runs.get((str(n), "mailsync", phase))
            b = runs.get((str(n), "mbsync", phase))
            if not m and not b:
                continue
            cells = [f"{n:,}".replace(",", " "), phase]
            for r, tool in ((m, "mailsync"), (b, "mbsync")):
                if not r:
                    cells += ["not run"] + ["-"] * (5 if tool == "mailsync" else 3)
                    continue
                t = secs(r["wall_s"]) if r["status"] == "ok" else f"{r['status']} ({secs(r['wall_s'])})"
                if r["local_msgs"] != r["server_msgs"]:
                    t += f" (local {r['local_msgs']} ≠ server {r['server_msgs']})"
                cells += [t, f"{size(r['bytes_up'])} / {size(r['bytes_down'])}", mb(r["peak_rss_kb"]),
                          mb(r["peak_rss_anon_kb"])]
                if tool == "mailsync":
                    cells += [mb(r["peak_data_mdb_kb"]), mb(r["data_mdb_kb"])]
            print("| " + " | ".join(cells) + " |")

    print("\nLocal commands on the mirror (no server), median of the runs (min-max), whole process "
          "from exec to exit:\n")
    print("| messages | command | time | peak RSS |")
    print("|---:|---|---:|---:|")
    for r in local:
        print(f"| {int(r['messages']):,} | `{r['command']}` | {r['median_ms']} ms ({r['min_ms']}-{r['max_ms']}) "
              f"| {mb(r['peak_rss_kb'])} |".replace(",", " "))

    print("\n## Targets\n")
    print("| check | mailsync | mbsync |")
    print("|---|---|---|")
    ref = sizes[0]

    def get(n, tool, phase, key):
        r = runs.get((str(n), tool, phase))
        return None if not r or r["status"] != "ok" else num(r[key])

    for n in sizes:
        ms, mb_ = get(n, "mailsync", "first", "peak_rss_kb"), get(n, "mbsync", "first", "peak_rss_kb")
        verdict = "" if ms is None or mb_ is None else (" (≤ mbsync)" if ms <= mb_ else " (> mbsync)")
        print(f"| first sync peak RSS, {n} (target: ≤ mbsync's) | {mb(ms)}{verdict} | {mb(mb_)} |")
    for n in sizes:
        peaks = [num(r["peak_rss_kb"]) for r in rows if r["tool"] == "mailsync" and r["messages"] == str(n)
                 and num(r["peak_rss_kb"]) is not None]
        if peaks and n >= 100000:
            print(f"| largest peak RSS of any sync, {n} (target: ≤ 40 MB) | {mb(max(peaks))} | - |")
    anon = [f"{mb(get(n, 'mailsync', 'first', 'peak_rss_anon_kb'))} at {n}" for n in sizes]
    anon_mb = [f"{mb(get(n, 'mbsync', 'first', 'peak_rss_anon_kb'))} at {n}" for n in sizes]
    print(f"| first sync peak RssAnon (target: flat) | {', '.join(anon)} | {', '.join(anon_mb)} |")
    for n in sizes[1:]:
        cells = []
        for tool in ("mailsync", "mbsync"):
            t0, t1 = get(ref, tool, "noop", "wall_s"), get(n, tool, "noop", "wall_s")
            b0 = (get(ref, tool, "noop", "bytes_up") or 0) + (get(ref, tool, "noop", "bytes_down") or 0)
            b1 = (get(n, tool, "noop", "bytes_up") or 0) + (get(n, tool, "noop", "bytes_down") or 0)
            cells.append("-" if t0 is None or t1 is None else
                         f"{secs(t1)} vs {secs(t0)}; {size(b1)} vs {size(b0)}")
        print(f"| no-op resync, {n} vs {ref} (target: equal time and bytes) | {cells[0]} | {cells[1]} |")
    for n in sizes:
        for phase in phases:
            if not phase.startswith("changes"):
                continue
            c = int(phase.split()[1].split("+")[0]) * 2
            cells = []
            for tool in ("mailsync", "mbsync"):
                up, down = get(n, tool, phase, "bytes_up"), get(n, tool, phase, "bytes_down")
                nu, nd = get(n, tool, "noop", "bytes_up"), get(n, tool, "noop", "bytes_down")
                cells.append("-" if None in (up, down, nu, nd) else
                             f"{size(up + down)}, {(up + down - nu - nd) / c:.0f} B a change beyond the no-op, "
                             f"{secs(get(n, tool, phase, 'wall_s'))}")
            print(f"| {phase} resync, {n} (target: proportional to the changes) | {cells[0]} | {cells[1]} |")
    for r in local:
        ok = "≤ 50 ms" if num(r["median_ms"]) is not None and num(r["median_ms"]) <= 50 else "> 50 ms"
        print(f"| `{r['command']}`, {r['messages']} (target: ≤ 50 ms) | {r['median_ms']} ms ({ok}) | - |")


if __name__ == "__main__":
    main()

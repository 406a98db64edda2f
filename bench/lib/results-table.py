#!/usr/bin/python3
"""The tables of bench/run.sh, in Markdown, from its raw results.

    results-table.py RESULTS.tsv CHANGES.tsv --big N --small N --text N --rtt-ms 50 --rate-mbit 20

RESULTS.tsv: one row per measured run (run.sh's `measure`); CHANGES.tsv: user, flags toggled,
messages expunged by the change phase. Prints one table per link, then the targets of issues 3 and
15 computed from the rows (a target whose runs are missing says "not available").
"""
import argparse
import csv

PHASES = [("first", "first sync"), ("noop", "no-op resync"), ("change", "resync after changes")]


def size(b):
    try:
        b = int(b)
    except ValueError:
        return "?"
    for unit, div in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= div:
            return f"{b / div:.1f} {unit}" if b < 100 * div else f"{b / div:.0f} {unit}"
    return f"{b} B"


def mb(kb):
    return f"{int(kb) / 1024:.1f} MB" if kb else "?"


def cell(r):
    if r is None:
        return ["–"] * 4
    st = r["status"]
    if st.startswith("not available"):
        return ["not available (" + st.split(": ", 1)[-1] + ")", "", "", ""]
    t = (r["wall_s"] or "?") + " s" + ("" if st == "ok" else f" ({st})")
    if st == "ok" and r["local_msgs"] not in ("?", r["server_msgs"]):
        t += f" (local {r['local_msgs']} ≠ server {r['server_msgs']})"
    return [t, f"{size(r['bytes_up'])} / {size(r['bytes_down'])}", mb(r["peak_rss_kb"]), mb(r.get("peak_rss_anon_kb"))]


def total(r):
    return int(r["bytes_up"]) + int(r["bytes_down"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("changes")
    for name in ("big", "small", "text", "rtt-ms", "rate-mbit"):
        ap.add_argument("--" + name, type=int, required=True)
    args = ap.parse_args()
    rows = list(csv.DictReader(open(args.results), delimiter="\t"))
    changes = {}
    for line in open(args.changes):
        u, f, e = line.rstrip("\n").split("\t")
        changes[u] = (int(f), int(e))
    accounts = [("big", f"{args.big} msgs, attachments"), ("small", f"{args.small} msgs, attachments"),
                ("text", f"{args.text} msgs, list text")]
    rate = args.rate_mbit * 1e6 / 8

    def get(link, acct, phase, tool, ok_only=False):
        r = next((r for r in rows if r["link"] == link and r["account"] == acct and r["phase"] == phase
                  and r["tool"] == tool), None)
        return r if r and (not ok_only or r["status"] == "ok") else None

    links = list(dict.fromkeys(r["link"] for r in rows))
    for link in links:
        if link == "loopback":
            print("### Loopback (through the byte-counting proxy, no delay, no rate limit)\n")
        else:
            print(f"### Emulated WAN: {args.rtt_ms} ms round trip, {args.rate_mbit} Mbit/s each way "
                  "(shared by all connections); mailsync with `compress: yes`\n")
        print("| phase | account | mailsync time | mailsync bytes up / down | mailsync peak RSS | mailsync peak private (RssAnon) "
              "| mbsync time | mbsync bytes up / down | mbsync peak RSS | mbsync peak private (RssAnon) |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for phase, label in PHASES:
            for acct, name in accounts:
                if not any(r["account"] == acct and r["link"] == link for r in rows):
                    continue
                if phase == "change" and (c := changes.get(f"t_{link}_mbsync_{acct}")):
                    name += f" ({c[0]} flagged/unflagged, {c[1]} expunged)"
                print(f"| {label} | {name} | " + " | ".join(cell(get(link, acct, phase, "mailsync")) +
                                                          cell(get(link, acct, phase, "mbsync"))) + " |")
        print()

    print("### Targets (computed from the tables)\n")
    print("| check | link | mailsync | mbsync |")
    print("|---|---|---:|---:|")
    for link in links:
        def both(compute):
            return " | ".join(compute(tool) or "not available" for tool in ("mailsync", "mbsync"))

        def noop(tool):
            r = get(link, "big", "noop", tool, True)
            return r and f"{r['wall_s']} s, {size(total(r))}"

        def noop_ratio(tool):
            b, s = get(link, "big", "noop", tool, True), get(link, "small", "noop", tool, True)
            return b and s and f"{size(total(b))} vs {size(total(s))} (× {total(b) / max(1, total(s)):.1f})"

        def per_change(acct):
            def compute(tool):
                n, c = get(link, acct, "noop", tool, True), get(link, acct, "change", tool, True)
                k = changes.get(f"t_{link}_{tool}_{acct}")
                if not (n and c and k and sum(k)):
                    return None
                text = f"{(total(c) - total(n)) / sum(k):.0f} B a change ({sum(k)} changes)"
                # mbsync lists every UID with its flags at each run: fewer messages, fewer bytes.
                return text + (" (the no-op lists every message)" if total(c) < total(n) else "")
            return compute

        def first_vs_mbsync(acct):
            def compute(tool):
                r = get(link, acct, "first", tool, True)
                if not r:
                    return None
                text = f"{r['wall_s']} s"
                o = get(link, acct, "first", "mbsync", True)
                if tool == "mailsync" and o:
                    text += f" ({float(r['wall_s']) / max(0.01, float(o['wall_s'])):.2f} × mbsync)"
                return text
            return compute

        def at_link_limit(acct):
            def compute(tool):
                r = get(link, acct, "first", tool, True)
                if not r:
                    return None
                floor = int(r["bytes_down"]) / rate
                return f"{float(r['wall_s']) / max(0.01, floor):.2f} × ({size(r['bytes_down'])} ÷ link = {floor:.1f} s)"
            return compute

        def rss(tool):
            b, s = get(link, "big", "first", tool, True), get(link, "small", "first", tool, True)
            return b and s and (f"{mb(b['peak_rss_kb'])} vs {mb(s['peak_rss_kb'])}; private "
                                f"{mb(b.get('peak_rss_anon_kb'))} vs {mb(s.get('peak_rss_anon_kb'))}")

        target = "issue 15's target: ≤ 0.15 s and ≤ 1.0 kB" if link != "loopback" else "issue 15's target is on the WAN"
        print(f"| no-op resync, {args.big} msgs ({target}) | {link} | {both(noop)} |")
        print(f"| no-op resync bytes, {args.big} vs {args.small} msgs (target: the same) | {link} | {both(noop_ratio)} |")
        for acct, name in accounts:
            print(f"| change resync, bytes beyond the no-op's per change, {name} (target: ≤ 15 B) | {link} | "
                  f"{both(per_change(acct))} |")
        for acct, name in accounts:
            target = "≤ mbsync" if link == "loopback" else "never slower than mbsync"
            print(f"| first sync time, {name} (target: {target}) | {link} | {both(first_vs_mbsync(acct))} |")
        if link != "loopback":
            for acct, name in accounts:
                print(f"| first sync time ÷ (bytes received ÷ link rate), {name} (target: ≤ 1.05) | {link} | "
                      f"{both(at_link_limit(acct))} |")
        print(f"| peak RSS; peak private (RssAnon), first sync, {args.big} vs {args.small} msgs (target: bounded) | "
              f"{link} | {both(rss)} |")
    print()


if __name__ == "__main__":
    main()

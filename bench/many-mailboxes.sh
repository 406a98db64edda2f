#!/usr/bin/env bash
# An account of many mailboxes (issue 16: 200 000 folders once took 344 MB and more than 120 s):
# N empty mailboxes beside an INBOX of a few messages, on a throwaway Dovecot on loopback.
#
#   bench/many-mailboxes.sh [--mailboxes 20000] [--keep]
#
# Environment: MAILSYNC (the binary; required), BENCH_WORK (work directory).
# Steps: a first `mailsync sync` (two-way, plaintext on loopback) into an empty store, then 3 no-op
# syncs; mbsync (isync, `Sync Pull`, its own Maildir) the same, interleaved with mailsync's no-ops.
# Each timed by /usr/bin/time: wall seconds and peak RSS (%M). Also: how many mailboxes mailsync's
# first sync selected (`examined` of `sync --json`). Prints the figures.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=20000 KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
    --mailboxes) N=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "many-mailboxes.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
[[ $N =~ ^[0-9]+$ ]] || { echo "many-mailboxes.sh: --mailboxes wants a number" >&2; exit 64; }
[ -x "${MAILSYNC:-}" ] || { echo "many-mailboxes.sh: set MAILSYNC to the mailsync binary" >&2; exit 64; }
"$ROOT/scripts/install-deps.sh" --bench
command -v mbsync >/dev/null || { echo "many-mailboxes.sh: no mbsync after installing isync" >&2; exit 69; }
# shellcheck source=bench/lib/work-dovecot.sh
. "$ROOT/bench/lib/work-dovecot.sh"
# shellcheck source=bench/lib/mbsync-config.sh
. "$ROOT/bench/lib/mbsync-config.sh"
start_work_dovecot many
u=t_many_n$N
for i in 1 2 3; do
  printf 'From: a@example.org\r\nTo: %s@example.org\r\nSubject: hello %s\r\nMessage-ID: <many-%s@example.org>\r\n\r\nHello.\r\n' \
    "$u" "$i" "$i" | "${DA[@]}" save -u "$u" -m INBOX
done
echo "== creating $N mailboxes" >&2
seq -f 'Folder%06.0f' 1 "$N" | xargs -n 500 "${DA[@]}" mailbox create -u "$u"
d=$WORK/acct
mkdir -p "$d"; chmod 700 "$d"
(umask 077; printf '%s\n' "$u-pw" >"$d/password")
printf 'accounts:\n  many:\n    host: 127.0.0.1\n    port: %s\n    tls: none\n    user: %s\n    password_file: %s\n    store: %s\n' \
  "$IMAP_PORT" "$u" "$d/password" "$d/store" >"$d/config.yaml"
chmod 600 "$d/config.yaml"
write_mbsyncrc "$d/mbsyncrc" "$IMAP_PORT" "$u" "$d/password" "$d/mbsync" "$(printf 'Create Near\nSync Pull')"
timed() {  # LOG COMMAND... : appends "wall_seconds peak_rss_kb" to LOG
  /usr/bin/time -f '%e %M' -o "$d/t" "${@:2}" >"$d/last.out"; cat "$d/t" >>"$1"
}
median() { sort -n "$1" | sed -n 2p; }
timed "$d/first.times" "$MAILSYNC" -c "$d/config.yaml" --json sync
examined=$(grep -o '"examined":[0-9]*' "$d/last.out" | cut -d: -f2)
timed "$d/mbsync-first.times" mbsync -q -c "$d/mbsyncrc" -a
for _ in 1 2 3; do
  timed "$d/noop.times" "$MAILSYNC" -c "$d/config.yaml" sync
  timed "$d/mbsync-noop.times" mbsync -q -c "$d/mbsyncrc" -a
done
read -r first_s first_kb <"$d/first.times"
read -r mfirst_s mfirst_kb <"$d/mbsync-first.times"
read -r noop_s noop_kb <<<"$(median "$d/noop.times")"
read -r mnoop_s mnoop_kb <<<"$(median "$d/mbsync-noop.times")"
echo "mailboxes: $N empty + INBOX (3 messages); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| run | mailsync | mbsync |"
echo "|---|---|---|"
echo "| first sync | $first_s s, peak RSS $((first_kb / 1024)) MB, $examined mailboxes selected | $mfirst_s s, peak RSS $((mfirst_kb / 1024)) MB |"
echo "| no-op sync (median of 3) | $noop_s s, peak RSS $((noop_kb / 1024)) MB | $mnoop_s s, peak RSS $((mnoop_kb / 1024)) MB |"

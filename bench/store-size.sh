#!/usr/bin/env bash
# What the mirror takes on disk before and after half of a mailbox is expunged on the server and
# the account synced: that the bodies of expunged messages are swept — see bench/README.md and
# bench/results/*-store-size.md.
#
#   bench/store-size.sh [--messages 2000] [--seed S] [--keep]
#
#   --messages N   messages in the one mailbox (INBOX) of the account (default 2000)
#   --seed S       generate-mail.py seed (default 42): the realistic mix of bench/run.sh (2–50 KB
#                  text, HTML alternatives, 5% with attachments of up to 4 MB)
#   --keep         keep the work directory (Dovecot, store, logs)
# Environment: MAILSYNC (the binary; default BUILD_DIR/cli/mailsync, BUILD_DIR default build-bench,
#   built with -j2 when missing), BENCH_CACHE (generated mail; default bench/.cache),
#   BENCH_WORK (work directory; default a new /tmp/mailsync-size.XXXXXX).
#
# Steps, on a throwaway Dovecot (tests/integration/dovecot-fixture.sh), two-way account, plaintext
# on loopback: `mailsync sync` into an empty store; another client (doveadm) expunges every other
# message; the body files are dated two hours back (as if fetched before the sweep's one-hour
# grace period: a sync right after the first would keep them, to protect a concurrent run); then
# `mailsync -v sync` again and `mailsync verify`. After each sync: the body files (count, bytes,
# `du`), data.mdb, and `status --json`'s store_bytes. Prints a Markdown table; raw numbers in
# WORK/store-size.tsv.
set -euo pipefail
trap 'echo "store-size.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=2000 SEED=42 KEEP=0
# The header comment above, up to its first line that is not a comment.
usage() { sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-64}"; }
while [ $# -gt 0 ]; do
  case $1 in
    --messages) N=${2:?}; shift 2 ;;
    --seed) SEED=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "store-size.sh: unknown argument $1" >&2; usage ;;
  esac
done
if ! [[ $N =~ ^[0-9]+$ ]] || [ "$N" -lt 10 ]; then echo "store-size.sh: --messages wants a number >= 10" >&2; exit 64; fi
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
CACHE=${BENCH_CACHE:-$ROOT/bench/.cache}
say() { printf '\n== %s\n' "$*" >&2; }
log() { printf '   %s\n' "$*" >&2; }

# shellcheck source=bench/lib/mailsync-binary.sh
. "$ROOT/bench/lib/mailsync-binary.sh"
mailsync_binary store-size.sh

# The generated mail, cached by seed and count like bench/run.sh's.
MAIL=$CACHE/size-s$SEED-n$N
# shellcheck source=bench/lib/generated-mail.sh
. "$ROOT/bench/lib/generated-mail.sh"
generated_mail "$MAIL" "$N" "$SEED"

# shellcheck source=bench/lib/work-dovecot.sh
. "$ROOT/bench/lib/work-dovecot.sh"
start_work_dovecot size

u=t_size_n$N
"$ROOT/scripts/load-mail.sh" "$DOVE" "$u" INBOX "$MAIL" >/dev/null
d=$WORK/acct
mkdir -p "$d/store"; chmod 700 "$d/store"
(umask 077; printf '%s\n' "$u-pw" >"$d/password")
cat >"$d/mailsync.yaml" <<EOF
accounts:
  size:
    host: 127.0.0.1
    port: $IMAP_PORT
    tls: none
    user: $u
    password_file: $d/password
    store: $d/store
EOF
chmod 600 "$d/mailsync.yaml"
MS=("$MAILSYNC" -c "$d/mailsync.yaml")

RESULTS=$WORK/store-size.tsv
printf 'step\tmessages\tbody_files\tbody_bytes\tbody_du_kb\tdata_mdb_bytes\tstore_bytes\tsync_seconds\n' >"$RESULTS"
measure() {  # STEP SECONDS
  local messages files bytes du_kb mdb store_bytes
  messages=$("${DA[@]}" mailbox status -u "$u" messages INBOX | awk -F= '{ print $NF }')
  files=$(find "$d/store/bodies" -type f | wc -l)
  bytes=$(find "$d/store/bodies" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  du_kb=$(du -sk "$d/store/bodies" | cut -f1)
  mdb=$(stat -c %s "$d/store/data.mdb")
  store_bytes=$("${MS[@]}" --json status | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["store_bytes"])')
  log "$1: $messages messages on the server; $files body files, $bytes bytes (du $du_kb KB); data.mdb $mdb; status store_bytes $store_bytes"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$messages" "$files" "$bytes" "$du_kb" "$mdb" "$store_bytes" "$2" >>"$RESULTS"
}
timed_sync() {  # LOG -> seconds
  local start end
  start=$(date +%s.%N)
  "${MS[@]}" -v sync >"$1" 2>&1
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}

say "first sync of $N messages"
measure "first sync" "$(timed_sync "$WORK/sync-1.log")"

say "another client expunges every other message; bodies dated two hours back"
"${DA[@]}" search -u "$u" mailbox INBOX all | awk 'NR % 2 == 0 { print $2 }' | paste -sd, - >"$WORK/gone"
"${DA[@]}" expunge -u "$u" mailbox INBOX uid "$(cat "$WORK/gone")"
find "$d/store/bodies" -type f -exec touch -d '2 hours ago' {} +
measure "expunged on the server, not yet synced" -

say "sync after the expunge"
measure "synced (orphans swept)" "$(timed_sync "$WORK/sync-2.log")"
log "$(grep -h 'orphaned' "$WORK/sync-2.log" || echo 'no sweep line in the sync output')"
"${MS[@]}" verify >&2 && log "verify: OK"

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
echo
echo "| step | messages on the server | body files | body bytes | bodies on disk (du) | data.mdb | status store_bytes | sync time |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
tail -n +2 "$RESULTS" | while IFS=$'\t' read -r step messages files bytes du_kb mdb store_bytes secs; do
  [ "$secs" = - ] || secs="$secs s"
  echo "| $step | $messages | $files | $(mb "$bytes") | $(mb $((du_kb * 1024))) | $(mb "$mdb") | $(mb "$store_bytes") | $secs |"
done

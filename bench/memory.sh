#!/usr/bin/env bash
# Where mailsync's memory goes as a mailbox grows — see bench/README.md and
# bench/results/2026-11-30-memory.md.
#
#   bench/memory.sh [--messages 3000,30000] [--seed S] [--no-heaptrack] [--keep] [--out DIR]
#
#   --messages     comma-separated sizes of the one mailbox (INBOX) of each account (default 3000,30000)
#   --seed S       generate-mail.py seed (default 42); small text messages only (no attachments):
#                  the point is the number of messages, not their bytes
#   --no-heaptrack skip the second, heap-profiled run of each phase
#   --keep         keep the work directory (Dovecot, stores, heaptrack files, logs)
#   --out DIR      also copy the heaptrack reports (heaptrack_print --print-peaks) into DIR
# Environment: MAILSYNC (the binary; default BUILD_DIR/cli/mailsync, BUILD_DIR default build-bench,
#   built with -j2 when missing), BENCH_CACHE (generated mail; default bench/.cache),
#   BENCH_WORK (work directory; default a new /tmp/mailsync-mem.XXXXXX).
#
# For each size: a throwaway Dovecot (tests/integration/dovecot-fixture.sh) account with N messages
# in INBOX; then `mailsync sync` (pull mode, plaintext on loopback, straight to Dovecot) for three
# phases: first sync into an empty store, no-op resync, resync after another client (doveadm) added
# \Flagged to every 100th message and expunged another every 100th. Each phase runs
#   1. under a sampler (bench/lib/sample-rss.py) that reads /proc/PID/status (VmRSS, RssAnon, RssFile)
#      and /proc/PID/smaps (the resident part of the LMDB map data.mdb) every ~5 ms and keeps each
#      maximum, plus the kernel's own peak (ru_maxrss, what `/usr/bin/time -f %M` prints);
#   2. unless --no-heaptrack, again from a copy of the store as it was before the phase, under
#      heaptrack: the heap's peak and the allocations that make it up.
# Prints a Markdown table; raw numbers in WORK/memory.tsv.
set -euo pipefail
trap 'echo "memory.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=3000,30000 SEED=42 HEAPTRACK=1 KEEP=0 OUT=
# The header comment above, up to its first line that is not a comment.
usage() { sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-64}"; }
while [ $# -gt 0 ]; do
  case $1 in
    --messages) SIZES=${2:?}; shift 2 ;;
    --seed) SEED=${2:?}; shift 2 ;;
    --no-heaptrack) HEAPTRACK=0; shift ;;
    --keep) KEEP=1; shift ;;
    --out) OUT=${2:?}; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "memory.sh: unknown argument $1" >&2; usage ;;
  esac
done
IFS=, read -r -a NS <<<"$SIZES"
for n in "${NS[@]}"; do
  if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 100 ]; then echo "memory.sh: --messages wants numbers >= 100" >&2; exit 64; fi
done
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
CACHE=${BENCH_CACHE:-$ROOT/bench/.cache}
say() { printf '\n== %s\n' "$*" >&2; }
log() { printf '   %s\n' "$*" >&2; }

if [ "$HEAPTRACK" = 1 ] && ! command -v heaptrack >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq heaptrack
fi

# shellcheck source=bench/lib/mailsync-binary.sh
. "$ROOT/bench/lib/mailsync-binary.sh"
mailsync_binary memory.sh

# ---------------------------------------------------------------------------------------------
# Mail: CACHE/mem-s<SEED>-n<N>/ (message i does not depend on --count: a smaller set is the first
# N files of a larger one, hard-linked).
mail_dir() {  # N -> directory with N messages
  local n=$1 dir=$CACHE/mem-s$SEED-n$1 other m
  if [ -f "$dir/.done" ] && [ "$(cat "$dir/.done")" = "$n" ]; then echo "$dir"; return; fi
  rm -rf "$dir"; mkdir -p "$dir"
  for other in "$CACHE"/mem-s"$SEED"-n*; do
    m=${other##*-n}
    if [[ $m =~ ^[0-9]+$ ]] && [ "$m" -gt "$n" ] && [ -f "$other/.done" ]; then
      find "$other" -maxdepth 1 -name '*.eml' | sort | awk -v n="$n" 'NR <= n' | xargs -r ln -t "$dir"
      echo "$n" >"$dir/.done"; echo "$dir"; return
    fi
  done
  "$ROOT/scripts/generate-mail.py" --count "$n" --seed "$SEED" --out "$dir" --attachments-percent 0 >&2
  echo "$n" >"$dir/.done"; echo "$dir"
}

# shellcheck source=bench/lib/work-dovecot.sh
. "$ROOT/bench/lib/work-dovecot.sh"
start_work_dovecot mem

# Runs a command, samples its memory every ~5 ms (bench/lib/sample-rss.py, shared with bench/run.sh);
# prints "ru_maxrss_kb vmrss_kb anon_kb file_kb mdb_kb seconds exit_code".
SAMPLER=$ROOT/bench/lib/sample-rss.py

RESULTS=$WORK/memory.tsv
printf 'messages\tphase\texit\tseconds\tpeak_rss_kb\tmax_vmrss_kb\tmax_rss_anon_kb\tmax_rss_file_kb\tmax_data_mdb_rss_kb\theap_peak\tdata_mdb_kb\n' >"$RESULTS"

# Every 100th message (by position) gets \Flagged, another every 100th is expunged.
change_account() {  # USER
  local u=$1 sets add gone
  sets=$("${DA[@]}" search -u "$u" mailbox INBOX all | "$PY" -c '
import sys
uids = [int(line.split()[1]) for line in sys.stdin if line.strip()]
print(",".join(str(u) for i, u in enumerate(uids) if i % 100 == 37) or "-",
      ",".join(str(u) for i, u in enumerate(uids) if i % 100 == 73) or "-")')
  read -r add gone <<<"$sets"
  [ "$add" = - ] || "${DA[@]}" flags add -u "$u" '\Flagged' mailbox INBOX uid "$add"
  [ "$gone" = - ] || "${DA[@]}" expunge -u "$u" mailbox INBOX uid "$gone"
  log "changed: \\Flagged added to $(tr ',' '\n' <<<"$add" | grep -c .) messages, $(tr ',' '\n' <<<"$gone" | grep -c .) expunged"
}

measure() {  # N PHASE CONFIG STORE
  local n=$1 phase=$2 config=$3 store=$4 line heap=- mdb_size maxrss vmrss anon file mdb secs code
  [ "$HEAPTRACK" = 0 ] || { rm -rf "$store.before"; cp -a "$store" "$store.before"; }
  line=$("$PY" "$SAMPLER" --interval 0.005 --mapping /data.mdb --log "$WORK/logs/$n-$phase.log" -- \
    "$MAILSYNC" -c "$config" -q sync)
  read -r maxrss vmrss anon file mdb secs code <<<"$line"
  if [ "$HEAPTRACK" = 1 ]; then
    rm -rf "$store"; mv "$store.before" "$store"
    local data=$WORK/heaptrack/$n-$phase
    mkdir -p "$WORK/heaptrack"
    heaptrack -o "$data" "$MAILSYNC" -c "$config" -q sync >"$WORK/logs/$n-$phase.heaptrack.log" 2>&1 || true
    local recorded='' f
    for f in "$data".*; do [ -e "$f" ] && { recorded=$f; break; }; done
    if [ -n "$recorded" ]; then
      heaptrack_print -f "$recorded" --print-peaks 1 --print-allocators 0 --print-temporary 0 --peak-limit 12 \
        --sub-peak-limit 2 >"$data.txt" 2>/dev/null || true
      heap=$(sed -n 's/^peak heap memory consumption: //p' "$data.txt" | head -n 1)
      [ -z "$OUT" ] || { mkdir -p "$OUT"; cp "$data.txt" "$OUT/heaptrack-$n-$phase.txt"; }
    fi
  fi
  mdb_size=$(du -k "$store/data.mdb" | cut -f1)
  log "$(printf '%6s %-8s exit %s, %s s: peak RSS %s KB (RssAnon max %s, RssFile max %s, of which data.mdb %s), heap peak %s, data.mdb %s KB' \
    "$n" "$phase" "$code" "$secs" "$maxrss" "$anon" "$file" "$mdb" "${heap:--}" "$mdb_size")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$phase" "$code" "$secs" "$maxrss" "$vmrss" "$anon" "$file" \
    "$mdb" "${heap:--}" "$mdb_size" >>"$RESULTS"
}

mkdir -p "$WORK/logs"
for n in "${NS[@]}"; do
  say "$n messages"
  src=$(mail_dir "$n")
  u=t_mem_n$n
  "$ROOT/scripts/load-mail.sh" "$DOVE" "$u" INBOX "$src" >/dev/null
  d=$WORK/acct/$u
  mkdir -p "$d"
  (umask 077; printf '%s\n' "$u-pw" >"$d/password")
  cat >"$d/mailsync.yaml" <<EOF
accounts:
  mem:
    host: 127.0.0.1
    port: $IMAP_PORT
    tls: none
    user: $u
    password_file: $d/password
    store: $d/store
    mode: pull
EOF
  chmod 600 "$d/mailsync.yaml"
  mkdir -p "$d/store"; chmod 700 "$d/store"
  measure "$n" first "$d/mailsync.yaml" "$d/store"
  measure "$n" noop "$d/mailsync.yaml" "$d/store"
  change_account "$u"
  measure "$n" changes "$d/mailsync.yaml" "$d/store"
done

mb() { awk -v k="$1" 'BEGIN { if (k == "" || k == "-") print "-"; else printf "%.1f MB", k / 1024 }'; }
echo
echo "| messages | phase | peak RSS (ru_maxrss) | max RssAnon | max RssFile | of which data.mdb | heap peak (heaptrack) | data.mdb size |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|"
tail -n +2 "$RESULTS" | while IFS=$'\t' read -r n phase code secs maxrss vmrss anon file mdb heap size; do
  [ "$code" = 0 ] || phase="$phase (exit $code)"
  echo "| $n | $phase | $(mb "$maxrss") | $(mb "$anon") | $(mb "$file") | $(mb "$mdb") | $heap | $(mb "$size") |"
done

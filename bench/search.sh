#!/usr/bin/env bash
# The search index's costs (issue 13's targets): the first sync with indexing against without it,
# the time of queries, and the index's size against the mail's — see bench/README.md and
# bench/results/*-search-*.md.
#
#   bench/search.sh [--messages 3000] [--small | --list] [--shaped] [--seed S] [--runs 5] [--label L] [--keep]
#
#   --messages N   messages in the account's INBOX (default 3000)
#   --small        small text-only messages (bench/lib/small-mail.py, 0.5-3 KB: the worst case for
#                  the index's size, and fast to make at 100 000) instead of generate-mail.py's
#                  realistic mix (2-50 KB text, HTML alternatives, 5% with attachments of up to 4 MB)
#   --list         mailing-list plain text (bench/lib/list-mail.py, ~11 KB a message: bench/run.sh's
#                  text-heavy account, the most text to index per byte of mail)
#   --shaped       the syncs through bench/netem-proxy.py emulating bench/run.sh's WAN (50 ms round
#                  trip, 20 Mbit/s each way, shared), with `compress: yes`: a pull that waits for
#                  the network, as most do
#   --seed S       generator seed (default 42)
#   --runs R       times each query is run; the table gives the median (default 5)
#   --skip-reindex do not time `search --reindex` (indexing alone): saves its time at 100 000
#   --label L      results file name: bench/results/DATE-search-L.md (default n<N>[-small])
#   --keep         keep the work directory (Dovecot, stores, logs)
# Environment: MAILSYNC (the binary; default BUILD_DIR/cli/mailsync, BUILD_DIR default build-bench,
#   built with -j2 when missing), BENCH_CACHE (generated mail; default bench/.cache),
#   BENCH_WORK (work directory; default a new /tmp/mailsync-search.XXXXXX), MAILSYNC_REV (what the
#   results file says the binary is; default the commit checked out, right for a binary built from it).
#
# Steps, on a throwaway Dovecot (tests/integration/dovecot-fixture.sh), plaintext on loopback, pull
# mode: the same mail loaded for two users; `mailsync sync` of the first with `search: false`, then
# of the second with the index (the default); `search --reindex` on the second (indexing alone);
# then each query of QUERIES run R times through the program (`search --limit 50`: the whole
# process, start-up, opening the store and the index, printing), a `flag` of one message, and the
# sizes: body files, data.mdb, the index directory. Times are wall and CPU (user + system, GNU time).
set -euo pipefail
trap 'echo "search.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=3000 SEED=42 KEEP=0 SMALL=0 LIST=0 SHAPED=0 RUNS=5 LABEL= REINDEX=1 ARGS="$*"
# The header comment above, up to its first line that is not a comment.
usage() { sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-64}"; }
while [ $# -gt 0 ]; do
  case $1 in
    --messages) N=${2:?}; shift 2 ;;
    --small) SMALL=1; shift ;;
    --list) LIST=1; shift ;;
    --shaped) SHAPED=1; shift ;;
    --seed) SEED=${2:?}; shift 2 ;;
    --runs) RUNS=${2:?}; shift 2 ;;
    --label) LABEL=${2:?}; shift 2 ;;
    --skip-reindex) REINDEX=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "search.sh: unknown argument $1" >&2; usage ;;
  esac
done
if ! [[ $N =~ ^[0-9]+$ ]] || [ "$N" -lt 10 ]; then echo "search.sh: --messages wants a number >= 10" >&2; exit 64; fi
if [ "$SMALL" = 1 ] && [ "$LIST" = 1 ]; then echo "search.sh: --small or --list, not both" >&2; exit 64; fi
KIND=realistic; [ "$SMALL" = 1 ] && KIND=small; [ "$LIST" = 1 ] && KIND=list
[ -n "$LABEL" ] || LABEL=n$N$(case $KIND in small) echo -small ;; list) echo -list ;; esac)$([ "$SHAPED" = 1 ] && echo -shaped || true)
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
CACHE=${BENCH_CACHE:-$ROOT/bench/.cache}
say() { printf '\n== %s\n' "$*" >&2; }
log() { printf '   %s\n' "$*" >&2; }

# shellcheck source=bench/lib/mailsync-binary.sh
. "$ROOT/bench/lib/mailsync-binary.sh"
mailsync_binary search.sh

if [ "$KIND" != realistic ]; then
  MAIL=$CACHE/$KIND-s$SEED-n$N
  if ! { [ -f "$MAIL/.done" ] && [ "$(cat "$MAIL/.done")" = "$N" ]; }; then
    rm -rf "$MAIL"; mkdir -p "$MAIL"
    say "generating $N $KIND messages"
    "$PY" "$ROOT/bench/lib/$KIND-mail.py" --count "$N" --seed "$SEED" --out "$MAIL"
    echo "$N" >"$MAIL/.done"
  fi
else
  # The realistic mix, cached by seed and count like bench/run.sh's and store-size.sh's.
  MAIL=$CACHE/size-s$SEED-n$N
  # shellcheck source=bench/lib/generated-mail.sh
  . "$ROOT/bench/lib/generated-mail.sh"
  generated_mail "$MAIL" "$N" "$SEED"
fi
MAIL_BYTES=$(find "$MAIL" -name '*.eml' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')

# shellcheck source=bench/lib/work-dovecot.sh
. "$ROOT/bench/lib/work-dovecot.sh"
start_work_dovecot search
PORT=$IMAP_PORT COMPRESS=auto LINK="Dovecot on loopback"
if [ "$SHAPED" = 1 ]; then
  "$PY" "$ROOT/bench/netem-proxy.py" --listen 127.0.0.1:0 --target "127.0.0.1:$IMAP_PORT" --delay-ms 25 \
    --rate $((20 * 1000000 / 8)) --port-file "$WORK/proxy.port" 2>"$WORK/proxy.log" &
  PROXY_PID=$!
  bench_stop_extra() { kill -TERM "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; }
  for _ in $(seq 1 200); do [ -s "$WORK/proxy.port" ] && break; sleep 0.05; done
  [ -s "$WORK/proxy.port" ] || { cat "$WORK/proxy.log" >&2; echo "search.sh: proxy did not start" >&2; exit 1; }
  PORT=$(cat "$WORK/proxy.port") COMPRESS=yes
  LINK="Dovecot through bench/netem-proxy.py (50 ms round trip, 20 Mbit/s each way), compress: yes"
fi

account() {  # NAME USER SEARCH -> writes WORK/NAME/mailsync.yaml
  local d=$WORK/$1
  mkdir -p "$d/store"; chmod 700 "$d/store"
  (umask 077; printf '%s\n' "$2-pw" >"$d/password")
  cat >"$d/mailsync.yaml" <<YAML
accounts:
  bench:
    host: 127.0.0.1
    port: $PORT
    tls: none
    compress: $COMPRESS
    user: $2
    password_file: $d/password
    store: $d/store
    mode: pull
    search: $3
YAML
  chmod 600 "$d/mailsync.yaml"
}
# The machine may be shared: besides the wall time, the CPU time of the process (user + system,
# GNU time), which load on other cores does not inflate.
seconds_of() {  # COMMAND... -> "WALL CPU" in seconds, output to WORK/last.log
  /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$@" >"$WORK/last.log" 2>&1
  awk '{ printf "%.3f %.3f", $1, $2 + $3 }' "$WORK/time"
}
wall() { echo "${1% *}"; }
cpu() { echo "${1#* }"; }

say "loading $N messages ($(awk -v b="$MAIL_BYTES" 'BEGIN { printf "%.1f MB", b / 1e6 }')) for two users"
for who in plain indexed; do
  "$ROOT/scripts/load-mail.sh" "$DOVE" "t_search_${who}_$LABEL" INBOX "$MAIL" >/dev/null
  account "$who" "t_search_${who}_$LABEL" "$([ $who = plain ] && echo false || echo true)"
done
PLAIN=("$MAILSYNC" -c "$WORK/plain/mailsync.yaml")
INDEXED=("$MAILSYNC" -c "$WORK/indexed/mailsync.yaml")

say "first sync without the index"
T_PLAIN=$(seconds_of "${PLAIN[@]}" sync); log "wall, CPU: $T_PLAIN s"
say "first sync with the index"
T_INDEXED=$(seconds_of "${INDEXED[@]}" sync); log "wall, CPU: $T_INDEXED s"
T_REINDEX="- -"
if [ "$REINDEX" = 1 ]; then
  say "search --reindex (indexing alone)"
  T_REINDEX=$(seconds_of "${INDEXED[@]}" search --reindex); log "wall, CPU: $T_REINDEX s"
fi
say "no-op sync with the index (nothing changed: the index is compared, not rebuilt)"
T_NOOP=$(seconds_of "${INDEXED[@]}" sync); log "wall, CPU: $T_NOOP s"

BODY_BYTES=$(find "$WORK/indexed/store/bodies" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
INDEX_KB=$(du -sk "$WORK/indexed/store/search" | cut -f1)
MDB=$(stat -c %s "$WORK/indexed/store/data.mdb")
MESSAGES=$("${INDEXED[@]}" --json mailboxes | "$PY" -c 'import json, sys; print(sum(m["messages"] for m in json.load(sys.stdin)))')

QUERIES=(
  "report"
  "from:alice"
  "\"quarterly report\""
  "budget and not flag:seen"
  "subject:meeting or subject:lunch"
  "date:2021-03..2021-04"
  "larger:100k"
  "Grüße"
  "日本語"
  "flag:flagged"
)
RESULTS=$WORK/search.tsv
printf 'query\tmedian_wall_ms\tmedian_cpu_ms\tmatches\n' >"$RESULTS"
median_ms() { sort -n | awk '{ a[NR] = $1 } END { printf "%.0f", a[int((NR + 1) / 2)] * 1000 }'; }
say "queries, $RUNS runs each"
for query in "${QUERIES[@]}"; do
  walls=() cpus=()
  for _ in $(seq "$RUNS"); do
    t=$(seconds_of "${INDEXED[@]}" search --limit 50 "$query")
    walls+=("$(wall "$t")") cpus+=("$(cpu "$t")")
  done
  wall_ms=$(printf '%s\n' "${walls[@]}" | median_ms)
  cpu_ms=$(printf '%s\n' "${cpus[@]}" | median_ms)
  matches=$("${INDEXED[@]}" --json search "$query" | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))')
  log "$query: $wall_ms ms wall, $cpu_ms ms CPU, $matches matches"
  printf '%s\t%s\t%s\t%s\n' "$query" "$wall_ms" "$cpu_ms" "$matches" >>"$RESULTS"
done
say "a local command (flag one message; the index follows at once)"
FIRST_ID=$("${INDEXED[@]}" --json search --limit 1 report | "$PY" -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
T_FLAG=$(seconds_of "${INDEXED[@]}" flag INBOX "$FIRST_ID" +flagged); log "wall, CPU: $T_FLAG s"

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
OUT=$ROOT/bench/results/$(date -u +%F)-search-$LABEL.md
{
  echo "# Search index: $MESSAGES messages ($LABEL)"
  echo
  echo "\`bench/search.sh $ARGS\` on $(date -u '+%F %H:%M UTC'), mailsync ${MAILSYNC_REV:-$(git -C "$ROOT" rev-parse --short HEAD)}," \
       "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $LINK, pull mode."
  echo "Mail: $(mb "$MAIL_BYTES") in $N messages ($(case $KIND in small) echo "bench/lib/small-mail.py: small text-only" ;; list) echo "bench/lib/list-mail.py: mailing-list plain text" ;; *) echo "scripts/generate-mail.py: the realistic mix" ;; esac))."
  echo
  echo "| | wall | CPU (user + system) |"
  echo "|---|---:|---:|"
  echo "| first sync without the index | $(wall "$T_PLAIN") s | $(cpu "$T_PLAIN") s |"
  echo "| first sync with the index | $(wall "$T_INDEXED") s ($(ratio "$(wall "$T_INDEXED")" "$(wall "$T_PLAIN")")×; target ≤ 1.3×) | $(cpu "$T_INDEXED") s ($(ratio "$(cpu "$T_INDEXED")" "$(cpu "$T_PLAIN")")×) |"
  echo "| \`search --reindex\` (indexing alone) | $(wall "$T_REINDEX") s | $(cpu "$T_REINDEX") s |"
  echo "| no-op sync with the index | $(wall "$T_NOOP") s | $(cpu "$T_NOOP") s |"
  echo "| \`flag\` of one message, the index following | $(wall "$T_FLAG") s | $(cpu "$T_FLAG") s |"
  echo
  echo "| | |"
  echo "|---|---:|"
  echo "| body files | $(mb "$BODY_BYTES") |"
  echo "| index (\`du\` of store/search) | $(mb $((INDEX_KB * 1024))) ($(awk -v a="$((INDEX_KB * 1024))" -v b="$BODY_BYTES" 'BEGIN { printf "%.0f %%", 100 * a / b }') of the mail; target ≤ 30 %) |"
  echo "| data.mdb | $(mb "$MDB") |"
  echo
  echo "Queries (\`mailsync search --limit 50 QUERY\`: the whole process, start-up, opening the store and the"
  echo "index, printing the newest 50; median of $RUNS; target ≤ 50 ms at 100 000 messages):"
  echo
  echo "| query | wall | CPU | matches |"
  echo "|---|---:|---:|---:|"
  tail -n +2 "$RESULTS" | while IFS=$'\t' read -r query wall_ms cpu_ms matches; do
    echo "| \`$query\` | $wall_ms ms | $cpu_ms ms | $matches |"
  done
} | tee "$OUT"
say "written to ${OUT#"$ROOT"/}"

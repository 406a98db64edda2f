#!/usr/bin/env bash
# The search index's costs (issue 13's targets): the first sync with indexing against without it,
# the time of queries, and the index's size against the mail's — see bench/README.md and
# bench/results/*-search-*.md.
#
#   bench/search.sh [--messages 3000] [--small [--fill]] [--list] [--shaped] [--queries-only] [--seed S]
#                   [--runs 5] [--label L] [--keep]
#
#   --messages N   messages in the account's INBOX (default 3000)
#   --small        small text-only messages (bench/lib/small-mail.py, 0.5-3 KB: the worst case for
#                  the index's size, and fast to make at 100 000) instead of generate-mail.py's
#                  realistic mix (2-50 KB text, HTML alternatives, 5% with attachments of up to 4 MB)
#   --fill         with --small: the messages written straight into Dovecot's Maildir
#                  (bench/lib/fill-maildir.py, as bench/scale.sh does; the same bytes as small-mail.py's,
#                  flags by message number) instead of .eml files in the cache loaded by
#                  scripts/load-mail.sh: no copy of 100 000 files in between
#   --list         mailing-list plain text (bench/lib/list-mail.py, ~11 KB a message: bench/run.sh's
#                  text-heavy account, the most text to index per byte of mail)
#   --shaped       the syncs through bench/netem-proxy.py emulating bench/run.sh's WAN (50 ms round
#                  trip, 20 Mbit/s each way, shared), with `compress: yes`: a pull that waits for
#                  the network, as most do
#   --seed S       generator seed (default 42)
#   --runs R       times each query is run; the table gives the median (default 5)
#   --skip-reindex do not time `search --reindex` (indexing alone): saves its time at 100 000
#   --queries-only only the account with the index: its first sync, the no-op sync, the queries and
#                  the sizes (no sync without the index, no --reindex): the query figures at 100 000
#                  in a third of the time
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
# process, start-up, opening the store and the index, printing; bench/lib/time-runs.py, to 0.1 ms),
# then once with -v for what the program says of its own parts (checking that the index is
# current, the query), a `flag` of one message, and the sizes: body files, data.mdb, the index
# directory. Times are wall and CPU (user + system; the syncs: GNU time).
set -euo pipefail
trap 'echo "search.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=3000 SEED=42 KEEP=0 SMALL=0 LIST=0 SHAPED=0 RUNS=5 LABEL= REINDEX=1 FILL=0 QUERIES_ONLY=0 ARGS="$*"
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
    --fill) FILL=1; shift ;;
    --queries-only) QUERIES_ONLY=1; REINDEX=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "search.sh: unknown argument $1" >&2; usage ;;
  esac
done
if ! [[ $N =~ ^[0-9]+$ ]] || [ "$N" -lt 10 ]; then echo "search.sh: --messages wants a number >= 10" >&2; exit 64; fi
if [ "$SMALL" = 1 ] && [ "$LIST" = 1 ]; then echo "search.sh: --small or --list, not both" >&2; exit 64; fi
if [ "$FILL" = 1 ] && [ "$SMALL" = 0 ]; then echo "search.sh: --fill writes --small's messages only" >&2; exit 64; fi
KIND=realistic; [ "$SMALL" = 1 ] && KIND=small; [ "$LIST" = 1 ] && KIND=list
[ -n "$LABEL" ] || LABEL=n$N$(case $KIND in small) echo -small ;; list) echo -list ;; esac)$([ "$SHAPED" = 1 ] && echo -shaped || true)
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
CACHE=${BENCH_CACHE:-$ROOT/bench/.cache}
say() { printf '\n== %s\n' "$*" >&2; }
log() { printf '   %s\n' "$*" >&2; }

# shellcheck source=bench/lib/mailsync-binary.sh
. "$ROOT/bench/lib/mailsync-binary.sh"
mailsync_binary search.sh

if [ "$FILL" = 1 ]; then
  MAIL=   # written into the Maildir below
elif [ "$KIND" != realistic ]; then
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
sum_sizes() { awk '{ s += $1 } END { print s + 0 }'; }
[ -z "$MAIL" ] || MAIL_BYTES=$(find "$MAIL" -name '*.eml' -printf '%s\n' | sum_sizes)

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

# --fill: small-mail.py's messages straight into the user's INBOX (bench/lib/fill-maildir.py), then
# one doveadm call that makes Dovecot assign the UIDs.
fill_user() {  # USER
  local path owner=
  "${DA[@]}" mailbox status -u "$1" messages INBOX >/dev/null   # creates INBOX
  path=$("${DA[@]}" mailbox path -u "$1" INBOX)
  [ "$(id -u)" -ne 0 ] || owner=$(id -u "${DOVECOT_FIXTURE_MAIL_USER:-mail}"):$(id -g "${DOVECOT_FIXTURE_MAIL_USER:-mail}")
  "$PY" "$ROOT/bench/lib/fill-maildir.py" --count "$N" --seed "$SEED" --maildir "$path" ${owner:+--owner "$owner"} >/dev/null
  "${DA[@]}" mailbox status -u "$1" messages INBOX >/dev/null
  MAIL_BYTES=$(find "$path/cur" -type f -printf '%s\n' | sum_sizes)
}
WHO=(plain indexed); [ "$QUERIES_ONLY" = 0 ] || WHO=(indexed)
say "loading $N messages for ${#WHO[@]} user(s)"
for who in "${WHO[@]}"; do
  if [ "$FILL" = 1 ]; then fill_user "t_search_${who}_$LABEL"
  else "$ROOT/scripts/load-mail.sh" "$DOVE" "t_search_${who}_$LABEL" INBOX "$MAIL" >/dev/null; fi
  account "$who" "t_search_${who}_$LABEL" "$([ $who = plain ] && echo false || echo true)"
done
log "$(awk -v b="$MAIL_BYTES" 'BEGIN { printf "%.1f MB", b / 1e6 }') of mail a user"
PLAIN=("$MAILSYNC" -c "$WORK/plain/mailsync.yaml")
INDEXED=("$MAILSYNC" -c "$WORK/indexed/mailsync.yaml")

T_PLAIN="- -"
if [ "$QUERIES_ONLY" = 0 ]; then
  say "first sync without the index"
  T_PLAIN=$(seconds_of "${PLAIN[@]}" sync); log "wall, CPU: $T_PLAIN s"
fi
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
printf 'query\tmedian_wall_ms\tmedian_cpu_ms\tmin_wall_ms\tmax_wall_ms\tcheck_ms\tquery_ms\tmatches\n' >"$RESULTS"
say "queries, $RUNS runs each"
LOAD_QUERIES=$(cut -d' ' -f1-3 /proc/loadavg)
for query in "${QUERIES[@]}"; do
  read -r wall_ms cpu_ms min_ms max_ms < <("$PY" "$ROOT/bench/lib/time-runs.py" "$RUNS" -- "${INDEXED[@]}" search --limit 50 "$query")
  # What the program says of its parts (-v): "the index checked ... in X ms, the query run in Y ms".
  parts=$("${INDEXED[@]}" -v search --limit 50 "$query" 2>&1 >/dev/null | sed -n 's/.*checked.* in \([0-9.]*\) ms, the query run in \([0-9.]*\) ms.*/\1 \2/p')
  matches=$("${INDEXED[@]}" --json search "$query" | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))')
  log "$query: $wall_ms ms wall ($min_ms-$max_ms), $cpu_ms ms CPU; check, query: ${parts:-? ?} ms; $matches matches"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$query" "$wall_ms" "$cpu_ms" "$min_ms" "$max_ms" "${parts% *}" "${parts#* }" "$matches" >>"$RESULTS"
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
  echo "Mail: $(mb "$MAIL_BYTES") in $N messages ($(case $KIND in small) echo "bench/lib/small-mail.py: small text-only$([ "$FILL" = 1 ] && echo ", written into the Maildir by fill-maildir.py" || true)" ;; list) echo "bench/lib/list-mail.py: mailing-list plain text" ;; *) echo "scripts/generate-mail.py: the realistic mix" ;; esac))."
  echo
  echo "| | wall | CPU (user + system) |"
  echo "|---|---:|---:|"
  [ "$QUERIES_ONLY" = 1 ] || echo "| first sync without the index | $(wall "$T_PLAIN") s | $(cpu "$T_PLAIN") s |"
  if [ "$QUERIES_ONLY" = 0 ]; then
    echo "| first sync with the index | $(wall "$T_INDEXED") s ($(ratio "$(wall "$T_INDEXED")" "$(wall "$T_PLAIN")")×; target ≤ 1.3×) | $(cpu "$T_INDEXED") s ($(ratio "$(cpu "$T_INDEXED")" "$(cpu "$T_PLAIN")")×) |"
  else
    echo "| first sync with the index | $(wall "$T_INDEXED") s | $(cpu "$T_INDEXED") s |"
  fi
  [ "$REINDEX" = 0 ] || echo "| \`search --reindex\` (indexing alone) | $(wall "$T_REINDEX") s | $(cpu "$T_REINDEX") s |"
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
  echo "index, printing the newest 50; median of $RUNS, and the fastest and slowest run; load average"
  echo "$LOAD_QUERIES when they began; target ≤ 50 ms at 100 000 messages). \"check\" and \"query\" are what"
  echo "the program says of itself with -v in one more run: the test that the index is current, and the query."
  echo
  echo "| query | wall | CPU | wall, fastest–slowest | check | query | matches |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  tail -n +2 "$RESULTS" | while IFS=$'\t' read -r query wall_ms cpu_ms min_ms max_ms check_ms query_ms matches; do
    echo "| \`$query\` | $wall_ms ms | $cpu_ms ms | $min_ms–$max_ms ms | $check_ms ms | $query_ms ms | $matches |"
  done
} | tee "$OUT"
say "written to ${OUT#"$ROOT"/}"

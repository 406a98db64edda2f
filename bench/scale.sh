#!/usr/bin/env bash
# One large mailbox, mailsync beside mbsync (issue 15, targets 3 and 5) — see bench/README.md.
#
#   bench/scale.sh [--messages 30000,100000] [--mbsync-max N] [--changes 100,1000] [--runs 5]
#                  [--seed S] [--label L] [--keep]
#
#   --messages    comma-separated sizes; each is one account whose INBOX holds that many messages
#                 (the smallest is the reference the others are compared with)
#   --mbsync-max  mbsync runs beside mailsync on the sizes up to N (default: all of them)
#   --changes     change rounds after the no-op resync: for each C, another client (doveadm) adds
#                 \Answered to C messages and expunges C others, spread evenly over the mailbox
#   --runs        runs of each local command (`list --limit 50 INBOX`, `status`); the median is shown
#   --label       results go to bench/results/<date>-scale-<label>.md (default: the largest size)
#   --keep        keep the work directory (Dovecot, mail, stores, logs)
# Environment: MAILSYNC (the binary; default BUILD_DIR/cli/mailsync, BUILD_DIR default build-bench,
#   built with -j2 when missing), BENCH_WORK (work directory; default a new /tmp/mailsync-scale.XXXXXX).
#
# The mail is bench/lib/small-mail.py's (0.5-3 KB text/plain), written straight into the throwaway
# Dovecot's Maildir (bench/lib/fill-maildir.py), then indexed by one `doveadm mailbox status`: at a
# million messages an IMAP APPEND or a cache of .eml files would take longer than the benchmark.
# Each tool has its own identically filled user. mailsync runs with `mode: pull`, `search: false`
# (the full-text index is measured by bench/search.sh), `tls: none`; mbsync with the configuration of
# bench/run.sh. Phases: first sync, no-op resync, then one resync per change round. Every sync goes
# through bench/netem-proxy.py (no delay, no rate limit), which counts the bytes, and runs under
# `/usr/bin/time -f %M` (peak RSS) inside bench/lib/sample-rss.py (the peaks of RssAnon, RssFile and
# of the resident part of data.mdb, sampled every 50 ms, every 5 ms in the first 0.25 s).
set -euo pipefail
trap 'echo "scale.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
SIZES=30000,100000 MBSYNC_MAX= CHANGE_ROUNDS=100,1000 RUNS=5 SEED=42 LABEL= KEEP=0
usage() { sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-64}"; }
while [ $# -gt 0 ]; do
  case $1 in
    --messages) SIZES=${2:?}; shift 2 ;;
    --mbsync-max) MBSYNC_MAX=${2:?}; shift 2 ;;
    --changes) CHANGE_ROUNDS=${2:?}; shift 2 ;;
    --runs) RUNS=${2:?}; shift 2 ;;
    --seed) SEED=${2:?}; shift 2 ;;
    --label) LABEL=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "scale.sh: unknown argument $1" >&2; usage ;;
  esac
done
IFS=, read -r -a NS <<<"$SIZES"
IFS=, read -r -a ROUNDS <<<"$CHANGE_ROUNDS"
for n in "${NS[@]}" "${ROUNDS[@]}" "$RUNS" ${MBSYNC_MAX:+"$MBSYNC_MAX"}; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "scale.sh: not a number: $n" >&2; exit 64; }
done
largest=0; for n in "${NS[@]}"; do [ "$n" -gt "$largest" ] && largest=$n; done
MBSYNC_MAX=${MBSYNC_MAX:-$largest}
LABEL=${LABEL:-n$largest}
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
BINARY_NOTE="the tree's build"; [ -z "${MAILSYNC:-}" ] || BINARY_NOTE="the binary MAILSYNC named, which may be another commit's build"
say() { printf '\n== %s\n' "$*" >&2; }
log() { printf '   %s\n' "$*" >&2; }

if ! command -v mbsync >/dev/null || [ ! -x /usr/bin/time ]; then "$ROOT/scripts/install-deps.sh" --bench >&2; fi
# shellcheck source=bench/lib/mailsync-binary.sh
. "$BENCH/lib/mailsync-binary.sh"
mailsync_binary scale.sh
# shellcheck source=bench/lib/mbsync-config.sh
. "$BENCH/lib/mbsync-config.sh"
# shellcheck source=bench/lib/local-count.sh
. "$BENCH/lib/local-count.sh"

PROXY_PID= LOAD_PID=
bench_stop_extra() {
  [ -z "$PROXY_PID" ] || { kill -TERM "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; }
  [ -z "$LOAD_PID" ] || { kill -TERM "$LOAD_PID" 2>/dev/null || true; wait "$LOAD_PID" 2>/dev/null || true; }
}
# shellcheck source=bench/lib/work-dovecot.sh
. "$BENCH/lib/work-dovecot.sh"
# Dovecot's imap process keeps a Maildir's uidlist in memory: at a million messages it needs more
# than the fixture's default 256 MB ("Out of memory (service imap { vsz_limit=256 MB })").
EXTRA_CONF=$(mktemp /tmp/mailsync-scale-dovecot.XXXXXX.conf)
printf 'service imap {\n  vsz_limit = 4G\n}\n' >"$EXTRA_CONF"
export DOVECOT_FIXTURE_EXTRA_CONF=$EXTRA_CONF
start_work_dovecot scale
rm -f "$EXTRA_CONF"
mkdir -p "$WORK/logs" "$WORK/acct"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
while sleep 10; do cut -d' ' -f1 /proc/loadavg; done >"$WORK/load.log" 2>/dev/null &
LOAD_PID=$!

user_of() { echo "t_scale_$1_n$2"; }  # TOOL N

# ---------------------------------------------------------------------------------------------
# The mail, straight into each user's INBOX.
fill_user() {  # USER N
  local u=$1 n=$2 path t0 t1 owner=
  "${DA[@]}" mailbox status -u "$u" messages INBOX >/dev/null   # creates INBOX
  "${DA[@]}" mailbox status -u "$u" messages INBOX >/dev/null
  path=$("${DA[@]}" mailbox path -u "$u" INBOX)
  [ "$(id -u)" -ne 0 ] || owner=$(id -u "${DOVECOT_FIXTURE_MAIL_USER:-mail}"):$(id -g "${DOVECOT_FIXTURE_MAIL_USER:-mail}")
  t0=$(date +%s.%N)
  "$PY" "$BENCH/lib/fill-maildir.py" --count "$n" --seed "$SEED" --maildir "$path" ${owner:+--owner "$owner"} >/dev/null
  t1=$(date +%s.%N)
  "${DA[@]}" mailbox status -u "$u" messages INBOX >/dev/null    # Dovecot assigns the UIDs, indexes
  log "$u: $n messages written in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", b - a}') s, indexed by Dovecot in $(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}') s ($(du -sh "$path" | cut -f1))"
}
server_count() { "${DA[@]}" mailbox status -u "$1" messages INBOX | awk -F= '{print $NF + 0}'; }

write_configs() {  # USER PORT
  local u=$1 port=$2 d=$WORK/acct/$1
  mkdir -p "$d"
  (umask 077; printf '%s\n' "$u-pw" >"$d/password")
  cat >"$d/mailsync.yaml" <<EOF
# bench/scale.sh: mailsync, pull mirror of $u through the counting proxy
accounts:
  scale:
    host: 127.0.0.1
    port: $port
    tls: none
    user: $u
    password_file: $d/password
    store: $d/store
    mode: pull
    search: false
EOF
  chmod 600 "$d/mailsync.yaml"
  write_mbsyncrc "$d/mbsyncrc" "$port" "$u" "$d/password" "$d/maildir" \
    "$(printf 'Create Near\nExpunge Near\nSync Pull\nCopyArrivalDate yes')"
}

start_proxy() {
  rm -f "$WORK/proxy.port" "$WORK/proxy.json"
  "$PY" "$BENCH/netem-proxy.py" --listen 127.0.0.1:0 --target "127.0.0.1:$IMAP_PORT" --delay-ms 0 --rate 0 \
    --port-file "$WORK/proxy.port" --stats-file "$WORK/proxy.json" 2>"$WORK/proxy.log" &
  PROXY_PID=$!
  local i
  for i in $(seq 1 200); do [ -s "$WORK/proxy.port" ] && break; sleep 0.05; done
  [ -s "$WORK/proxy.port" ] || { cat "$WORK/proxy.log" >&2; echo "scale.sh: proxy did not start" >&2; exit 1; }
  PROXY_PORT=$(cat "$WORK/proxy.port")
}
stop_proxy() {  # -> BYTES_UP BYTES_DOWN
  kill -TERM "$PROXY_PID" 2>/dev/null || true
  wait "$PROXY_PID" 2>/dev/null || true
  PROXY_PID=
  read -r BYTES_UP BYTES_DOWN < <("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["client_to_server"], d["server_to_client"])' "$WORK/proxy.json") || true
  BYTES_UP=${BYTES_UP:-?} BYTES_DOWN=${BYTES_DOWN:-?}
}

RESULTS=$WORK/scale.tsv
printf 'messages\ttool\tphase\tstatus\twall_s\tbytes_up\tbytes_down\tpeak_rss_kb\tpeak_rss_anon_kb\tpeak_rss_file_kb\tpeak_data_mdb_kb\tlocal_msgs\tserver_msgs\tdata_mdb_kb\tload1\n' >"$RESULTS"
measure() {  # N TOOL PHASE
  local n=$1 tool=$2 phase=$3 u d cmd sample maxrss anon file mdb wall rc status lc sc size=
  u=$(user_of "$tool" "$n") d=$WORK/acct/$(user_of "$tool" "$n")
  start_proxy
  write_configs "$u" "$PROXY_PORT"
  if [ "$tool" = mbsync ]; then cmd=(mbsync -q -c "$d/mbsyncrc" -a)
  else cmd=("$MAILSYNC" -c "$d/mailsync.yaml" -q sync); fi
  rm -f "$WORK/time.out"
  sample=$("$PY" "$BENCH/lib/sample-rss.py" --interval 0.05 --dense-start 0.25 --child --mapping /data.mdb \
    --log "$WORK/logs/$n-$tool-$phase.log" -- /usr/bin/time -f '%M' -o "$WORK/time.out" "${cmd[@]}") || sample=
  stop_proxy
  read -r _ _ anon file mdb wall rc <<<"$sample" || true
  [[ ${rc:-} =~ ^-?[0-9]+$ ]] || rc=125
  maxrss=$(grep -E '^[0-9]+$' "$WORK/time.out" 2>/dev/null | tail -n 1 || true)
  if [ "$rc" -eq 0 ]; then status=ok; else status="failed: exit $rc"; fi
  lc=$(local_count "$tool" "$u") sc=$(server_count "$u")
  [ "$tool" = mbsync ] || size=$(du -k "$d/store/data.mdb" | cut -f1)
  log "$(printf '%7s %-8s %-12s %s: %s s, up %s B, down %s B, peak RSS %s KB (RssAnon %s, RssFile %s, data.mdb %s), messages %s / %s' \
    "$n" "$tool" "$phase" "$status" "${wall:-?}" "$BYTES_UP" "$BYTES_DOWN" "${maxrss:-?}" "${anon:-?}" "${file:-?}" "${mdb:--}" "$lc" "$sc")"
  [ "$status" = ok ] || tail -n 5 "$WORK/logs/$n-$tool-$phase.log" | sed 's/^/      /' >&2
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$tool" "$phase" "$status" "${wall:-}" \
    "$BYTES_UP" "$BYTES_DOWN" "${maxrss:-}" "${anon:-}" "${file:-}" "${mdb:--}" "$lc" "$sc" "${size:--}" \
    "$(cut -d' ' -f1 /proc/loadavg)" >>"$RESULTS"
}

# Another client: \Answered on C messages, C others expunged, both spread evenly over the mailbox
# (the same positions for every user of a size).
change_account() {  # USER C
  local u=$1 c=$2 sets add gone
  sets=$("${DA[@]}" search -u "$u" mailbox INBOX all | "$PY" -c '
import sys
c = int(sys.argv[1])
uids = [int(line.split()[1]) for line in sys.stdin if line.strip()]
m = len(uids)
add = [uids[int((j + 0.37) * m / c)] for j in range(c)]
gone = [uids[int((j + 0.73) * m / c)] for j in range(c)]
print(",".join(map(str, add)), ",".join(map(str, gone)))' "$c")
  read -r add gone <<<"$sets"
  "${DA[@]}" flags add -u "$u" '\Answered' mailbox INBOX uid "$add"
  "${DA[@]}" expunge -u "$u" mailbox INBOX uid "$gone"
}

# Local commands, read from the store only: the median of RUNS runs, in ms, and the last run's %M.
LOCAL=$WORK/local.tsv
printf 'messages\tcommand\tmedian_ms\tmin_ms\tmax_ms\tpeak_rss_kb\n' >"$LOCAL"
time_local() {  # N NAME ARGS...
  local n=$1 name=$2; shift 2
  local cfg; cfg=$WORK/acct/$(user_of mailsync "$n")/mailsync.yaml
  local i t0 t1 ms=() rss
  for i in $(seq 1 "$RUNS"); do
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$WORK/time.out" "$MAILSYNC" -c "$cfg" "$@" >"$WORK/logs/$n-local-$name.out" 2>&1 \
      || log "mailsync $* exited $?"
    t1=$(date +%s%N)
    ms+=("$(( (t1 - t0) / 1000000 ))")
  done
  rss=$(grep -E '^[0-9]+$' "$WORK/time.out" | tail -n 1)
  read -r med lo hi < <(printf '%s\n' "${ms[@]}" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)], v[1], v[NR]}')
  log "$(printf '%7s %-22s median %s ms (%s-%s), peak RSS %s KB' "$n" "$name" "$med" "$lo" "$hi" "$rss")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$name" "$med" "$lo" "$hi" "$rss" >>"$LOCAL"
}

for n in "${NS[@]}"; do
  tools=(mailsync); [ "$n" -le "$MBSYNC_MAX" ] && tools+=(mbsync)
  say "$n messages: ${tools[*]}"
  for tool in "${tools[@]}"; do fill_user "$(user_of "$tool" "$n")" "$n"; done
  for tool in "${tools[@]}"; do measure "$n" "$tool" first; done
  for tool in "${tools[@]}"; do measure "$n" "$tool" noop; done
  time_local "$n" 'list --limit 50' list --limit 50 INBOX
  time_local "$n" status status
  for c in "${ROUNDS[@]}"; do
    for tool in "${tools[@]}"; do change_account "$(user_of "$tool" "$n")" "$c"; done
    for tool in "${tools[@]}"; do measure "$n" "$tool" "changes $c+$c"; done
  done
  # The generated mail and the mirrors of this size are not needed any more (a million messages
  # take ~4 GB and 2-3 million inodes per copy).
  if [ "$KEEP" = 0 ]; then
    for tool in "${tools[@]}"; do
      u=$(user_of "$tool" "$n")
      rm -rf "$WORK/acct/$u" "$DOVE/mail/$u"
    done
  fi
done

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
kill -TERM "$LOAD_PID" 2>/dev/null || true; wait "$LOAD_PID" 2>/dev/null || true; LOAD_PID=
LOAD_DURING=$(awk '{s += $1; n++; if (n == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1}
  END {if (n) printf "%.1f-%.1f, mean %.1f", lo, hi, s / n; else print "not sampled"}' "$WORK/load.log")

OUTDIR=$ROOT/bench/results
mkdir -p "$OUTDIR"
OUT=$OUTDIR/$(date -u +%Y-%m-%d)-scale-$LABEL.md
cp "$RESULTS" "${OUT%.md}.tsv"
cp "$LOCAL" "${OUT%.md}-local.tsv"
{
  "$PY" "$BENCH/lib/scale-table.py" "$RESULTS" "$LOCAL" \
    --command "bench/scale.sh --messages $SIZES --mbsync-max $MBSYNC_MAX --changes $CHANGE_ROUNDS --runs $RUNS --seed $SEED" \
    --machine "$(nproc) cores, $(uname -sr); tree $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' with uncommitted changes') ($BINARY_NOTE: $("$MAILSYNC" --version 2>/dev/null | head -n 1)); $(mbsync --version 2>/dev/null | head -n 1); Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1)" \
    --load "load average $LOAD_START at the start, $LOAD_END at the end; 1-minute load during the runs $LOAD_DURING"
} >"$OUT"
cat "$OUT"
echo "scale.sh: wrote $OUT" >&2

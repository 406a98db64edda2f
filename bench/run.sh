#!/usr/bin/env bash
# mailsync vs mbsync (isync) against a throwaway local Dovecot — see bench/README.md.
#
#   bench/run.sh [--messages N] [--text-messages T] [--quick] [--seed S] [--label L]
#                [--links loopback,shaped] [--rtt-ms 50] [--rate-mbit 20] [--keep]
#
#   --messages N   size of the attachment-heavy account (default 2000); a second one has N/10
#   --text-messages T   size of the text-heavy account (mailing-list plain text; default 3000; 0: none)
#   --quick        N=500, T=300: a smoke run of the whole procedure (a few minutes)
#   --links        which passes to run (default loopback,shaped)
#   --rtt-ms, --rate-mbit   the emulated link of the shaped pass (default 50 ms, 20 Mbit/s each way)
#   --keep         keep the work directory (Dovecot's mail, the local stores, logs)
# Environment: BUILD_DIR (default build-bench), or MAILSYNC (a binary; FAULT_PROXY the proxy's, else the
#   python proxy counts on loopback too), BENCH_CACHE (generated mail; default bench/.cache),
#   BENCH_PROXY=auto|fault|python (auto: fault-proxy for loopback if built, python for shaped),
#   BENCH_WORK (work directory; default a new /tmp/mailsync-bench.XXXXXX),
#   BENCH_MAILSYNC_CONFIG (more lines for mailsync's account, e.g. "search: false"; the results say so).
#
# Prints a Markdown table and writes it, with the machine's description, to
# bench/results/<date>-<label>.md (raw numbers in the .tsv beside it).
# A tool that cannot run (mailsync failed to build, or a resync without a successful first sync) gets "not available", never a number.
set -euo pipefail
trap 'echo "run.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
N=2000 TEXT=3000 SEED=42 LABEL='' LINKS=loopback,shaped RTT_MS=50 RATE_MBIT=20 KEEP=0 QUICK=0
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 64; }
while [ $# -gt 0 ]; do
  case $1 in
    --messages) N=${2:?}; shift 2 ;;
    --text-messages) TEXT=${2:?}; shift 2 ;;
    --quick) QUICK=1; N=500; TEXT=300; shift ;;
    --seed) SEED=${2:?}; shift 2 ;;
    --label) LABEL=${2:?}; shift 2 ;;
    --links) LINKS=${2:?}; shift 2 ;;
    --rtt-ms) RTT_MS=${2:?}; shift 2 ;;
    --rate-mbit) RATE_MBIT=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument $1" >&2; usage ;;
  esac
done
if ! [[ $N =~ ^[0-9]+$ ]] || [ "$N" -lt 100 ]; then echo "run.sh: --messages wants a number >= 100" >&2; exit 64; fi
if ! [[ $TEXT =~ ^[0-9]+$ ]]; then echo "run.sh: --text-messages wants a number" >&2; exit 64; fi
[ -n "$LABEL" ] || { if [ $QUICK = 1 ]; then LABEL=quick; else LABEL=n$N; fi; }
SMALL=$((N / 10))
BUILD=${BUILD_DIR:-$ROOT/build-bench}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CACHE=${BENCH_CACHE:-$BENCH/.cache}
PROXY_KIND=${BENCH_PROXY:-auto}
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
say() { printf '\n== %s\n' "$*" >&2; }
log() { printf '   %s\n' "$*" >&2; }

# Mailboxes of the generated accounts and their share of the messages (percent).
BOXES=("INBOX 40" "Archive 30" "Sent 12" "Lists/dev 10" "Projects/2024.Q1 5" "Trash 3")
TEXT_BOXES=("INBOX 60" "Lists/dev 40")
SIZES=(big small); [ "$TEXT" -gt 0 ] && SIZES+=(text)
boxes_of() {  # SIZE: the mailbox specs of that account, one a line
  if [ "$1" = text ]; then printf '%s\n' "${TEXT_BOXES[@]}"; else printf '%s\n' "${BOXES[@]}"; fi
}

# ---------------------------------------------------------------------------------------------
say "dependencies"
"$ROOT/scripts/install-deps.sh" --bench
if [ ! -x /usr/bin/time ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq time
fi
command -v mbsync >/dev/null || { echo "run.sh: no mbsync after installing isync" >&2; exit 69; }

MAILSYNC_WHY=
if [ -n "${MAILSYNC:-}" ]; then
  # A binary built elsewhere (e.g. while a build of BUILD_DIR runs): nothing is built here.
  [ -x "$MAILSYNC" ] || { echo "run.sh: MAILSYNC=$MAILSYNC is not an executable" >&2; exit 69; }
  say "mailsync: $MAILSYNC (not built by run.sh)"
  FAULT_PROXY=${FAULT_PROXY:-}
  build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$MAILSYNC")/../CMakeCache.txt" 2>/dev/null || true)
  MAILSYNC_DESC="given in MAILSYNC, a ${build_type:-build of unknown type}"
else
  say "building mailsync in $BUILD (Release)"
  MAILSYNC=$BUILD/cli/mailsync MAILSYNC_DESC="Release, in $(basename "$BUILD")/"
  if [ ! -f "$BUILD/build.ninja" ]; then
    mkdir -p "$BUILD"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$BUILD/bench-configure.log" 2>&1 \
      || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMAILSYNC_TESTS=OFF >/dev/null 2>&1 || true
  fi
  if ! cmake --build "$BUILD" --target mailsync -j 2 >"$BUILD/bench-build.log" 2>&1 || [ ! -x "$MAILSYNC" ]; then
    grep -m 5 -E "error|FAILED" "$BUILD/bench-build.log" | sed 's/^/   /' >&2 || true
    MAILSYNC_WHY="mailsync does not build"
    log "$MAILSYNC_WHY (log: $BUILD/bench-build.log): its rows will say not available"
  fi
  FAULT_PROXY=$BUILD/tests/fault/fault-proxy
  cmake --build "$BUILD" --target fault-proxy -j 2 >"$BUILD/bench-build-proxy.log" 2>&1 || true
  [ -x "$FAULT_PROXY" ] || FAULT_PROXY=
fi

# ---------------------------------------------------------------------------------------------
# Generated mail, cached by seed and count: CACHE/s<SEED>-n<N>/<box>/ and .../small/<box>/ (the first
# tenth of each mailbox, hard links).
say "generated mail (cache $CACHE)"
MAILDIR_SRC=$CACHE/s$SEED-n$N
box_dir() { echo "${1//\//_}"; }
box_count() { local share=$2 total=$1; local c=$((total * share / 100)); [ "$c" -ge 1 ] || c=1; echo "$c"; }
gen_box() {  # INDEX NAME SHARE
  local dir count
  dir=$MAILDIR_SRC/$(box_dir "$2")
  count=$(box_count "$N" "$3")
  if [ -f "$dir/.done" ] && [ "$(cat "$dir/.done")" = "$count" ]; then return 0; fi
  rm -rf "$dir"
  "$ROOT/scripts/generate-mail.py" --count "$count" --seed $((SEED * 100 + $1)) --out "$dir" \
    --attachments-percent 5 --max-attachment-mb 4 2>&1 | sed 's/^/   /' >&2
  echo "$count" >"$dir/.done"
}
mkdir -p "$MAILDIR_SRC"
pids=() i=0
for spec in "${BOXES[@]}"; do
  read -r name share <<<"$spec"
  gen_box "$i" "$name" "$share" & pids+=($!)
  i=$((i + 1))
  if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done
for spec in "${BOXES[@]}"; do
  read -r name share <<<"$spec"
  src=$MAILDIR_SRC/$(box_dir "$name") dst=$MAILDIR_SRC/small/$(box_dir "$name")
  count=$(box_count "$SMALL" "$share")
  if [ -f "$dst/.done" ] && [ "$(cat "$dst/.done")" = "$count" ]; then continue; fi
  rm -rf "$dst"; mkdir -p "$dst"
  find "$src" -maxdepth 1 -name '*.eml' | sort | awk -v n="$count" 'NR <= n' | xargs -r ln -t "$dst"
  echo "$count" >"$dst/.done"
done
# The text-heavy account: mailing-list plain text (bench/lib/list-mail.py), cached by seed and count.
TEXT_SRC=$CACHE/text-s$SEED-n$TEXT
if [ "$TEXT" -gt 0 ]; then
  i=0
  for spec in "${TEXT_BOXES[@]}"; do
    read -r name share <<<"$spec"
    dir=$TEXT_SRC/$(box_dir "$name") count=$(box_count "$TEXT" "$share")
    if ! { [ -f "$dir/.done" ] && [ "$(cat "$dir/.done")" = "$count" ]; }; then
      rm -rf "$dir"
      "$PY" "$BENCH/lib/list-mail.py" --count "$count" --seed $((SEED * 100 + 50 + i)) --out "$dir"
      echo "$count" >"$dir/.done"
    fi
    i=$((i + 1))
  done
fi
log "large: $N messages, $(du -sh --exclude=small "$MAILDIR_SRC" | cut -f1); small: $SMALL messages, $(du -sh "$MAILDIR_SRC/small" | cut -f1)$([ "$TEXT" -gt 0 ] && echo "; text: $TEXT messages, $(du -sh "$TEXT_SRC" | cut -f1)")"

# ---------------------------------------------------------------------------------------------
PROXY_PID= LOAD_PID=
bench_stop_extra() {
  if [ -n "$PROXY_PID" ]; then kill -TERM "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; fi
  if [ -n "$LOAD_PID" ]; then kill -TERM "$LOAD_PID" 2>/dev/null || true; wait "$LOAD_PID" 2>/dev/null || true; LOAD_PID=; fi
}
# shellcheck source=bench/lib/work-dovecot.sh
. "$ROOT/bench/lib/work-dovecot.sh"
# shellcheck source=bench/lib/mbsync-config.sh
. "$ROOT/bench/lib/mbsync-config.sh"
# shellcheck source=bench/lib/local-count.sh
. "$ROOT/bench/lib/local-count.sh"
start_work_dovecot bench
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# The machine's load while the runs go: the 1-minute load average every 10 s, summed up in the results.
while sleep 10; do cut -d' ' -f1 /proc/loadavg; done >"$WORK/load.log" 2>/dev/null &
LOAD_PID=$!

# Users: t_<link>_<tool>_<size> (the fixture accepts any t_* user, password "<name>-pw").
user_of() { echo "t_${1}_${2}_${3}"; }   # LINK TOOL SIZE(big|small)
load_account() {  # USER SIZE
  local u=$1 size=$2 spec name src
  while read -r spec <&3; do
    read -r name _ <<<"$spec"
    case $size in
      big) src=$MAILDIR_SRC/$(box_dir "$name") ;;
      small) src=$MAILDIR_SRC/small/$(box_dir "$name") ;;
      text) src=$TEXT_SRC/$(box_dir "$name") ;;
    esac
    "$ROOT/scripts/load-mail.sh" "$DOVE" "$u" "$name" "$src" >/dev/null 2>&1 \
      || { echo "run.sh: loading $src into $u/$name failed" >&2; exit 1; }
  done 3< <(boxes_of "$size")
}
server_count() { "${DA[@]}" mailbox status -u "$1" messages '*' | awk -F= '{s += $NF} END {print s + 0}'; }

# The proxy every measured connection goes through: it counts the bytes (and shapes the link).
# Each run gets a fresh proxy (fresh counters) on the same port as the link's earlier runs: a
# server's port does not change between a user's syncs, and mailsync keeps the capabilities it
# learnt by host, port and user (pipelining the next login with them), so a new port every run
# would measure a first contact each time instead of a resync.
declare -A PROXY_PORT_OF=()
start_proxy() {  # LINK -> PROXY_PID PROXY_PORT PROXY_LOG PROXY_STATS PROXY_USED
  local link=$1 delay=0 rate=0 kind=$PROXY_KIND attempt listen_port
  if [ "$link" = shaped ]; then delay=$((RTT_MS / 2)); rate=$((RATE_MBIT * 1000000 / 8)); fi
  if [ "$kind" = auto ]; then
    # fault-proxy's rate is per connection; a link's capacity is shared by all connections, so the
    # shaped pass uses the python proxy (one FIFO link per direction) unless told otherwise.
    if [ "$link" = loopback ] && [ -n "$FAULT_PROXY" ]; then kind=fault; else kind=python; fi
  fi
  [ "$kind" = fault ] && [ -z "$FAULT_PROXY" ] && kind=python
  PROXY_LOG=$WORK/proxy.log PROXY_STATS=$WORK/proxy.json
  # The link's port if it has one (a second attempt takes any free port, should it be taken meanwhile).
  for attempt in 1 2; do
    listen_port=0
    [ "$attempt" = 1 ] && listen_port=${PROXY_PORT_OF[$link]:-0}
    rm -f "$WORK/proxy.port" "$PROXY_STATS"
    if [ "$kind" = fault ]; then
      "$FAULT_PROXY" --listen "127.0.0.1:$listen_port" --target "127.0.0.1:$IMAP_PORT" --delay-ms "$delay" --rate "$rate" \
        --port-file "$WORK/proxy.port" >/dev/null 2>"$PROXY_LOG" &
    else
      "$PY" "$BENCH/netem-proxy.py" --listen "127.0.0.1:$listen_port" --target "127.0.0.1:$IMAP_PORT" --delay-ms "$delay" \
        --rate "$rate" --port-file "$WORK/proxy.port" --stats-file "$PROXY_STATS" 2>"$PROXY_LOG" &
    fi
    PROXY_PID=$! PROXY_USED=$kind
    local i
    for i in $(seq 1 200); do
      [ -s "$WORK/proxy.port" ] && break
      kill -0 "$PROXY_PID" 2>/dev/null || break
      sleep 0.05
    done
    [ -s "$WORK/proxy.port" ] && break
    kill -TERM "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true
  done
  [ -s "$WORK/proxy.port" ] || { cat "$PROXY_LOG" >&2; echo "run.sh: proxy did not start" >&2; exit 1; }
  PROXY_PORT=$(cat "$WORK/proxy.port")
  PROXY_PORT_OF[$link]=$PROXY_PORT
}
stop_proxy() {  # -> BYTES_UP BYTES_DOWN
  kill -TERM "$PROXY_PID" 2>/dev/null || true
  wait "$PROXY_PID" 2>/dev/null || true
  PROXY_PID=
  if [ "$PROXY_USED" = fault ]; then
    BYTES_UP='' BYTES_DOWN=''
    read -r BYTES_UP BYTES_DOWN < <(sed -n 's/^fault-proxy: [0-9]* connections, \([0-9]*\) bytes to target, \([0-9]*\) bytes to client$/\1 \2/p' "$PROXY_LOG" | tail -n 1) || true
  else
    read -r BYTES_UP BYTES_DOWN < <("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["client_to_server"], d["server_to_client"])' "$PROXY_STATS") || true
  fi
  BYTES_UP=${BYTES_UP:-?} BYTES_DOWN=${BYTES_DOWN:-?}
}

write_configs() {  # USER PORT LINK: mailsync config and mbsyncrc for this account
  local u=$1 port=$2 d=$WORK/acct/$1 compress=auto
  # compress: auto leaves 127.0.0.1 uncompressed; through the shaped proxy it stands for a WAN, where
  # auto would compress. (mbsync negotiates COMPRESS=DEFLATE whenever the server offers it.)
  [ "$3" = shaped ] && compress=yes
  mkdir -p "$d"
  (umask 077; printf '%s\n' "$u-pw" >"$d/password")
  cat >"$d/mailsync.yaml" <<EOF
# bench/run.sh: mailsync, pull mirror of $u through the benchmark proxy
accounts:
  bench:
    host: 127.0.0.1
    port: $port
    tls: none
    user: $u
    password_file: $d/password
    store: $d/store
    mode: pull
    compress: $compress
$(printf '%s\n' "${BENCH_MAILSYNC_CONFIG:-}" | sed '/^$/d; s/^/    /')
EOF
  write_mbsyncrc "$d/mbsyncrc" "$port" "$u" "$d/password" "$d/maildir" \
    "$(printf 'Create Near\nExpunge Near\nSync Pull\nCopyArrivalDate yes')"
  chmod 600 "$d/mailsync.yaml"
}

# One measured run of a tool. Appends a line to RESULTS (TSV).
RESULTS=$WORK/results.tsv
printf 'link\taccount\tmessages\tphase\ttool\tstatus\twall_s\tbytes_up\tbytes_down\tpeak_rss_kb\tlocal_msgs\tserver_msgs\tproxy\tpeak_rss_anon_kb\n' >"$RESULTS"
declare -A TOOL_OK=()
measure() {  # LINK SIZE PHASE TOOL
  local link=$1 size=$2 phase=$3 tool=$4 u rc wall rss anon status lc sc out
  u=$(user_of "$link" "$tool" "$size")
  local msgs; case $size in big) msgs=$N ;; small) msgs=$SMALL ;; text) msgs=$TEXT ;; esac
  local key=$link/$size/$tool
  if [ "$tool" = mailsync ] && [ -n "$MAILSYNC_WHY" ]; then
    printf '%s\t%s\t%s\t%s\t%s\tnot available: %s\t\t\t\t\t\t\t\t\n' "$link" "$size" "$msgs" "$phase" "$tool" "$MAILSYNC_WHY" >>"$RESULTS"
    return
  fi
  if [ "$phase" != first ] && [ "${TOOL_OK[$key]:-}" != 1 ]; then
    printf '%s\t%s\t%s\t%s\t%s\tnot available: no successful first sync\t\t\t\t\t\t\t\t\n' "$link" "$size" "$msgs" "$phase" "$tool" >>"$RESULTS"
    return
  fi
  start_proxy "$link"
  write_configs "$u" "$PROXY_PORT" "$link"
  local d=$WORK/acct/$u cmd
  if [ "$tool" = mbsync ]; then cmd=(mbsync -q -c "$d/mbsyncrc" -a)
  else cmd=("$MAILSYNC" -c "$d/mailsync.yaml" -q sync); fi
  out=$WORK/logs/$link-$size-$phase-$tool.log
  mkdir -p "$WORK/logs"
  # /usr/bin/time measures the peak RSS (%M); the sampler around it (bench/lib/sample-rss.py, shared with
  # bench/memory.sh) keeps the peak RssAnon of the tool, time's child, read every 50 ms (every 5 ms in
  # its first 0.25 s, for the short resyncs), and times the command from its start to its exit (the
  # sampler's own start-up is not counted).
  local sample
  rm -f "$WORK/time.out"
  sample=$("$PY" "$BENCH/lib/sample-rss.py" --interval 0.05 --dense-start 0.25 --child --log "$out" -- \
    /usr/bin/time -f '%M' -o "$WORK/time.out" "${cmd[@]}") || sample=
  stop_proxy
  read -r _ _ anon _ _ wall rc <<<"$sample" || true
  [[ ${anon:-} =~ ^[0-9]+$ ]] || anon=
  [[ ${rc:-} =~ ^-?[0-9]+$ ]] || { rc=125; log "the sampler failed to run $tool"; }
  [ "$rc" -ge 0 ] || rc=$((128 - rc))
  rss=$(grep -E '^[0-9]+$' "$WORK/time.out" 2>/dev/null | tail -n 1 || true)
  if [ "$rc" -eq 0 ]; then
    status=ok
    [ "$phase" = first ] && TOOL_OK[$key]=1
  else
    status="failed: exit $rc"
  fi
  lc=$(local_count "$tool" "$u") sc=$(server_count "$u")
  log "$(printf '%-8s %-5s %-6s %-8s %s: %s s, up %s B, down %s B, peak RSS %s KB, peak RssAnon %s KB, messages local %s / server %s' \
    "$link" "$size" "$phase" "$tool" "$status" "${wall:-?}" "$BYTES_UP" "$BYTES_DOWN" "${rss:-?}" "${anon:-?}" "$lc" "$sc")"
  [[ $status == ok ]] || { log "last lines of $out:"; tail -n 5 "$out" | sed 's/^/      /' >&2; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$link" "$size" "$msgs" "$phase" "$tool" "$status" \
    "${wall:-}" "$BYTES_UP" "$BYTES_DOWN" "${rss:-}" "$lc" "$sc" "$PROXY_USED" "${anon:-}" >>"$RESULTS"
}

# Another client changes ~1% of the flags and expunges ~1% of the messages of every mailbox:
# every 100th message (by position) gets \Flagged toggled, another every 100th is expunged.
CHANGES=$WORK/changes.tsv
change_account() {  # USER SIZE
  local u=$1 spec name nflag=0 nexp=0
  while read -r spec <&3; do
    read -r name _ <<<"$spec"
    local sets
    sets=$("${DA[@]}" fetch -u "$u" 'uid flags' mailbox "$name" all | "$PY" -c '
import sys
msgs, uid = [], None
for line in sys.stdin:
    if line.startswith("uid: "): uid = int(line[5:])
    elif line.startswith("flags:") and uid is not None:
        msgs.append((uid, "\\Flagged" in line)); uid = None
m = len(msgs); k = max(1, round(m / 100)) if m else 0
flag = [msgs[int((j + 0.37) * m / k)] for j in range(k)]
gone = [msgs[int((j + 0.73) * m / k)][0] for j in range(k)]
add = [u for u, f in flag if not f]; rem = [u for u, f in flag if f]
j = lambda xs: ",".join(map(str, xs))
print(j(add) or "-", j(rem) or "-", j(gone) or "-", len(flag), len(gone))')
    local add rem gone nf ne
    read -r add rem gone nf ne <<<"$sets"
    if [ "$add" != - ]; then "${DA[@]}" flags add -u "$u" '\Flagged' mailbox "$name" uid "$add"; fi
    if [ "$rem" != - ]; then "${DA[@]}" flags remove -u "$u" '\Flagged' mailbox "$name" uid "$rem"; fi
    if [ "$gone" != - ]; then "${DA[@]}" expunge -u "$u" mailbox "$name" uid "$gone"; fi
    nflag=$((nflag + nf)) nexp=$((nexp + ne))
  done 3< <(boxes_of "$2")
  printf '%s\t%s\t%s\n' "$u" "$nflag" "$nexp" >>"$CHANGES"
}
: >"$CHANGES"

# ---------------------------------------------------------------------------------------------
IFS=, read -r -a LINK_LIST <<<"$LINKS"
for link in "${LINK_LIST[@]}"; do
  case $link in loopback|shaped) ;; *) echo "run.sh: unknown link $link" >&2; exit 64 ;; esac
  say "$link: loading the accounts (each tool its own copy, identical)"
  for tool in mailsync mbsync; do
    for size in "${SIZES[@]}"; do load_account "$(user_of "$link" "$tool" "$size")" "$size"; done
  done
  say "$link: first sync"
  for size in "${SIZES[@]}"; do for tool in mailsync mbsync; do measure "$link" "$size" first "$tool"; done; done
  say "$link: no-op resync"
  for size in "${SIZES[@]}"; do for tool in mailsync mbsync; do measure "$link" "$size" noop "$tool"; done; done
  say "$link: another client flags 1% and expunges 1% of every mailbox"
  for tool in mailsync mbsync; do
    for size in "${SIZES[@]}"; do change_account "$(user_of "$link" "$tool" "$size")" "$size"; done
  done
  say "$link: resync after the changes"
  for size in "${SIZES[@]}"; do for tool in mailsync mbsync; do measure "$link" "$size" change "$tool"; done; done
  # The mail of this pass is no longer needed; free the disk for the next one.
  for tool in mailsync mbsync; do for size in "${SIZES[@]}"; do
    u=$(user_of "$link" "$tool" "$size"); rm -rf "${MAIL_ROOT:?}/$u" "$WORK/acct/$u"
  done; done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
kill -TERM "$LOAD_PID" 2>/dev/null || true; wait "$LOAD_PID" 2>/dev/null || true; LOAD_PID=
LOAD_DURING=$(awk '{s += $1; n++; if (n == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1}
  END {if (n) printf "%.1f–%.1f, mean %.1f over %d samples", lo, hi, s / n, n; else print "not sampled"}' "$WORK/load.log")

# ---------------------------------------------------------------------------------------------
say "results"
mkdir -p "$BENCH/results"
STAMP=$(date +%Y-%m-%d)
OUT=$BENCH/results/$STAMP-$LABEL.md
cp "$RESULTS" "${OUT%.md}.tsv"
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] && commit="$commit + uncommitted changes"
"$PY" "$BENCH/lib/results-table.py" "$RESULTS" "$CHANGES" --big "$N" --small "$SMALL" --text "$TEXT" \
  --rtt-ms "$RTT_MS" --rate-mbit "$RATE_MBIT" >"$WORK/table.md"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
{
  echo "# mailsync vs mbsync — $STAMP, $LABEL"
  echo
  echo "\`bench/run.sh --messages $N --text-messages $TEXT$([ $QUICK = 1 ] && echo ' (--quick)')\`, seed $SEED. Mailboxes: ${BOXES[*]} (percent of the messages);"
  echo "attachment-heavy account $N messages ($(du -sh --exclude=small "$MAILDIR_SRC" | cut -f1)), a second one $SMALL ($(du -sh "$MAILDIR_SRC/small" | cut -f1)); 5% of the messages carry attachments (some 1-4 MB)."
  [ "$TEXT" -gt 0 ] && echo "Text-heavy account: $TEXT mailing-list messages (\`bench/lib/list-mail.py\`, $(du -sh "$TEXT_SRC" | cut -f1); mailboxes ${TEXT_BOXES[*]})."
  echo "Each tool syncs its own, identically loaded copy of each account; both see the same changes. Plaintext IMAP on loopback;"
  [ -n "${BENCH_MAILSYNC_CONFIG:-}" ] && echo "mailsync's account configuration also has: \`${BENCH_MAILSYNC_CONFIG//$'\n'/; }\`."
  echo "Dovecot offers COMPRESS=DEFLATE (imap_zlib). mbsync negotiates it whenever offered; mailsync keeps its default \`compress: auto\` on loopback (no compression there) and has \`compress: yes\` on the emulated WAN."
  echo "Bytes: TCP payload client→server / server→client counted by the proxy. Time: wall clock of the whole run of the command. RSS: \`/usr/bin/time -f %M\`; private: the peak of \`RssAnon\` (heap, stacks) in /proc/PID/status, sampled every ~50 ms."
  echo
  cat "$WORK/table.md"
  echo "Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r);"
  echo "**shared with other builds and tests during the run** (load average $LOAD_START at the start, $LOAD_END at the end; 1-minute load during the runs $LOAD_DURING): times are indicative only."
  echo "mailsync $commit ($MAILSYNC_DESC); $(mbsync --version 2>&1 | head -n1); Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1);"
  echo "Proxy: $(awk -F'\t' 'NR > 1 && $13 != "" && !seen[$1]++ {printf "%s%s %s", sep, $1, $13; sep = ", "}' "$RESULTS") (fault = tests/fault/fault-proxy, python = bench/netem-proxy.py)."
} >"$OUT"
cat "$OUT"
echo >&2
echo "run.sh: written $OUT (raw: ${OUT%.md}.tsv)" >&2

#!/usr/bin/env bash
# Issue 15 item 2: does COMPRESS=DEFLATE slow a first sync on loopback? A throwaway Dovecot with
# imap_zlib, N mailing-list-like plain-text messages (bench/lib/list-mail.py) loaded into it, then a first sync
# with compress: no and with compress: yes (fresh store each, best of RUNS), time and wire bytes.
#   bench/compress-loopback.sh [N] [RUNS]      (defaults 3000 and 3; BUILD_DIR = the build dir)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-3000} RUNS=${2:-3} KEEP=${KEEP:-0}
MAILSYNC=${BUILD_DIR:?set BUILD_DIR to the build dir}/cli/mailsync
. "$ROOT/bench/lib/work-dovecot.sh"
start_work_dovecot compress   # the fixture's Dovecot loads imap_zlib
U=t_compress
python3 "$ROOT/bench/lib/list-mail.py" --count "$N" --seed 15 --out "$WORK/list"
"$ROOT/scripts/load-mail.sh" "$DOVE" "$U" INBOX "$WORK/list" --flags seen >/dev/null
BOX=$DOVE/mail/$U/Maildir/INBOX
echo "messages: $N, $(du -sb "$BOX/cur" | cut -f1) bytes in the Maildir"
# Timed runs go straight to Dovecot; the last run of each mode goes through bench/netem-proxy.py
# (no delay, no rate limit) only to count the bytes on the wire.
for mode in ${MODES:-no yes}; do
  for run in $(seq "$((RUNS + 1))"); do
    port=$IMAP_PORT proxy=""
    if [ "$run" -gt "$RUNS" ]; then
      rm -f "$WORK/proxy.port"
      python3 "$ROOT/bench/netem-proxy.py" --target "127.0.0.1:$IMAP_PORT" --port-file "$WORK/proxy.port" \
        --stats-file "$WORK/proxy-$mode.json" 2>/dev/null &
      proxy=$!
      for _ in $(seq 1 100); do [ -s "$WORK/proxy.port" ] && break; sleep 0.05; done
      port=$(cat "$WORK/proxy.port")
    fi
    d=$WORK/$mode-$run; mkdir -p "$d"
    cat >"$d/config.yaml" <<YAML
accounts:
  bench:
    host: $HOST
    port: $port
    tls: none
    user: $U
    password: $U-pw
    store: $d/store
    compress: $mode
    connections: 4
YAML
    chmod 600 "$d/config.yaml"
    start=$(date +%s.%N)
    "$MAILSYNC" --config "$d/config.yaml" sync --json >"$d/report.json"
    end=$(date +%s.%N)
    t=$(python3 -c "print(round($end - $start, 3))")
    if [ -n "$proxy" ]; then
      kill -TERM "$proxy"; wait "$proxy" 2>/dev/null || true
      echo "compress: $mode through the counting proxy: ${t}s, $(cat "$WORK/proxy-$mode.json")"
    else
      echo "compress: $mode run $run: ${t}s"
    fi
  done
done

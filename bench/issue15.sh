#!/usr/bin/env bash
# Issue 15's figures, mailsync beside mbsync, in one command — see bench/README.md.
#
#   bench/issue15.sh [--quick] [--million]
#
#   (none)     bench/run.sh with its defaults (targets 1, 2 and 4: the no-op's round trips and bytes,
#              COMPRESS=DEFLATE through the emulated 50 ms / 20 Mbit/s link, the first sync on
#              loopback; about 10 minutes), then bench/scale.sh --messages 30000,100000 (targets 3
#              and 5: peak RSS, a large mailbox's no-op, change resync and local commands; about
#              10 minutes)
#   --quick    bench/run.sh --quick, then bench/scale.sh --messages 3000: a smoke run of both
#   --million  scale.sh also at 1 000 000 messages, mbsync beside (25 minutes more on the 2-core
#              machine, mbsync's first sync 15 of them; the server's two Maildirs alone are 8 GB)
# Environment: as for the two scripts (MAILSYNC or BUILD_DIR, BENCH_CACHE, ...). Each writes its own
# table under bench/results/; the first failure stops the run.
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
QUICK=0 MILLION=0
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit "${1:-64}"; }
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1; shift ;;
    --million) MILLION=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "issue15.sh: unknown argument $1" >&2; usage ;;
  esac
done
if [ "$QUICK" = 1 ]; then
  "$BENCH/run.sh" --quick
  sizes=3000
else
  "$BENCH/run.sh"
  sizes=30000,100000
fi
[ "$MILLION" = 0 ] || sizes=$sizes,1000000
"$BENCH/scale.sh" --messages "$sizes" --changes 100,1000

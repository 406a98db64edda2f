#!/usr/bin/env bash
# The Maildir view's costs (issue 12): disk of store + view against the mail's size (hard links: the
# view adds no second copy), and a no-op `mailsync sync` with and without a view of N files.
#
#   bench/view.sh [--messages 3000] [--seed S] [--keep]
#
# Environment: MAILSYNC (the binary; required), BENCH_CACHE (generated mail; default bench/.cache),
# BENCH_WORK (work directory). Mail from scripts/generate-mail.py, loaded by scripts/load-mail.sh
# into INBOX of a throwaway Dovecot (bench/lib/work-dovecot.sh); two-way account on loopback.
# Steps: a first sync without a view; then with `maildir:` added, a sync writes the view; mbsync
# (isync) two-way with its own Maildir (`Sync All`, what the view replaces) makes its first sync of
# the same account. Then 5 rounds of three no-op syncs, timed: mailsync without the view (the same
# store, a configuration without `maildir:`), mailsync with it (scan of the view, comparison with
# the mirror, update), mbsync. Interleaved, so that the machine's load (other work, the page cache)
# weighs on the three alike; the medians are printed. Disk: `du -sk` of store and view together
# (du counts a file linked twice once) against the sum of the messages' sizes, and mbsync's Maildir.
# Prints the figures.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=3000 SEED=42 KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
    --messages) N=${2:?}; shift 2 ;;
    --seed) SEED=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "view.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
[ -x "${MAILSYNC:-}" ] || { echo "view.sh: set MAILSYNC to the mailsync binary" >&2; exit 64; }
"$ROOT/scripts/install-deps.sh" --bench
command -v mbsync >/dev/null || { echo "view.sh: no mbsync after installing isync" >&2; exit 69; }
CACHE=${BENCH_CACHE:-$ROOT/bench/.cache}
MAIL=$CACHE/size-s$SEED-n$N   # the same mail as bench/store-size.sh's
# shellcheck source=bench/lib/generated-mail.sh
. "$ROOT/bench/lib/generated-mail.sh"
generated_mail "$MAIL" "$N" "$SEED"
# shellcheck source=bench/lib/work-dovecot.sh
. "$ROOT/bench/lib/work-dovecot.sh"
# shellcheck source=bench/lib/mbsync-config.sh
. "$ROOT/bench/lib/mbsync-config.sh"
start_work_dovecot view
u=t_view_n$N
"$ROOT/scripts/load-mail.sh" "$DOVE" "$u" INBOX "$MAIL" >/dev/null
d=$WORK/acct
mkdir -p "$d"; chmod 700 "$d"
(umask 077; printf '%s\n' "$u-pw" >"$d/password")
config() {  # FILE EXTRA-LINES
  printf 'accounts:\n  view:\n    host: 127.0.0.1\n    port: %s\n    tls: none\n    user: %s\n    password_file: %s\n    store: %s\n%s' \
    "$IMAP_PORT" "$u" "$d/password" "$d/store" "$2" >"$1"
  chmod 600 "$1"
}
timed() {  # LOG COMMAND... : appends the command's wall seconds to LOG
  /usr/bin/time -f %e -o "$d/t" "${@:2}"; cat "$d/t" >>"$1"
}
median() { sort -n "$1" | sed -n 3p; }
config "$d/without-view.yaml" ""
config "$d/with-view.yaml" "    maildir: $d/Mail
"
"$MAILSYNC" -c "$d/without-view.yaml" sync
rm -f "$d"/*.times
timed "$d/first-view.times" "$MAILSYNC" -c "$d/with-view.yaml" sync
write_mbsyncrc "$d/mbsyncrc" "$IMAP_PORT" "$u" "$d/password" "$d/mbsync" "$(printf 'Create Both\nExpunge Both\nSync All')"
timed "$d/first-mbsync.times" mbsync -q -c "$d/mbsyncrc" -a
for _ in 1 2 3 4 5; do
  timed "$d/without.times" "$MAILSYNC" -c "$d/without-view.yaml" sync
  timed "$d/with.times" "$MAILSYNC" -c "$d/with-view.yaml" sync
  timed "$d/mbsync.times" mbsync -q -c "$d/mbsyncrc" -a
done
first=$(cat "$d/first-view.times") mbsync_first=$(cat "$d/first-mbsync.times")
without=$(median "$d/without.times") with=$(median "$d/with.times") mbsync_noop=$(median "$d/mbsync.times")
mbsync_files=$(find "$d/mbsync" -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l)
mbsync_kb=$(du -sk "$d/mbsync" | cut -f1)
files=$(find "$d/Mail" -type f | wc -l)
mail_kb=$(find "$MAIL" -name '*.eml' -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s / 1024 }')
# The search index (<store>/search, on by default) is a cache of its own, not the mirror, and
# space-reserve a fixed 4 MiB set aside for a full disk (store/store.hpp): both apart.
store_kb=$(du -sk --exclude=search --exclude=space-reserve "$d/store" | cut -f1)
index_kb=$(du -sk "$d/store/search" 2>/dev/null | cut -f1 || echo 0)
reserve_kb=$(du -sk "$d/store/space-reserve" 2>/dev/null | cut -f1 || echo 0)
both_kb=$(du -sk --exclude=search --exclude=space-reserve "$d/store" "$d/Mail" | awk '{ s += $1 } END { print s }')
echo "messages $N, view files $files, mail ${mail_kb} KB"
echo "disk: store ${store_kb} KB, store + view ${both_kb} KB = $(awk -v a="$both_kb" -v b="$mail_kb" 'BEGIN { printf "%.3f", a / b }') x the mail"
echo "not counted above: search index ${index_kb} KB, space reserve ${reserve_kb} KB"
echo "sync writing the view: ${first} s"
echo "no-op sync (median of 5, interleaved): mailsync without a view ${without} s, with a view of $files files ${with} s, mbsync ${mbsync_noop} s"
echo "mbsync two-way Maildir ($mbsync_files files, ${mbsync_kb} KB): first sync ${mbsync_first} s"

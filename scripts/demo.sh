#!/usr/bin/env bash
# The README's demo: mailsync against a real, throwaway Dovecot on loopback.
#
#   scripts/demo.sh            (BUILD_DIR=build, JOBS=2, DEMO_DIR=a new /tmp/mailsync-demo.XXXXXX)
#
# Builds mailsync if needed, starts Dovecot (tests/integration/dovecot-fixture.sh) in a temporary
# directory, loads a few hundred generated messages into several mailboxes of user1, writes a
# mailsync configuration for that account (implicit TLS, the fixture's self-signed CA, a 0600
# password file, the store beside it), runs mailsync on it, stops Dovecot and says where things are.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
JOBS=${JOBS:-2}
say() { printf '\n== %s\n' "$*"; }

"$ROOT/scripts/install-deps.sh"

say "building mailsync in $BUILD"
if [ ! -f "$BUILD/build.ninja" ] && [ ! -f "$BUILD/Makefile" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
BUILD_LOG=$BUILD/mailsync-demo-build.log
MAILSYNC=$BUILD/cli/mailsync
if ! cmake --build "$BUILD" --target mailsync -j "$JOBS" >"$BUILD_LOG" 2>&1; then
  grep -m 5 -E "error|FAILED" "$BUILD_LOG" | sed 's/^/   /' >&2
  echo "demo: mailsync does not build yet (log: $BUILD_LOG); the server part of the demo still runs" >&2
  MAILSYNC=
elif [ ! -x "$MAILSYNC" ]; then
  echo "demo: no $MAILSYNC after the build" >&2
  MAILSYNC=
fi

WORK=${DEMO_DIR:-$(mktemp -d /tmp/mailsync-demo.XXXXXX)}
mkdir -p "$WORK"
DOVECOT_DIR=$WORK/dovecot
stop_dovecot() { "$ROOT/tests/integration/dovecot-fixture.sh" stop "$DOVECOT_DIR" || true; }
trap stop_dovecot EXIT
trap 'exit 130' INT TERM

say "starting a throwaway Dovecot in $DOVECOT_DIR"
"$ROOT/tests/integration/dovecot-fixture.sh" start "$DOVECOT_DIR"
# shellcheck disable=SC1091
. "$DOVECOT_DIR/env"

say "generating and loading mail for $USER1"
for spec in "INBOX 300 1" "Archive 120 2" "Sent 60 3" "Projects/2024.Q1 25 4"; do
  read -r box count seed <<<"$spec"
  dir=$WORK/generated/${box//\//_}
  "$ROOT/scripts/generate-mail.py" --count "$count" --seed "$seed" --out "$dir" \
    --attachments-percent 8 --max-attachment-mb 2
  "$ROOT/scripts/load-mail.sh" "$DOVECOT_DIR" "$USER1" "$box" "$dir" >/dev/null
done
$DOVEADM mailbox status -u "$USER1" "messages unseen" '*' | sed 's/^/   /'

say "writing the mailsync configuration"
umask 077
printf '%s\n' "$PASS1" >"$WORK/password"
chmod 600 "$WORK/password"
CONFIG=$WORK/config.yaml
cat >"$CONFIG" <<EOF
# mailsync demo account: the throwaway Dovecot of scripts/demo.sh
accounts:
  demo:
    host: $HOST
    port: $IMAPS_PORT
    tls: implicit
    tls_ca_file: $CA_CERT
    user: $USER1
    password_file: $WORK/password
    store: $WORK/store
EOF
sed 's/^/   /' "$CONFIG"

# Runs one mailsync step and shows its output and exit code.
declare -a SUMMARY=()
step() {
  say "mailsync $*"
  local out rc=0
  if [ -z "$MAILSYNC" ]; then
    echo "   (not available: mailsync did not build)"
    SUMMARY+=("$1: not available (no mailsync binary)")
    return
  fi
  out=$("$MAILSYNC" -c "$CONFIG" "$@" 2>&1) || rc=$?
  [ -z "$out" ] || printf '%s\n' "$out" | head -n 40 | sed 's/^/   /'
  echo "   (exit $rc)"
  SUMMARY+=("$1: exit $rc")
}
step config
step probe
step sync -v
step status
step mailboxes
step list INBOX

# Two-way: an offline change goes into the queue, and the next sync replays it on the server.
if [ -n "$MAILSYNC" ]; then
  first_id=$("$MAILSYNC" -c "$CONFIG" --json list INBOX | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
  step flag INBOX "$first_id" +flagged +'$Demo'
  step queue
  step sync -v
  say "the server's view, asked with doveadm: INBOX messages flagged \\Flagged and \$Demo"
  $DOVEADM search -u "$USER1" mailbox INBOX FLAGGED KEYWORD '$Demo' | sed 's/^/   /'
fi

say "summary"
for s in "${SUMMARY[@]}"; do echo "   $s"; done
cat <<EOF

   work directory   $WORK
   configuration    $CONFIG
   store            $WORK/store
   generated mail   $WORK/generated
   Dovecot log      $DOVECOT_DIR/dovecot.log (Dovecot is stopped when this script exits)
   remove it all:   rm -rf $WORK
EOF

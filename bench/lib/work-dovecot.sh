# Sourced by the bench scripts: a work directory with a throwaway Dovecot in it, stopped (and the
# directory removed unless KEEP=1) when the script exits.
#   start_work_dovecot NAME   NAME names the default work directory, /tmp/mailsync-NAME.XXXXXX
# Needs ROOT and KEEP; sets WORK, DOVE, DA (doveadm with the fixture's configuration) and the
# fixture's environment ($DOVE/env). A script may define bench_stop_extra (e.g. to end a proxy);
# it runs first at exit.
start_work_dovecot() {
  WORK=${BENCH_WORK:-$(mktemp -d "/tmp/mailsync-$1.XXXXXX")}
  mkdir -p "$WORK"; chmod 0755 "$WORK"
  DOVE=$WORK/dovecot
  trap stop_work_dovecot EXIT
  trap 'exit 130' INT TERM
  echo "== starting Dovecot in $DOVE" >&2
  "$ROOT/tests/integration/dovecot-fixture.sh" start "$DOVE" >&2
  # shellcheck disable=SC1091
  . "$DOVE/env"
  DA=(doveadm -c "$DOVECOT_CONF")
}

stop_work_dovecot() {
  if declare -F bench_stop_extra >/dev/null; then bench_stop_extra || true; fi
  "$ROOT/tests/integration/dovecot-fixture.sh" stop "$DOVE" || true
  if [ "$KEEP" = 0 ]; then rm -rf "$WORK"; else echo "$(basename "$0"): kept $WORK" >&2; fi
}

# Sourced by the bench scripts that measure one mailsync binary (memory.sh, store-size.sh):
#   mailsync_binary SCRIPT   sets MAILSYNC: as given in the environment, else BUILD_DIR's
#                            (default build-bench, relative to ROOT), built there if missing.
# Needs ROOT and say(); exits 69 naming SCRIPT when there is no binary.
mailsync_binary() {
  if [ -z "${MAILSYNC:-}" ]; then
    BUILD=${BUILD_DIR:-$ROOT/build-bench}
    case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
    MAILSYNC=$BUILD/cli/mailsync
    if [ ! -x "$MAILSYNC" ]; then
      say "building mailsync in $BUILD"
      [ -f "$BUILD/build.ninja" ] || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
      cmake --build "$BUILD" --target mailsync -j 2 >/dev/null
    fi
  fi
  [ -x "$MAILSYNC" ] || { echo "$1: no mailsync binary at $MAILSYNC" >&2; exit 69; }
}

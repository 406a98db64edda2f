#!/usr/bin/env bash
# Fuzzes the IMAP codec and session, the store's record codec, the configuration loader and MIME reading with libFuzzer (ASan + UBSan) for a while:
#
#   tests/fuzz/run-fuzz.sh SECONDS [BUILD_DIR]
#
# Configures a separate clang build in BUILD_DIR (default build-fuzz), builds only the fuzz
# targets, and runs each target (FUZZ_TARGETS, default all five: fuzz_parser fuzz_session
# fuzz_store_codec fuzz_config fuzz_mime) for SECONDS on a
# temporary copy of its corpus tests/fuzz/corpus/<name> (the corpus in git is not modified; set
# FUZZ_KEEP_CORPUS=DIR to keep the grown corpora there). Exits non-zero when libFuzzer finds a
# crash, a leak or a broken invariant (the input is left in BUILD_DIR/fuzz-artifacts/), and 77
# (the test suite's "skipped") when clang is not installed. Prints one summary line per target:
# executions, corpus size, and the outcome.
set -euo pipefail

[ $# -ge 1 ] && [[ $1 =~ ^[0-9]+$ ]] || { echo "usage: $0 SECONDS [BUILD_DIR]" >&2; exit 64; }
seconds=$1
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
build_dir=${2:-$source_dir/build-fuzz}
jobs=${JOBS:-2}
targets=${FUZZ_TARGETS:-fuzz_parser fuzz_session fuzz_store_codec fuzz_config fuzz_mime}

if ! command -v clang++ >/dev/null 2>&1; then
  echo "clang++ not found: libFuzzer run skipped (apt-get install clang)"
  exit 77
fi

cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DMAILSYNC_FUZZ=ON -DMAILSYNC_TESTS=OFF >/dev/null
# shellcheck disable=SC2086
cmake --build "$build_dir" --target $targets -j "$jobs"

work=$(mktemp -d "${TMPDIR:-/tmp}/mailsync-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts=$build_dir/fuzz-artifacts
mkdir -p "$artifacts"

status=0
summary=()
for target in $targets; do
  name=${target#fuzz_}
  corpus=$work/$name
  mkdir -p "$corpus"
  cp "$here/corpus/$name"/* "$corpus"/
  log=$work/$target.log
  set +e
  "$build_dir/tests/fuzz/$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  outcome=ok
  if [ $rc -ne 0 ]; then
    outcome="FAILED (exit $rc; input in $artifacts)"
    status=1
    tail -60 "$log" >&2
  fi
  summary+=("$target: ${executions:-?} executions in ${seconds} s, corpus $(ls "$corpus" | wc -l) files, $outcome")
  if [ -n "${FUZZ_KEEP_CORPUS:-}" ]; then
    mkdir -p "$FUZZ_KEEP_CORPUS/$name" && cp "$corpus"/* "$FUZZ_KEEP_CORPUS/$name"/
  fi
done
printf '%s\n' "${summary[@]}"
exit $status

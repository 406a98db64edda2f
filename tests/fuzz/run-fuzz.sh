#!/usr/bin/env bash
# Fuzzes the IMAP response codec with libFuzzer for a while:
#
#   tests/fuzz/run-fuzz.sh SECONDS [BUILD_DIR]
#
# Configures a separate clang build in BUILD_DIR (default build-fuzz), builds only the fuzz
# target, and runs it for SECONDS on a temporary copy of tests/fuzz/corpus/parser (so that the
# corpus in git is not modified). Exits non-zero when libFuzzer finds a crash, a leak or a broken
# invariant; the crashing input is left in BUILD_DIR/fuzz-artifacts/.
set -euo pipefail

[ $# -ge 1 ] && [[ $1 =~ ^[0-9]+$ ]] || { echo "usage: $0 SECONDS [BUILD_DIR]" >&2; exit 64; }
seconds=$1
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
build_dir=${2:-$source_dir/build-fuzz}
jobs=${JOBS:-2}

cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DMAILSYNC_FUZZ=ON -DMAILSYNC_TESTS=OFF >/dev/null
cmake --build "$build_dir" --target fuzz_parser -j "$jobs"

corpus=$(mktemp -d "${TMPDIR:-/tmp}/mailsync-fuzz-corpus.XXXXXX")
trap 'rm -rf "$corpus"' EXIT
cp "$here"/corpus/parser/* "$corpus"/
artifacts=$build_dir/fuzz-artifacts
mkdir -p "$artifacts"

"$build_dir/tests/fuzz/fuzz_parser" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus"

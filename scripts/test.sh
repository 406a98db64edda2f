#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: ./scripts/test.sh
# BUILD_DIR (default build) and JOBS (default: the number of cores) may be set. Two steps: the
# whole suite in BUILD_DIR, then the unit tests under ASan + UBSan in BUILD_DIR-sanitize.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
build=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAILSYNC_TESTS=ON
cmake --build "$build" -j "$jobs"
# Every CTest entry of a Catch2 program fails if it ran no test case or made no assertion
# (tests/support/catch_main.cpp), and the two "test-guard:" entries (label unit, so in both steps)
# check that every test case is registered under its own name and that the guard still bites
# (tests/guard/).
ctest --test-dir "$build" --output-on-failure -j "$jobs" "$@"

# Second step: the unit tests of the code that reads untrusted bytes (codec, encoder, session,
# transport, watch, hostile servers against the session and the pull engine, fuzz corpus replays,
# UTF-8 and ASCII helpers of common/, the MIME parsing of sync/mime/, the search query language (user
# input) and the index built from mirrored mail)
# and of the store and engine tables, built with AddressSanitizer and UndefinedBehaviorSanitizer
# in a tree of their own. Only those programs are built (the rest of the suite adds build time, not
# coverage of memory errors); ctest -L unit then runs exactly them, as the tests of programs not
# built carry no label.
# LeakSanitizer stays on for all of them: GLib's one-time allocations under GMime (type system,
# charset tables) stay reachable from its globals, so they are not reported as leaks.
# MAILSYNC_SANITIZE_STEP=0 skips it (e.g. for a quick local run).
if [ "${MAILSYNC_SANITIZE_STEP:-1}" != 0 ]; then
  sanitize_build=${SANITIZE_BUILD_DIR:-$build-sanitize}
  sanitize_targets=(test_parser test_command test_session test_transport test_hostile fuzz_parser
    fuzz_session fuzz_store_codec fuzz_config fuzz_mime test_store test_local_changes test_pull_plan test_conflict_rules test_message_view
    test_sync_summary test_remote_search_query test_restore_plan
    test_watch test_watch_nudges test_watch_reply test_progress test_hostile_pull test_common test_hostile_babble test_mime test_search
    test_search_terms guard_probe)
  # Debug (-O0): compiles far faster than -O2 under ASan, and the unit tests are short.
  cmake -S . -B "$sanitize_build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMAILSYNC_TESTS=ON \
    -DMAILSYNC_SANITIZE=ON
  cmake --build "$sanitize_build" -j "$jobs" --target "${sanitize_targets[@]}"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    ctest --test-dir "$sanitize_build" --output-on-failure -j "$jobs" -L unit
fi

#!/usr/bin/env bash
# The guard's own test: check-guard.sh PROBE CATCH_ADD_TESTS_SCRIPT
# Registers the test cases of guard_probe (deliberately broken names and cases without assertions)
# exactly as the suite registers its programs (Catch2's CatchAddTests.cmake, the script that
# catch_discover_tests runs after each build), runs them with ctest in a scratch directory, and
# requires: the well-formed case passes, and every entry that runs no test case or no assertion
# fails. If the guard in tests/support/catch_main.cpp were removed, the two halves of the split name
# would pass ("No test cases matched", exit 0) and this test would fail.
set -euo pipefail
probe=$1
add_tests_script=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake -D TEST_TARGET=guard_probe -D "TEST_EXECUTABLE=$probe" -D TEST_EXECUTOR= -D "TEST_WORKING_DIR=$work" \
  -D TEST_SPEC= -D TEST_EXTRA_ARGS= -D TEST_PROPERTIES= -D TEST_PREFIX= -D TEST_SUFFIX= -D TEST_REPORTER= \
  -D TEST_OUTPUT_DIR= -D TEST_OUTPUT_PREFIX= -D TEST_OUTPUT_SUFFIX= -D TEST_LIST=guard_probe_TESTS \
  -D "CTEST_FILE=$work/guard_probe_tests.cmake" -P "$add_tests_script"
echo 'include(guard_probe_tests.cmake)' > "$work/CTestTestfile.cmake"

status=0
ctest --test-dir "$work" > "$work/ctest.out" 2>&1 || status=$?
cat "$work/ctest.out"

failed=0
# expect NAME Passed|Failed: the result ctest printed for the entry called NAME.
expect() {
  local line
  line=$(grep -F -- " $1 ." "$work/ctest.out" | grep -E 'Passed|Failed' || true)
  if [[ $line != *"$2"* ]]; then
    echo "check-guard: entry '$1' should have $2: ${line:-not run}" >&2
    failed=1
  fi
}
expect "guard probe: a well-formed case passes" Passed
expect "guard probe: a name split" Failed   # the first half of the split name
expect "in two" Failed                       # the second half (ctest shows it without its leading space)
expect "guard probe: a case without an assertion" Failed
expect "guard probe: a section without an assertion" Failed
registered=$(grep -c '^add_test' "$work/guard_probe_tests.cmake")
if [ "$registered" != 5 ]; then
  echo "check-guard: expected 5 registered entries (one name split in two), found $registered" >&2
  failed=1
fi
# The static half of the guard (check-registered.py) must see the split name too.
if "$(dirname "$0")/check-registered.py" "$work" "$probe" > "$work/registered.out" 2>&1; then
  echo "check-guard: check-registered.py accepted the split name" >&2
  failed=1
fi
grep -q "'guard probe: a name split; in two' is not registered" "$work/registered.out" || {
  cat "$work/registered.out" >&2
  echo "check-guard: check-registered.py did not name the split test case" >&2
  failed=1
}
if [ "$status" = 0 ]; then
  echo "check-guard: ctest passed although entries ran no test case or no assertion" >&2
  failed=1
fi
[ "$failed" = 0 ] && echo "check-guard: every broken entry failed, the well-formed one passed"
exit "$failed"

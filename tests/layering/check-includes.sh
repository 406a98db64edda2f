#!/bin/sh
# check-includes.sh MODE PATTERN DIR...: checks the project includes (#include "...") of the C++
# files under each DIR against the layering of README "Layout", and names every line that breaks it.
#   forbid PATTERN  no include path may start with PATTERN (an extended regular expression)
#   only PATTERN    every include path must start with PATTERN
# Exit status 0 when nothing breaks the rule, 1 when something does, 2 on a usage error.
set -eu
if [ $# -lt 3 ]; then
    echo "usage: $0 forbid|only PATTERN DIR..." >&2
    exit 2
fi
mode=$1
pattern=$2
shift 2
includes=$(grep -rnE --include='*.cpp' --include='*.hpp' '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$@" || true)
case $mode in
    forbid) broken=$(printf '%s\n' "$includes" | grep -E "#[[:space:]]*include[[:space:]]*\"($pattern)" || true) ;;
    only) broken=$(printf '%s\n' "$includes" | grep -vE "#[[:space:]]*include[[:space:]]*\"($pattern)" | grep . || true) ;;
    *) echo "$0: unknown mode $mode (forbid or only)" >&2; exit 2 ;;
esac
if [ -n "$broken" ]; then
    echo "includes that break the layering ($mode \"$pattern\" in $*):"
    printf '%s\n' "$broken"
    exit 1
fi
echo "$*: every include keeps to the layering ($mode \"$pattern\")"

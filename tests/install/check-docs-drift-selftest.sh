#!/bin/bash
# Checks the checker: check-docs-drift.sh on a copy of the sources with one thing of each kind
# removed must fail and name exactly those things.
# usage: check-docs-drift-selftest.sh SOURCE_DIR MAILSYNC_BINARY
set -euo pipefail
src=$1
mailsync=$2
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
mkdir -p "$copy/cli"
cp -r "$src/dist" "$copy/dist"
cp "$src/cli/config.hpp" "$src/cli/config_validation.cpp" "$copy/cli/"

sed -i '/^\.B \\-\\-rebuild$/d' "$copy/dist/man/mailsync.1.in"                       # an option from mailsync(1)
sed -i 's/^\.BR compress " (default: auto)"$/.B compress/' "$copy/dist/man/mailsync.yaml.5.in"   # a default
sed -i '/-a probe -d/d' "$copy/dist/completions/mailsync.fish"                          # a command from fish
sed -i 's/^        sync) options="--pull-only --push-only --max-connections --bodies" ;;$/        sync) options="--pull-only --max-connections --bodies" ;;/' \
  "$copy/dist/completions/mailsync.bash"                                               # an option from bash
sed -i 's/"compress", /"compress", "brand_new_key", /' "$copy/cli/config_validation.cpp"  # a key only the code knows

if out=$("$src/tests/install/check-docs-drift.sh" "$copy" "$mailsync" 2>&1); then
  echo "$out"; echo "drift self-test: the check passed on damaged documentation" >&2; exit 1
fi
status=0
for expected in \
  "mailsync.1: option --rebuild of 'view' is not documented under 'view'" \
  "mailsync.yaml.5: key compress does not say its default" \
  "completion fish: command 'probe' is not offered" \
  "completion bash: option --push-only of 'sync' is not offered" \
  "cli/config.hpp: key brand_new_key, accepted by cli/config_validation.cpp, is missing from the header's list" \
  "mailsync.yaml.5: key brand_new_key has no entry" \
  "config.yaml.example: key brand_new_key is missing"; do
  grep -qF -- "$expected" <<<"$out" || { echo "drift self-test: not reported: $expected" >&2; status=1; }
done
[ "$(grep -c '^docs drift: [^0-9]' <<<"$out")" -eq 7 ] ||
  { echo "$out" >&2; echo "drift self-test: expected exactly 7 misses" >&2; status=1; }
[ $status -eq 0 ] && echo "ok: the drift check names each of 7 planted misses"
exit $status

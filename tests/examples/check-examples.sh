#!/bin/bash
# Checks examples/: every config file is accepted by `mailsync config` (the program itself), the
# crontab lines parse and run cron's sync with --quiet, and the shell script is valid sh.
# usage: check-examples.sh MAILSYNC_BINARY EXAMPLES_DIR
set -euo pipefail
mailsync=$(realpath "$1")
examples=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "check-examples: $*" >&2; exit 1; }

configs=("$examples"/*.yaml)
[ ${#configs[@]} -ge 3 ] || fail "expected the three user setups' config files in $examples"
for config in "${configs[@]}"; do
  # A private copy: a config with a password must be 0600, and HOME must not be the user's.
  cp "$config" "$scratch/config.yaml"; chmod 600 "$scratch/config.yaml"
  if ! out=$(env -i PATH=/usr/bin:/bin HOME="$scratch" "$mailsync" -c "$scratch/config.yaml" --json config 2>"$scratch/err"); then
    cat "$scratch/err" >&2; fail "$config is rejected by mailsync config"
  fi
  [ ! -s "$scratch/err" ] || { cat "$scratch/err" >&2; fail "$config draws warnings"; }
  grep -q '"accounts":\[{' <<<"$out" || fail "$config: no account in: $out"
  echo "ok: $(basename "$config")"
done
grep -q '"mode":"pull"' < <(env -i HOME="$scratch" "$mailsync" -c "$examples/cron-mirror.yaml" --json config 2>/dev/null) \
  || fail "cron-mirror.yaml is not in pull mode"
grep -q '"mode":"backup"' < <(env -i HOME="$scratch" "$mailsync" -c "$examples/backup.yaml" --json config 2>/dev/null) \
  || fail "backup.yaml is not in backup mode"
grep -q '"mode":"two-way"' < <(env -i HOME="$scratch" "$mailsync" -c "$examples/laptop.yaml" --json config 2>/dev/null) \
  || fail "laptop.yaml is not two-way"

# crontab: every non-comment line has five time fields and a mailsync command.
while read -r line; do
  case $line in ''|'#'*) continue ;; esac
  read -r -a fields <<<"$line"
  [ ${#fields[@]} -ge 6 ] || fail "crontab line has no command: $line"
  for f in "${fields[@]:0:5}"; do [[ $f =~ ^[0-9*/,-]+$ ]] || fail "bad crontab time field '$f' in: $line"; done
  grep -q mailsync <<<"$line" || fail "crontab line does not run mailsync: $line"
done <"$examples/crontab.txt"
grep -q '^[^#]*mailsync .*sync --quiet' "$examples/crontab.txt" || fail "crontab.txt: the sync line must use --quiet (silent when offline)"
echo "ok: crontab.txt"
sh -n "$examples/backup.sh" && echo "ok: backup.sh"

# One account per job on Kubernetes: isolation per account, a configuration mailsync accepts.
python3 "$(dirname "$0")/check-kubernetes.py" "$mailsync" "$examples/kubernetes/mailsync-cronjob.yaml"

# The systemd units (the template mailsync@.service/.timer for one job per account too) live in
# dist/systemd/ and are verified as installed by tests/install/check-install.sh.

#!/usr/bin/env bash
# Installs the Debian packages mailsync needs to build and test, only those that are missing.
# Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libssl-dev zlib1g-dev liblmdb-dev libcurl4-openssl-dev libcli11-dev libyaml-cpp-dev libfmt-dev catch2
  libxapian-dev              # the search index (sync/search/)
  libgmime-3.0-dev           # MIME parsing for show and the search index (sync/mime/)
  dovecot-imapd openssl python3
  clang libclang-rt-14-dev   # libFuzzer and sanitizers
  notmuch neomutt tmux       # the Maildir view's tests with real mail clients
  man-db groff-base bsdextrautils systemd dpkg-dev zsh fish   # the install tests: man pages, units, .deb, completions
)
if [[ "${1:-}" == "--bench" ]]; then packages+=(isync iproute2); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine may be empty or stale.
$sudo apt-get update -qq
# Keep the packaged Dovecot service from starting: tests run their own instance.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

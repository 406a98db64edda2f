#!/bin/bash
# Installs the already built tree into a temporary prefix and checks each installed file as a user
# would meet it: the binary runs, the man pages render without a warning and `man` finds them, the
# completions load in bash (and zsh, fish when installed), the sample configuration is accepted,
# the systemd user units pass `systemd-analyze verify` as installed (no rewriting). Then builds the
# .deb with CPack and installs it into a scratch dpkg root, never into this machine's /usr.
# Nothing is compiled here: it installs what the build dir holds.
# usage: check-install.sh BUILD_DIR
set -euo pipefail
build=$(realpath "$1")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/prefix
fail() { echo "check-install: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$scratch/install.log" || { cat "$scratch/install.log" >&2; fail "cmake --install failed"; }
expected=(
  bin/mailsync
  share/man/man1/mailsync.1 share/man/man5/mailsync.yaml.5
  share/bash-completion/completions/mailsync share/zsh/site-functions/_mailsync
  share/fish/vendor_completions.d/mailsync.fish
  share/doc/mailsync/config.yaml.example share/doc/mailsync/examples/crontab.txt
  lib/systemd/user/mailsync-sync.service lib/systemd/user/mailsync-sync.timer lib/systemd/user/mailsync-watch.service
  lib/systemd/user/mailsync@.service lib/systemd/user/mailsync@.timer
)
for file in "${expected[@]}"; do [ -s "$prefix/$file" ] || fail "not installed: $file"; done
echo "ok: ${#expected[@]} files installed"

# The binary, and --version naming the libraries.
version=$("$prefix/bin/mailsync" --version)
for library in "mailsync $(sed -n 's/^project(mailsync VERSION \([0-9.]*\).*/\1/p' "$(dirname "$0")/../../CMakeLists.txt")" OpenSSL LMDB zlib libcurl yaml-cpp fmt; do
  grep -q "^$library" <<<"$version" || fail "--version does not name $library: $version"
done
echo "ok: bin/mailsync --version"

# Man pages: no placeholder left, no warning from man or groff, and `man` finds them by name.
for page in "$prefix"/share/man/man1/mailsync.1 "$prefix"/share/man/man5/mailsync.yaml.5; do
  ! grep -n '@[A-Z_]*@' "$page" || fail "$page: a placeholder was not filled in"
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "$page: man -l warns: $warnings"
  warnings=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
  [ -z "$warnings" ] || fail "$page: groff warns: $warnings"
done
grep -q "$prefix/share/doc/mailsync/config.yaml.example" "$prefix/share/man/man1/mailsync.1" ||
  fail "mailsync.1 does not name the installed sample configuration"
[ "$(MANPATH=$prefix/share/man man -w mailsync)" = "$prefix/share/man/man1/mailsync.1" ] || fail "man mailsync does not find mailsync(1)"
[ "$(MANPATH=$prefix/share/man man -w 5 mailsync.yaml)" = "$prefix/share/man/man5/mailsync.yaml.5" ] ||
  fail "man 5 mailsync.yaml does not find mailsync.yaml(5)"
echo "ok: man pages render without warnings; man finds them"

# Completions, loaded the way each shell loads them from the installed place.
out=$(bash --norc --noprofile -c "source '$prefix/share/bash-completion/completions/mailsync'; complete -p mailsync")
grep -q -- '-F _mailsync' <<<"$out" || fail "bash: complete -p mailsync says: $out"
echo "ok: bash completion loads"
if command -v zsh >/dev/null; then
  zsh -f -c "fpath=('$prefix/share/zsh/site-functions' \$fpath); autoload -Uz compinit; compinit -u -d '$scratch/zcompdump';
             [[ \${_comps[mailsync]} == _mailsync ]]" || fail "zsh: compinit does not bind _mailsync to mailsync"
  echo "ok: zsh completion loads"
else
  echo "skip: zsh is not installed"
fi
if command -v fish >/dev/null; then
  # fish finds vendor completions under each of XDG_DATA_DIRS, for a command it finds in PATH.
  out=$(HOME=$scratch PATH=$prefix/bin:$PATH XDG_DATA_DIRS=$prefix/share:/usr/share fish -c 'complete -C "mailsync sync --pu"')
  grep -q -- '^--pull-only' <<<"$out" || fail "fish: no --pull-only for 'mailsync sync --pu': $out"
  echo "ok: fish completion loads from share/fish/vendor_completions.d"
else
  echo "skip: fish is not installed"
fi

# The sample configuration is accepted as installed.
env -i PATH=/usr/bin:/bin HOME="$scratch" "$prefix/bin/mailsync" -c "$prefix/share/doc/mailsync/config.yaml.example" config >/dev/null ||
  fail "the installed config.yaml.example is rejected by mailsync config"
echo "ok: config.yaml.example is accepted"

# systemd user units, verified exactly as installed: ExecStart names the installed binary, and
# Documentation=man: pages are looked up (MANPATH points at the prefix, as /usr/share/man would).
units=$prefix/lib/systemd/user
grep -qx "ExecStart=$prefix/bin/mailsync sync --quiet" "$units/mailsync-sync.service" || fail "mailsync-sync.service: ExecStart does not name the installed binary"
grep -qx "ExecStart=$prefix/bin/mailsync -a %i sync --quiet" "$units/mailsync@.service" || fail "mailsync@.service: ExecStart does not sync the instance's account with the installed binary"
! grep -n '^[^#]*network-online' "$units"/*.service || fail "a user unit names network-online.target, which a user manager cannot see"
grep -q '^OnCalendar=' "$units/mailsync-sync.timer" || fail "mailsync-sync.timer: Persistent=true needs OnCalendar="
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (scripts/install-deps.sh installs systemd)"
mkdir -m 700 "$scratch/runtime"
if ! out=$(cd "$units" && XDG_RUNTIME_DIR=$scratch/runtime MANPATH=$prefix/share/man SYSTEMD_LOG_LEVEL=notice \
             systemd-analyze --user verify ./mailsync-sync.service ./mailsync-sync.timer ./mailsync-watch.service \
               ./mailsync@.service ./mailsync@.timer 2>&1); then
  echo "$out" >&2; fail "systemd-analyze verify failed on the installed units"
fi
if grep -E 'mailsync' <<<"$out"; then fail "systemd-analyze complains about an installed unit"; fi
echo "ok: systemd units pass systemd-analyze --user verify as installed"

# The .deb: CPack packs what the install rules put under /usr (it compiles nothing here).
(cd "$build" && cpack -G DEB -B "$scratch/deb" >"$scratch/cpack.log" 2>&1) || { cat "$scratch/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$(ls "$scratch"/deb/mailsync_*.deb)
info=$(dpkg-deb --info "$deb")
depends=$(sed -n 's/^ Depends: //p' <<<"$info")
for library in libssl3 liblmdb0 zlib1g libyaml-cpp 'libcurl4 (>= 7.85.0)' libfmt libstdc++6; do
  grep -qF "$library" <<<"$depends" || fail ".deb Depends lacks $library: $depends"
done
# libcurl is dlopen'ed on the first token request, not linked (so it is in Depends by hand, above).
! readelf -d "$prefix/bin/mailsync" | grep 'NEEDED.*libcurl' || fail "bin/mailsync links libcurl: it is to be dlopen'ed"
# Its dependencies are satisfiable here: apt would install this package and nothing else.
plan=$(apt-get -s -o Debug::NoLocking=1 install "$deb" 2>&1) || { echo "$plan" >&2; fail "apt-get -s install of the .deb failed"; }
[ "$(grep '^Inst ' <<<"$plan")" = "Inst mailsync ($(sed -n 's/^ Version: //p' <<<"$info") local-deb [$(dpkg --print-architecture)])" ] ||
  { echo "$plan" >&2; fail "apt would not install the .deb alone"; }
# Installed into a scratch root with a dpkg database of its own (that root has no libraries, so
# dependencies are checked above against this machine instead).
root=$scratch/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
dpkg --root="$root" --force-depends --force-not-root -i "$deb" >"$scratch/dpkg.log" 2>&1 || { cat "$scratch/dpkg.log" >&2; fail "dpkg -i into a scratch root failed"; }
dpkg --root="$root" -s mailsync | grep -q '^Status: install ok installed' || fail "dpkg does not list mailsync as installed in the scratch root"
for file in usr/bin/mailsync usr/share/man/man1/mailsync.1 usr/share/man/man5/mailsync.yaml.5 \
            usr/share/bash-completion/completions/mailsync usr/share/zsh/vendor-completions/_mailsync \
            usr/share/fish/vendor_completions.d/mailsync.fish usr/share/doc/mailsync/config.yaml.example \
            usr/lib/systemd/user/mailsync-sync.service usr/lib/systemd/user/mailsync-sync.timer usr/lib/systemd/user/mailsync-watch.service \
            usr/lib/systemd/user/mailsync@.service usr/lib/systemd/user/mailsync@.timer; do
  dpkg --root="$root" -L mailsync | grep -qx "/$file" || fail ".deb does not install /$file"
done
grep -qx 'ExecStart=/usr/bin/mailsync sync --quiet' "$root/usr/lib/systemd/user/mailsync-sync.service" || fail ".deb unit does not name /usr/bin/mailsync"
grep -q '/usr/share/doc/mailsync/config.yaml.example' "$root/usr/share/man/man1/mailsync.1" || fail ".deb man page does not name /usr/share/doc/mailsync"
"$root/usr/bin/mailsync" --version | grep -q '^OpenSSL' || fail "the packaged binary does not run"
echo "ok: $(basename "$deb") builds, its dependencies are met here, and it installs into a scratch dpkg root"

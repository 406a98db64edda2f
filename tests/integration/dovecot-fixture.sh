#!/usr/bin/env bash
# A throwaway Dovecot on loopback for the test suite and the demo.
#
#   dovecot-fixture.sh start DIR   create DIR (config, self-signed cert, users), start Dovecot on two
#                                  free loopback ports (imap + STARTTLS, and implicit-TLS imaps), wait
#                                  for both greetings, write DIR/env (shell-sourceable KEY='VALUE')
#   dovecot-fixture.sh stop DIR    stop that instance (by its PID) and wait until no process is left;
#                                  idempotent
#   dovecot-fixture.sh status DIR  exit 0 if the instance in DIR is running
#
# DOVECOT_FIXTURE_EXTRA_CONF=FILE (optional, for a test's private instance only): FILE's contents are
# appended to the generated dovecot.conf. Unset (as for the shared fixture), nothing changes.
# The instance offers COMPRESS=DEFLATE (imap_zlib), so that the suite runs compressed;
# DOVECOT_FIXTURE_COMPRESS=no leaves the plugin out. DIR/env says COMPRESS=yes when the server
# offers it (not when the extra configuration masks it with an imap_capability list without it).
#
# Runs as root (Dovecot refuses uid 0 for mail: mail belongs to the system user "mail",
# login/internal processes run as dovenull/dovecot) or as any other user (everything runs as that
# user). Writes nothing outside DIR (except, when DIR is a long path,
# a short socket directory /tmp/mailsync-dovecot.XXXXXX that `stop` removes).
set -euo pipefail

die() { echo "dovecot-fixture: $*" >&2; exit 1; }
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
DOVECOT=${DOVECOT:-/usr/sbin/dovecot}
MARKER=.mailsync-dovecot-fixture
# As root, the owner of the test mail (Dovecot will not deliver mail as uid 0).
MAIL_USER=${DOVECOT_FIXTURE_MAIL_USER:-mail}
START_TIMEOUT=${DOVECOT_FIXTURE_TIMEOUT:-15}

[ $# -eq 2 ] || die "usage: $0 start|stop|status DIR"
cmd=$1
if [ "$cmd" = start ]; then mkdir -p "$2" || die "cannot create $2"; fi
if [ ! -d "$2" ] && [ "$cmd" = stop ]; then exit 0; fi      # nothing was ever started there
if [ ! -d "$2" ] && [ "$cmd" = status ]; then exit 1; fi
DIR=$(cd "$2" && pwd) || die "cannot use directory $2"

# The master's PID if the instance of DIR is alive (checked against its command line, so a recycled
# PID is never signalled).
instance_pid() {
  local base pid
  base=$(cat "$DIR/base_dir" 2>/dev/null) || return 1
  pid=$(cat "$base/master.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/dovecot.conf" || return 1
  echo "$pid"
}

# Children of a PID (Dovecot's services), recursively.
descendants() {
  local c
  for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do echo "$c"; descendants "$c"; done
}

alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

do_stop() {
  local pid kids p i
  if pid=$(instance_pid); then
    kids=$(descendants "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do   # up to 10 s
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      echo "dovecot-fixture: master $pid did not exit on TERM, killing" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    # Services exit when the master goes away; make sure none lingers.
    for i in $(seq 1 50); do
      local left=""
      for p in $kids; do alive "$p" && left="$left $p"; done
      [ -z "$left" ] && break
      [ "$i" -eq 30 ] && kill -KILL $left 2>/dev/null || true
      sleep 0.1
    done
  fi
  local base
  base=$(cat "$DIR/base_dir" 2>/dev/null || true)
  if [[ $base == /tmp/mailsync-dovecot.* ]]; then rm -rf "$base"; fi
  rm -f "$DIR/base_dir"
  return 0
}

free_ports() {  # two distinct free TCP ports on 127.0.0.1
  "$PY" - <<'EOF'
import socket
socks = []
for _ in range(2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(*[s.getsockname()[1] for s in socks])
EOF
}

wait_ready() {  # PLAIN_PORT TLS_PORT CA TIMEOUT: both greetings read, TLS verified
  "$PY" - "$@" <<'EOF'
import socket, ssl, sys, time
host = "127.0.0.1"
plain, tls, ca, timeout = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
deadline = time.monotonic() + timeout
ctx = ssl.create_default_context(cafile=ca)
def greet(port, wrap):
    s = socket.create_connection((host, port), timeout=2)
    try:
        if wrap:
            s = ctx.wrap_socket(s, server_hostname="localhost")
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk: break
            data += chunk
        return data.startswith(b"* OK")
    finally:
        s.close()
last = None
while time.monotonic() < deadline:
    try:
        if greet(plain, False) and greet(tls, True):
            sys.exit(0)
    except (OSError, ssl.SSLError) as e:
        last = e
    time.sleep(0.05)
print(f"no IMAP greeting on 127.0.0.1:{plain} and :{tls} within {timeout:g} s (last error: {last})", file=sys.stderr)
sys.exit(1)
EOF
}

make_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,digitalSignature,keyCertSign" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" 2>"$DIR/tls/openssl.log" \
    || { cat "$DIR/tls/openssl.log" >&2; die "openssl req failed"; }
  chmod 600 "$DIR/tls/key.pem"
}

# COMPRESS=DEFLATE (RFC 4978): imap_zlib needs the zlib plugin, which compresses nothing stored
# unless zlib_save is set.
compress_plugins() {
  [ "${DOVECOT_FIXTURE_COMPRESS:-yes}" = no ] && return 0
  echo '  mail_plugins = $mail_plugins zlib imap_zlib'
}

# yes when the instance offers COMPRESS=DEFLATE after login.
offers_compress() {
  [ "${DOVECOT_FIXTURE_COMPRESS:-yes}" = no ] && { echo no; return; }
  local masked
  masked=$(grep -E '^[[:space:]]*imap_capability[[:space:]]*=' "${DOVECOT_FIXTURE_EXTRA_CONF:-/dev/null}" 2>/dev/null | tail -n 1 || true)
  if [ -n "$masked" ] && [[ $masked != *COMPRESS=DEFLATE* ]]; then echo no; else echo yes; fi
}

write_conf() {  # IMAP_PORT IMAPS_PORT
  local uid gid login_user internal_user internal_group mail_uid mail_gid
  uid=$(id -u); gid=$(id -g)
  if [ "$uid" -eq 0 ]; then
    # Dovecot refuses root both for its login processes and as the owner of mail ("userdb returned
    # 0 as uid"): login/internal processes run as the users dovecot-imapd installs, mail belongs to
    # the system user "mail" (see MAIL_USER).
    login_user=dovenull; internal_user=dovecot; internal_group=dovecot
    mail_uid=$(id -u "$MAIL_USER"); mail_gid=$(id -g "$MAIL_USER")
  else
    login_user=$(id -un); internal_user=$login_user; internal_group=$(id -gn)
    mail_uid=$uid; mail_gid=$gid
  fi
  cat >"$DIR/dovecot.conf" <<EOF
# Generated by tests/integration/dovecot-fixture.sh — a throwaway test server. Do not edit.
instance_name = mailsync-test-$(basename "$DIR")-$$
base_dir = $BASE
state_dir = $DIR/state
log_path = $DIR/dovecot.log
info_log_path = $DIR/dovecot.log
debug_log_path = $DIR/dovecot.log
log_timestamp = "%Y-%m-%d %H:%M:%S "
verbose_proctitle = yes
protocols = imap
listen = 127.0.0.1
shutdown_clients = yes

default_login_user = $login_user
default_internal_user = $internal_user
default_internal_group = $internal_group
first_valid_uid = $mail_uid
first_valid_gid = $mail_gid

# TLS: self-signed certificate for localhost / 127.0.0.1. No ssl_dh: only ECDHE key exchange.
ssl = yes
ssl_cert = <$DIR/tls/cert.pem
ssl_key = <$DIR/tls/key.pem
ssl_min_protocol = TLSv1.2
ssl_cipher_list = ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL
ssl_prefer_server_ciphers = yes

# Loopback tests: plaintext LOGIN/PLAIN allowed on the plain port too.
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_cache_size = 0
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/users
}
# Any user named t_<something> exists with the password <name>-pw (tests/support/dovecot.hpp's
# unique_user()), so that tests running in parallel need not share a mailbox.
passdb {
  driver = static
  args = password=%u-pw
  username_filter = t_*
}
userdb {
  driver = static
  args = uid=$mail_uid gid=$mail_gid home=$DIR/mail/%u
}

# Maildir, "fs" layout so that mailbox names may contain '.', hierarchy separator '/'.
mail_location = maildir:~/Maildir:LAYOUT=fs:INBOX=~/Maildir/INBOX
mail_fsync = never
mailbox_idle_check_interval = 1 secs
namespace inbox {
  inbox = yes
  separator = /
  prefix =
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}

protocol imap {
$(compress_plugins)
  mail_max_userip_connections = 1000
  imap_idle_notify_interval = 1 secs
}

service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $1
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $2
    ssl = yes
  }
}
service imap {
  process_limit = 1024
}
# No auth penalty: after a failed login anvil would delay every later login from 127.0.0.1 by
# 2..15 s, so one test of a wrong password would slow down all the others. The auth process cannot
# open anvil-auth-penalty (mode 0, auth not root) and so runs with the penalty disabled.
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  user = \$default_internal_user
}
service auth-worker {
  user = \$default_internal_user
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}
EOF
  # (test hook, off unless asked: a private instance of one test appends its own settings, e.g. the
  # oauth2 passdb of tests/integration/test_oauth2_dovecot.cpp; later settings override earlier)
  if [ -n "${DOVECOT_FIXTURE_EXTRA_CONF:-}" ]; then
    { echo; echo "# Appended from \$DOVECOT_FIXTURE_EXTRA_CONF ($DOVECOT_FIXTURE_EXTRA_CONF)"
      cat "$DOVECOT_FIXTURE_EXTRA_CONF"; } >>"$DIR/dovecot.conf" \
      || die "cannot append DOVECOT_FIXTURE_EXTRA_CONF=$DOVECOT_FIXTURE_EXTRA_CONF"
  fi
}

do_start() {
  local tries imap_port imaps_port pid
  # A stale instance in DIR is stopped first; DIR is reused only if it is ours (or empty).
  if [ -n "$(ls -A "$DIR")" ] && [ ! -e "$DIR/$MARKER" ]; then
    die "$DIR is not empty and was not made by this script; refusing to wipe it"
  fi
  do_stop
  find "$DIR" -mindepth 1 -delete
  touch "$DIR/$MARKER"
  mkdir -p "$DIR/state" "$DIR/mail" "$DIR/tls"
  if [ "$(id -u)" -eq 0 ]; then
    if ! id -u "$MAIL_USER" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$MAIL_USER" \
        || die "no user $MAIL_USER and useradd failed"
    fi
    chown "$MAIL_USER:" "$DIR/mail"
    # dovenull/dovecot must reach base_dir and the passwd-file's directory.
    chmod 0755 "$DIR"
    local d=$DIR
    while [ "$d" != / ]; do
      d=$(dirname "$d")
      if ! setpriv --reuid=dovenull --regid=nogroup --clear-groups test -x "$d" 2>/dev/null; then
        chmod o+x "$d" 2>/dev/null || die "dovenull cannot enter $d (chmod o+x it)"
      fi
    done
  fi
  # Unix socket paths must stay under ~108 bytes.
  if [ ${#DIR} -le 60 ]; then BASE=$DIR/run; mkdir -p "$BASE"
  else BASE=$(mktemp -d /tmp/mailsync-dovecot.XXXXXX); chmod 0755 "$BASE"; fi
  echo "$BASE" >"$DIR/base_dir"

  make_cert
  {
    echo "user1:{PLAIN}secret-one::::::"
    echo "user2:{PLAIN}secret-two::::::"
    echo 'user3:{PLAIN}p@ss word "3"\x::::::'
  } >"$DIR/users"
  chmod 0644 "$DIR/users"

  for tries in 1 2 3 4 5; do
    read -r imap_port imaps_port < <(free_ports)
    # (test hook: force the first attempt onto given ports, to exercise the retry)
    if [ "$tries" = 1 ] && [ -n "${DOVECOT_FIXTURE_FIRST_PORTS:-}" ]; then
      read -r imap_port imaps_port <<<"$DOVECOT_FIXTURE_FIRST_PORTS"
    fi
    write_conf "$imap_port" "$imaps_port"
    : >"$DIR/dovecot.log"
    if ! "$DOVECOT" -c "$DIR/dovecot.conf" 2>>"$DIR/dovecot.log"; then
      if grep -q "Address already in use" "$DIR/dovecot.log"; then  # port taken meanwhile
        echo "dovecot-fixture: port $imap_port or $imaps_port was taken meanwhile, retrying" >&2; continue
      fi
      tail -n 20 "$DIR/dovecot.log" >&2
      die "dovecot failed to start (log: $DIR/dovecot.log)"
    fi
    if wait_ready "$imap_port" "$imaps_port" "$DIR/tls/cert.pem" "$START_TIMEOUT" 2>"$DIR/wait.err"; then
      break
    fi
    cat "$DIR/wait.err" >&2
    echo "--- last lines of $DIR/dovecot.log:" >&2
    tail -n 20 "$DIR/dovecot.log" >&2
    do_stop
    die "Dovecot did not become ready"
  done
  pid=$(instance_pid) || { tail -n 20 "$DIR/dovecot.log" >&2; die "Dovecot did not start (no free ports after $tries tries?)"; }

  local sha
  sha=$(openssl x509 -in "$DIR/tls/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
  q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
  {
    echo "# Written by dovecot-fixture.sh start; shell-sourceable."
    echo "HOST=127.0.0.1"
    echo "IMAP_PORT=$imap_port"
    echo "IMAPS_PORT=$imaps_port"
    echo "CA_CERT=$(q "$DIR/tls/cert.pem")"
    echo "CERT_SHA256=$sha"
    echo "USER1=user1"; echo "PASS1=$(q secret-one)"
    echo "USER2=user2"; echo "PASS2=$(q secret-two)"
    echo "USER3=user3"; echo "PASS3=$(q 'p@ss word "3"\x')"
    echo "DOVECOT_CONF=$(q "$DIR/dovecot.conf")"
    echo "DOVEADM=$(q "doveadm -c $DIR/dovecot.conf")"
    echo "MAIL_ROOT=$(q "$DIR/mail")"
    echo "MAIL_UID=$(stat -c %u "$DIR/mail")"
    echo "MAIL_GID=$(stat -c %g "$DIR/mail")"
    echo "LOG=$(q "$DIR/dovecot.log")"
    echo "COMPRESS=$(offers_compress)"
    echo "PID=$pid"
  } >"$DIR/env.tmp"
  mv "$DIR/env.tmp" "$DIR/env"
  echo "dovecot-fixture: Dovecot $pid on 127.0.0.1 imap:$imap_port imaps:$imaps_port ($DIR/env)"
}

case $cmd in
  start) do_start ;;
  stop) do_stop ;;
  status) instance_pid >/dev/null ;;
  *) die "usage: $0 start|stop|status DIR" ;;
esac

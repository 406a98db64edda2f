#!/usr/bin/env bash
# dovecot_fixture_works: the throwaway Dovecot started by dovecot-fixture.sh answers as the tests
# expect. Usage: test_fixture.sh DIR (the fixture's directory).
set -euo pipefail
DIR=${1:?usage: $0 DIR}
[ -r "$DIR/env" ] || { echo "FAIL: no $DIR/env (fixture not started?)" >&2; exit 1; }
# shellcheck disable=SC1091
. "$DIR/env"
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# 1. Greeting on the plain port (read with bash's /dev/tcp, no client library).
exec 3<>"/dev/tcp/$HOST/$IMAP_PORT"
IFS= read -r -t 5 greeting <&3 || true
printf 'x LOGOUT\r\n' >&3
exec 3<&- 3>&-
[[ $greeting == "* OK "* ]] && ok "greeting on $HOST:$IMAP_PORT: ${greeting%$'\r'}" \
  || bad "no greeting on $HOST:$IMAP_PORT (got '$greeting')"

# An IMAP dialogue through openssl s_client; lines are sent one by one, each after the previous
# tagged answer could arrive (s_client has no expect). -quiet implies -ign_eof: every dialogue must
# end with LOGOUT, so the server closes the connection.
imap_tls() {  # extra s_client args..., commands on stdin
  { while IFS= read -r line; do printf '%s\r\n' "$line"; sleep 0.1; done; } |
    timeout 20 openssl s_client -quiet -verify_return_error -CAfile "$CA_CERT" \
      -verify_hostname localhost "$@" 2>&1
}

# 2. Implicit TLS verifies against CA_CERT (host name localhost and IP 127.0.0.1), LOGIN works, and
#    the capabilities mailsync relies on are offered.
out=$(printf '%s\n' "a LOGIN $USER1 \"$PASS1\"" "b CAPABILITY" "c LOGOUT" |
  imap_tls -connect "$HOST:$IMAPS_PORT") || true
if grep -q '^a OK' <<<"$out"; then ok "imaps $HOST:$IMAPS_PORT verified, LOGIN $USER1"; else bad "imaps login: $out"; fi
caps=$(grep '^\* CAPABILITY' <<<"$out" | tr -d '\r' || true)
for c in QRESYNC CONDSTORE UIDPLUS MOVE LITERAL+ LIST-STATUS SPECIAL-USE ESEARCH IDLE ENABLE; do
  if grep -qw -- "$c" <<<"${caps// /$'\n'}"; then :; else bad "CAPABILITY lacks $c ($caps)"; fi
done
ok "capabilities present"

out=$(printf '%s\n' "a NOOP" "b LOGOUT" | imap_tls -connect "127.0.0.1:$IMAPS_PORT" -verify_ip 127.0.0.1 \
  -verify_hostname "" 2>&1) || true
grep -q '^a OK' <<<"$out" && ok "certificate valid for IP 127.0.0.1" || bad "IP SAN: $out"

# A wrong CA must fail verification (proves -verify_return_error really checks).
tmpca=$(mktemp); trap 'rm -f "$tmpca" "$tmpca.key"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other \
  -keyout "$tmpca.key" -out "$tmpca" 2>/dev/null
if printf 'a NOOP\r\n' | timeout 10 openssl s_client -quiet -verify_return_error -CAfile "$tmpca" \
  -connect "$HOST:$IMAPS_PORT" >/dev/null 2>&1; then bad "verification passed with a foreign CA"
else ok "foreign CA rejected"; fi

# 3. STARTTLS on the plain port.
out=$(printf '%s\n' "a LOGIN $USER2 \"$PASS2\"" "b LOGOUT" |
  imap_tls -starttls imap -connect "$HOST:$IMAP_PORT") || true
grep -q '^a OK' <<<"$out" && ok "STARTTLS + LOGIN $USER2" || bad "STARTTLS: $out"

# 4. user3's password has a space, quotes and a backslash: quoted string login.
q=${PASS3//\\/\\\\}; q=${q//\"/\\\"}
out=$(printf '%s\n' "a LOGIN $USER3 \"$q\"" "b LOGOUT" | imap_tls -connect "$HOST:$IMAPS_PORT") || true
grep -q '^a OK' <<<"$out" && ok "LOGIN $USER3 with a quoted password" || bad "user3 login: $out"

# 5. A wrong password is refused, and does not slow down the next login (no auth penalty); any
#    t_<name> user logs in with <name>-pw (for tests that want a mailbox of their own).
out=$(printf '%s\n' "a LOGIN $USER1 wrong-password" "b LOGOUT" | imap_tls -connect "$HOST:$IMAPS_PORT") || true
grep -q '^a NO \[AUTHENTICATIONFAILED\]' <<<"$out" && ok "wrong password refused" || bad "wrong password: $out"
t0=$(date +%s%N)
out=$(printf '%s\n' "a LOGIN t_fixture t_fixture-pw" "b LOGOUT" | imap_tls -connect "$HOST:$IMAPS_PORT") || true
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
grep -q '^a OK' <<<"$out" && ok "t_fixture logged in (${ms} ms after a failure)" || bad "t_ user login: $out"
[ "$ms" -lt 1500 ] || bad "login after a failure took $ms ms (auth penalty active?)"

# 6. A message stored with doveadm is visible over IMAP; special-use mailboxes exist. (A user of
#    its own: user1..user3 are shared with tests that may run at the same time.)
u=t_fixture_seed_$$
# shellcheck disable=SC2086
printf 'From: a@example.org\r\nTo: user1@localhost\r\nSubject: fixture\r\nMessage-ID: <fixture@test>\r\n\r\nhello\r\n' |
  $DOVEADM save -u "$u" -m INBOX
out=$(printf '%s\n' "a LOGIN $u $u-pw" 'b STATUS INBOX (MESSAGES)' \
  'c LIST "" "*" RETURN (SPECIAL-USE)' "d LOGOUT" | imap_tls -connect "$HOST:$IMAPS_PORT") || true
grep -q '^\* STATUS INBOX (MESSAGES 1)' <<<"$out" && ok "seeded message visible: STATUS INBOX (MESSAGES 1)" \
  || bad "STATUS after seeding: $out"
for su in Sent Drafts Trash Junk Archive; do
  grep -q "^\* LIST (.*\\\\$su.*) \"/\" $su" <<<"$out" || bad "no special-use mailbox $su: $out"
done
ok "special-use mailboxes listed"

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed; server log: $LOG" >&2; exit 1; }
echo "all fixture checks passed"

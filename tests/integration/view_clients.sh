#!/usr/bin/env bash
# The Maildir view with real mail clients, against the fixture's Dovecot:
#   notmuch indexes the view and finds a known message;
#   neomutt, driven in a tmux pane (send-keys / capture-pane), reads a message, flags one, deletes
#   one, saves one to another folder and postpones a draft; after `mailsync sync` the server (asked
#   with doveadm, a second client) shows every change.
# Usage: view_clients.sh FIXTURE_DIR MAILSYNC   (README "use it with mutt / neomutt / aerc / notmuch")
set -euo pipefail
DIR=${1:?usage: $0 FIXTURE_DIR MAILSYNC}
MAILSYNC=${2:?usage: $0 FIXTURE_DIR MAILSYNC}
. "$DIR/env"
for program in neomutt notmuch tmux; do
  command -v "$program" >/dev/null || { echo "FAIL: $program is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

USER_NAME="t_viewclients_$$"
PASSWORD="$USER_NAME-pw"
WORK=$(mktemp -d)
SESSION="mailsync-view-$$"
cleanup() { tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

message() {  # tag
  printf 'From: Sender <sender@example.org>\r\nTo: me@example.org\r\nSubject: %s\r\nMessage-ID: <%s@clients.test>\r\nDate: Mon, 23 Nov 2026 1%s:00:00 +0000\r\n\r\nBody of %s\r\n' "$1" "$1" "${2:-0}" "$1"
}
for i in 1 2 3 4; do message "neo-$i" "$i" | $DOVEADM save -u "$USER_NAME" -m INBOX; done
$DOVEADM mailbox create -u "$USER_NAME" Archive 2>/dev/null || true

printf '%s\n' "$PASSWORD" >"$WORK/password"; chmod 600 "$WORK/password"
cat >"$WORK/config.yaml" <<YAML
accounts:
  test:
    host: $HOST
    port: $IMAP_PORT
    tls: none
    user: $USER_NAME
    password_file: $WORK/password
    store: $WORK/store
    maildir: $WORK/Mail
YAML
# The fixture offers COMPRESS: use it (compress: auto leaves loopback uncompressed).
[ "${COMPRESS:-no}" = yes ] && echo "    compress: yes" >>"$WORK/config.yaml"
chmod 600 "$WORK/config.yaml"
ms() { "$MAILSYNC" -c "$WORK/config.yaml" "$@"; }
ms sync || { bad "first sync"; exit 1; }
[[ -d $WORK/Mail/INBOX/cur ]] && ok "the view was written" || bad "no view in $WORK/Mail"

# ---- notmuch: the configuration snippet of the README.
cat >"$WORK/notmuch-config" <<CONF
[database]
path=$WORK/Mail
[new]
tags=unread;inbox;
ignore=
[maildir]
synchronize_flags=true
CONF
export NOTMUCH_CONFIG="$WORK/notmuch-config"
notmuch new >/dev/null 2>&1 || bad "notmuch new"
found=$(notmuch count subject:neo-3)
[[ $found == 1 ]] && ok "notmuch finds subject:neo-3" || bad "notmuch count subject:neo-3 = $found"
files=$(notmuch search --output=files subject:neo-3)
[[ $files == "$WORK/Mail/INBOX/cur/"* ]] && ok "notmuch names the view's file" || bad "notmuch files: $files"

# ---- neomutt in tmux: the configuration snippet of the README, plus what a test needs (no prompts).
cat >"$WORK/muttrc" <<RC
set mbox_type = Maildir
set folder = "$WORK/Mail"
set spoolfile = "+INBOX"
set record = "+Sent"
set postponed = "+Drafts"
set trash = ""
unset maildir_trash
set sort = subject
set mark_old = no
set confirmappend = no
set delete = yes
set quit = yes
set wait_key = no
set editor = "$WORK/edit.sh"
unset resolve
set header_cache = ""
set message_cachedir = ""
mailboxes +INBOX +Archive +Drafts
RC
printf '#!/bin/sh\necho "written in neomutt" >>"$1"\n' >"$WORK/edit.sh"; chmod +x "$WORK/edit.sh"
keys() { for k in "$@"; do tmux send-keys -t "$SESSION" "$k"; sleep 0.4; done; }
screen() { tmux capture-pane -p -t "$SESSION"; }
wait_for() {  # text: until the pane shows it (10 s)
  for _ in $(seq 50); do screen | grep -qF -- "$1" && return 0; sleep 0.2; done
  return 1
}
tmux new-session -d -s "$SESSION" -x 160 -y 40 "neomutt -n -F '$WORK/muttrc'; sleep 2"
wait_for "neo-4" && ok "neomutt shows the view's INBOX" || { bad "neomutt index: $(screen)"; exit 1; }
# Sorted by subject: neo-1 .. neo-4, the cursor on neo-1.
keys Enter; wait_for "Body of neo-1" && ok "neomutt reads neo-1" || bad "pager: $(screen)"
keys q j F            # flag neo-2 (resolve unset: the cursor stays)
keys j d              # delete neo-3 (unlinked on sync: maildir_trash unset)
keys j s              # save neo-4 to =Archive: a new file there, the original deleted
wait_for "Save to mailbox" || bad "no save prompt: $(screen)"
keys C-u "=Archive" Enter
sleep 1
keys m; wait_for "To:" || bad "no To prompt: $(screen)"
keys "you@example.org" Enter; wait_for "Subject:" || bad "no Subject prompt: $(screen)"
keys "draft from neomutt" Enter
wait_for "draft from neomutt" || bad "no compose menu: $(screen)"
keys P                # postpone into +Drafts
sleep 1
keys '$'              # write the mailbox: renames, unlinks
sleep 1
keys q
sleep 2

ms -v sync 2>"$WORK/sync.err" || bad "sync after neomutt: $(cat "$WORK/sync.err")"
flags_of() {  # mailbox subject -> flags as doveadm prints them
  $DOVEADM fetch -u "$USER_NAME" flags mailbox "$1" header Subject "$2" | sed -n 's/^flags: //p'
}
count_of() { $DOVEADM search -u "$USER_NAME" mailbox "$1" "${@:2}" | wc -l; }
[[ $(flags_of INBOX neo-1) == *'\Seen'* ]] && ok "read in neomutt: \\Seen on the server" || bad "neo-1 flags: $(flags_of INBOX neo-1)"
[[ $(flags_of INBOX neo-2) == *'\Flagged'* ]] && ok "flagged in neomutt: \\Flagged on the server" || bad "neo-2 flags: $(flags_of INBOX neo-2)"
[[ $(count_of INBOX header Subject neo-3) == 0 ]] && ok "deleted in neomutt: expunged on the server" || bad "neo-3 still in INBOX"
[[ $(count_of INBOX header Subject neo-4) == 0 && $(count_of Archive header Subject neo-4) == 1 ]] \
  && ok "saved to Archive in neomutt: in Archive, gone from INBOX on the server" || bad "neo-4: INBOX $(count_of INBOX header Subject neo-4), Archive $(count_of Archive header Subject neo-4)"
[[ $(count_of Drafts header Subject "draft from neomutt") == 1 ]] && ok "postponed in neomutt: a draft on the server" \
  || bad "no draft on the server; sync said: $(cat "$WORK/sync.err")"
[[ $(count_of INBOX ALL) == 2 ]] && ok "INBOX holds 2 messages" || bad "INBOX holds $(count_of INBOX ALL)"
ms sync && ms verify >/dev/null 2>&1 && ok "a second sync and verify pass" || bad "second sync or verify"
[[ $(count_of Drafts ALL) == 1 && $(count_of Archive ALL) == 1 ]] && ok "nothing doubled" || bad "doubled: Drafts $(count_of Drafts ALL), Archive $(count_of Archive ALL)"

[[ $fails == 0 ]] && echo "all passed" || { echo "$fails failed" >&2; exit 1; }

# Sourced by the bench scripts: mbsync's configuration for one account of the bench Dovecot.
#   write_mbsyncrc FILE PORT USER PASSWORD_FILE MAILDIR CHANNEL_OPTIONS
# Plaintext IMAP on 127.0.0.1:PORT, every mailbox (Patterns *) into MAILDIR (Verbatim subfolders);
# CHANNEL_OPTIONS are the lines that differ between the benches (Create, Expunge, Sync, ...).
write_mbsyncrc() {
  local file=$1 port=$2 user=$3 password=$4 maildir=$5 options=$6
  mkdir -p "$maildir"
  cat >"$file" <<EOF
# written by bench/lib/mbsync-config.sh
IMAPAccount bench
Host 127.0.0.1
Port $port
User $user
PassCmd "cat $password"
SSLType None
AuthMechs LOGIN

IMAPStore far
Account bench

MaildirStore near
Path $maildir/
Inbox $maildir/INBOX
SubFolders Verbatim

Channel bench
Far :far:
Near :near:
Patterns *
$options
SyncState *
EOF
  chmod 600 "$file"
}

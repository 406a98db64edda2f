#!/bin/sh
# Nightly backup: mirror, export, verify. Exit codes are mailsync's (75: server unreachable, try later).
set -eu
CONFIG=${CONFIG:-$HOME/.config/mailsync/backup.yaml}
DEST=${DEST:-/srv/mail-backup/export}
mailsync -c "$CONFIG" sync
mailsync -c "$CONFIG" export --format maildir "$DEST/maildir"
mailsync -c "$CONFIG" verify

# local_count TOOL USER: messages in the local copy of account USER under $WORK/acct/USER ("?" if
# it cannot be told): mbsync's Maildir files, or what `mailsync --json mailboxes` counts. Needs
# WORK, MAILSYNC and PY. Sourced by bench/run.sh and bench/scale.sh.
local_count() {
  local d=$WORK/acct/$2
  if [ "$1" = mbsync ]; then
    find "$d/maildir" -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l
  else
    { "$MAILSYNC" -c "$d/mailsync.yaml" --json mailboxes 2>/dev/null || true; } | "$PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
    boxes = d["mailboxes"] if isinstance(d, dict) else d
    print(sum(int(b.get("messages", 0)) for b in boxes))
except Exception:
    print("?")' 2>/dev/null
  fi
}

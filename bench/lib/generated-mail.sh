# Sourced by the bench scripts: generated mail (scripts/generate-mail.py), cached by seed and count.
#   generated_mail DIR N SEED   fills DIR with N messages unless an earlier run did (DIR/.done)
generated_mail() {
  if ! { [ -f "$1/.done" ] && [ "$(cat "$1/.done")" = "$2" ]; }; then
    rm -rf "$1"; mkdir -p "$1"
    echo "== generating $2 messages" >&2
    "$ROOT/scripts/generate-mail.py" --count "$2" --seed "$3" --out "$1" >&2
    echo "$2" >"$1/.done"
  fi
}

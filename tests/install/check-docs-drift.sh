#!/bin/bash
# Fails when the documentation drifts from the program: every command and option the program
# accepts (read from its own --help) must be documented in mailsync(1) and offered by the bash, zsh
# and fish completions; every exit code of its --help in mailsync(1)'s EXIT STATUS; every
# configuration key of cli/config.hpp (and of the validator's key lists) in mailsync.yaml(5), with
# its default, and in the sample configuration. Each miss is named on its own line.
# usage: check-docs-drift.sh SOURCE_DIR MAILSYNC_BINARY
set -euo pipefail
src=$1
mailsync=$2
dist=$src/dist
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
missing=0
miss() { echo "docs drift: $*" >&2; missing=$((missing + 1)); }
# Whether the word $1 is one of the lines of $2 (without a grep per question: there are hundreds).
has_line() { [[ $'\n'$2$'\n' == *$'\n'"$1"$'\n'* ]]; }

# The man pages as a reader sees them (ASCII, one paragraph per line, no overstrikes).
render() {
  sed 's/@[A-Z_]*@/X/g' "$1" >"$scratch/page"
  LC_ALL=C MANWIDTH=1000 man -l "$scratch/page" 2>/dev/null | col -bx
}
render "$dist/man/mailsync.1.in" >"$scratch/man1"
render "$dist/man/mailsync.yaml.5.in" >"$scratch/man5"

# --- what the program says it accepts -------------------------------------------------------
"$mailsync" --help >"$scratch/help"
commands=$(awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}' "$scratch/help")
[ -n "$commands" ] || { echo "docs drift: no commands found in mailsync --help" >&2; exit 1; }
# Options of a --help text: "  -q,--quiet ..." -> -q --quiet (help itself is everywhere).
options_of() { awk '/^Options:/ {on = 1; next} on && /^  -/ {print $1} on && /^$/ {on = 0}' | tr ',' '\n' | grep -v -x -e -h -e --help || true; }
global_options=$(options_of <"$scratch/help")
exit_codes=$(grep '^Exit codes:' "$scratch/help" | grep -o '\b[0-9][0-9]*\b')

# A tag line of the rendered man page: the entry of a command or option starts a line.
man1_has_entry() { grep -qE -- "^ +(-[a-z], )?$1( |,|$)" "$scratch/man1"; }
# The part of mailsync(1) documenting one command: from its entry to the next entry at its level.
man1_block() {
  awk -v c="$1" '$0 ~ "^       " c "( |$)" {on = 1; print; next} on && match($0, /[^ ]/) && RSTART <= 8 {exit} on {print}' "$scratch/man1"
}

for option in $global_options; do
  man1_has_entry "$option" || miss "mailsync.1: global option $option has no entry in OPTIONS"
done
grep -q -- '--version' <<<"$global_options" || miss "mailsync --help does not list --version"
for code in $exit_codes; do
  awk '/^EXIT STATUS/ {on = 1; next} on && /^[A-Z]/ {on = 0} on' "$scratch/man1" | grep -qE "^ +$code( |$)" ||
    miss "mailsync.1: exit code $code is not in EXIT STATUS"
done

# --- bash and fish: ask their completion functions, each in one run for every question -------
# A question is the words after "mailsync", the last one being completed ("" = an empty word);
# the arrays' keys are "q" + the question, since bash allows no empty key.
declare -A bash_answers fish_answers
questions=("" "-" "--")
for command in $commands; do questions+=("$command -" "$command --"); done
while IFS='|' read -r question answer; do bash_answers[q$question]+=$answer$'\n'; done < <(
  bash --norc --noprofile -c '
    source "$1"; shift
    for question in "$@"; do
      read -ra words <<<"$question"
      [ "${question: -1}" = " " ] || [ -z "$question" ] && words+=("")
      COMP_WORDS=(mailsync "${words[@]}"); COMP_CWORD=${#words[@]}; COMPREPLY=()
      _mailsync
      for reply in "${COMPREPLY[@]}"; do printf "%s|%s\n" "$question" "$reply"; done
    done' _ "$dist/completions/mailsync.bash" "${questions[@]}")
have_fish=false
if command -v fish >/dev/null; then
  have_fish=true
  while IFS='|' read -r question answer; do fish_answers[q$question]+=$answer$'\n'; done < <(
    fish --no-config -c 'source $argv[1]
      for question in $argv[2..-1]
        for reply in (complete -C "mailsync $question")
          printf "%s|%s\n" "$question" (string split -f1 \t -- $reply)
        end
      end' "$dist/completions/mailsync.fish" "${questions[@]}")
fi
bash_commands=${bash_answers[q]:-}
bash_globals=${bash_answers[q-]:-}
fish_commands=${fish_answers[q]:-}
fish_globals=${fish_answers[q-]:-}${fish_answers[q--]:-}
zsh_file=$dist/completions/_mailsync
# zsh: the branch of the `case` that completes one command's arguments.
zsh_branch() { awk -v c="$1" '$0 ~ "^ *([a-z|]+[|])?" c "([|][a-z|]+)?\\)" {on = 1} on {print} on && /;;/ {exit}' "$zsh_file"; }

for option in $global_options; do
  has_line "$option" "$bash_globals" || miss "completion bash: global option $option is not offered"
  if $have_fish; then has_line "$option" "$fish_globals" || miss "completion fish: global option $option is not offered"; fi
  grep -qE -- "(^|[^-a-z])$option[]+=[,}']" "$zsh_file" || miss "completion zsh: global option $option is not offered"
done

for command in $commands; do
  man1_has_entry "$command" || miss "mailsync.1: command '$command' has no entry in COMMANDS"
  has_line "$command" "$bash_commands" || miss "completion bash: command '$command' is not offered"
  if $have_fish; then has_line "$command" "$fish_commands" || miss "completion fish: command '$command' is not offered"; fi
  grep -q "^ *'$command:" "$zsh_file" || miss "completion zsh: command '$command' is not offered"
  command_options=$("$mailsync" "$command" --help | options_of)
  [ -n "$command_options" ] || continue
  block=$(man1_block "$command")
  bash_options=${bash_answers["q$command -"]:-}
  fish_options=${fish_answers["q$command -"]:-}${fish_answers["q$command --"]:-}
  branch=$(zsh_branch "$command")
  for option in $command_options; do
    grep -qE -- "^ +$option( |,|$)" <<<"$block" || miss "mailsync.1: option $option of '$command' is not documented under '$command'"
    has_line "$option" "$bash_options" || miss "completion bash: option $option of '$command' is not offered"
    if $have_fish; then has_line "$option" "$fish_options" || miss "completion fish: option $option of '$command' is not offered"; fi
    grep -qE -- "'(\([^)]*\))?$option(\[|=)" <<<"$branch" || miss "completion zsh: option $option of '$command' is not offered"
  done
done

# --- configuration keys ---------------------------------------------------------------------
# The keys documented in cli/config.hpp's header comment ("//   key: value  # ..."), and those the
# validator accepts (its *_keys lists): the header must name every accepted key.
header_keys=$(awk '/^\/\/ Keys/ {on = 1} /^#pragma/ {on = 0} on' "$src/cli/config.hpp" |
  grep -oE '^//[[:space:]]{3,}[a-z_0-9]+:' | grep -oE '[a-z_0-9]+' | sort -u)
validator_keys=$(awk '/constexpr std::string_view [a-z0-9_]*_keys\[\] = \{/ {on = 1} on {print} on && /\};/ {on = 0}' \
  "$src/cli/config_validation.cpp" | grep -oE '"[a-z_0-9]+"' | tr -d '"' | grep -v -x shell | sort -u)
[ -n "$header_keys" ] && [ -n "$validator_keys" ] || { echo "docs drift: no configuration keys found" >&2; exit 1; }
for key in $(comm -13 <(echo "$header_keys") <(echo "$validator_keys")); do
  miss "cli/config.hpp: key $key, accepted by cli/config_validation.cpp, is missing from the header's list"
done
for key in $(sort -u <(echo "$header_keys") <(echo "$validator_keys")); do
  entry=$(grep -E "^       $key( |$)" "$scratch/man5" || true)
  if [ -z "$entry" ]; then
    miss "mailsync.yaml.5: key $key has no entry"
  elif ! grep -qE '\((default|required|no default)' <<<"$entry"; then
    miss "mailsync.yaml.5: key $key does not say its default"
  fi
  grep -qE "^[[:space:]#]*$key:" "$dist/config.yaml.example" || miss "config.yaml.example: key $key is missing"
done

if [ "$missing" -gt 0 ]; then
  echo "docs drift: $missing missing; add them to dist/man/, dist/completions/, dist/config.yaml.example" >&2
  exit 1
fi
echo "ok: $(wc -w <<<"$commands") commands, their options, $(wc -w <<<"$exit_codes") exit codes and $(sort -u <(echo "$header_keys") <(echo "$validator_keys") | wc -l) configuration keys are documented and completed"

# bash completion for mailsync(1). Needs nothing but bash (not the bash-completion package).
# tests/install/check-docs-drift.sh asks this function for every command and option of the program.

# The accounts of the configuration in effect (-c FILE on the line, else the default).
_mailsync_accounts() {
    local config=()
    local i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case ${COMP_WORDS[i]} in -c|--config) config=(-c "${COMP_WORDS[i + 1]}") ;; esac
    done
    mailsync "${config[@]}" --json config 2>/dev/null | grep -o '"name":"[^"]*"' | cut -d'"' -f4
}

_mailsync() {
    local current=${COMP_WORDS[COMP_CWORD]}
    local previous=${COMP_WORDS[COMP_CWORD - 1]}
    local global_options="-c --config -a --account --json -q --quiet -v --verbose -h --help --version"
    local commands="sync watch status mailboxes list show search flag move copy delete append mkdir rename
                    rmdir queue conflicts export verify restore view probe config"

    case $previous in
        -c|--config|-o|--output) COMPREPLY=($(compgen -f -- "$current")); return ;;
        -a|--account|--to) COMPREPLY=($(compgen -W "$(_mailsync_accounts)" -- "$current")); return ;;
        --format) COMPREPLY=($(compgen -W "maildir mbox" -- "$current")); return ;;
        --date|--flags|--drop|--from|--since|--limit|--part|--mailbox) return ;;
    esac

    # The command word: the first word that is neither an option nor an option's value.
    local command="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -c|--config|-a|--account) ((i++)) ;;
            -*) ;;
            *) command=${COMP_WORDS[i]}; break ;;
        esac
    done

    if [[ -z $command ]]; then
        if [[ $current == -* ]]; then
            COMPREPLY=($(compgen -W "$global_options" -- "$current"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$current"))
        fi
        return
    fi

    local options=""
    case $command in
        sync) options="--pull-only --push-only --max-connections --bodies" ;;
        list) options="--wide --unseen --flagged --from --since --limit --deleted" ;;
        show) options="--part -o --output --force --raw" ;;
        search) options="--mailbox --limit --reindex --server" ;;
        append) options="--flags --date" ;;
        queue) options="--refused --drop" ;;
        conflicts) options="--clear" ;;
        export) options="--format" ;;
        verify) options="--repair" ;;
        restore) options="--to --deleted --dry-run" ;;
        view) options="--rebuild" ;;
        flag)
            COMPREPLY=($(compgen -W "+seen -seen +answered -answered +flagged -flagged +deleted -deleted +draft -draft" \
                                 -- "$current"))
            return ;;
    esac
    if [[ $current == -* ]]; then
        COMPREPLY=($(compgen -W "$options --help" -- "$current"))
    elif [[ $command == append || $command == export ]]; then
        COMPREPLY=($(compgen -f -- "$current"))
    fi
}

complete -o filenames -F _mailsync mailsync

# fish completion for mailsync(1). tests/install/check-docs-drift.sh asks fish for every command
# and option of the program.

set -l commands sync watch status mailboxes list show search flag move copy delete append mkdir rename rmdir queue conflicts export verify restore view probe config

function __mailsync_accounts
    set -l config
    set -l words (commandline -opc)
    for i in (seq (count $words))
        if contains -- $words[$i] -c --config; and test $i -lt (count $words)
            set config -c $words[(math $i + 1)]
        end
    end
    mailsync $config --json config 2>/dev/null | string match -ar '"name":"[^"]*"' | string replace -r '"name":"([^"]*)"' '$1'
end

complete -c mailsync -f
# Global options
complete -c mailsync -s c -l config -r -F -d 'configuration file'
complete -c mailsync -s a -l account -x -a '(__mailsync_accounts)' -d 'work on this account only'
complete -c mailsync -l json -d 'write the result as one JSON document'
complete -c mailsync -s q -l quiet -d 'print nothing but results and errors'
complete -c mailsync -s v -l verbose -d 'say more about what is done'
complete -c mailsync -s h -l help -d 'print help and exit'
complete -c mailsync -l version -d 'print the version and the libraries, and exit'

# Commands
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a sync -d "replay the offline queue, then pull the server's changes"
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a watch -d 'stay connected and sync on every change'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a status -d 'per mailbox counts, last sync, queue and conflicts'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a mailboxes -d 'the mirrored mailboxes'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a list -d 'one line per message'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a show -d 'a message from the mirror'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a search -d 'the messages that match a query (offline)'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a flag -d 'change flags (+seen -flagged ...)'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a move -d 'move messages to another mailbox'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a copy -d 'copy messages to another mailbox'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a delete -d 'remove messages'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a append -d 'add a message from a file'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a mkdir -d 'create a mailbox'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a rename -d 'rename a mailbox'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a rmdir -d 'delete a mailbox'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a queue -d 'the pending offline changes'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a conflicts -d 'the conflicts met and how each was resolved'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a export -d 'incremental export to Maildir or mbox'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a verify -d 're-hash every body and check the store'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a restore -d 'upload the mirror into the account, or another (--to)'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a view -d 'bring the Maildir view up to date'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a probe -d 'show what the server offers and try the login'
complete -c mailsync -n "not __fish_seen_subcommand_from $commands" -a config -d 'check the configuration and show it'

# Options of the commands
complete -c mailsync -n '__fish_seen_subcommand_from sync' -l pull-only -d "only fetch the server's changes"
complete -c mailsync -n '__fish_seen_subcommand_from sync' -l bodies -d "also download every body mirrored as headers only"
complete -c mailsync -n '__fish_seen_subcommand_from sync' -l push-only -d 'only replay the offline queue'
complete -c mailsync -n '__fish_seen_subcommand_from sync' -l max-connections -x -d 'several accounts: at most N connections in all'
complete -c mailsync -n '__fish_seen_subcommand_from list' -l wide -d 'every field in full, however long the lines'
complete -c mailsync -n '__fish_seen_subcommand_from list' -l unseen -d 'only messages not seen'
complete -c mailsync -n '__fish_seen_subcommand_from list' -l flagged -d 'only flagged messages'
complete -c mailsync -n '__fish_seen_subcommand_from list' -l from -x -d 'only messages whose sender contains TEXT'
complete -c mailsync -n '__fish_seen_subcommand_from list' -l since -x -d 'only messages dated on or after DATE (YYYY-MM-DD or RFC 3339)'
complete -c mailsync -n '__fish_seen_subcommand_from list' -l limit -x -d 'only the last N messages'
complete -c mailsync -n '__fish_seen_subcommand_from list' -l deleted -d 'also messages the server deleted'
complete -c mailsync -n '__fish_seen_subcommand_from show' -l part -x -d 'write MIME part N, decoded'
complete -c mailsync -n '__fish_seen_subcommand_from show' -s o -l output -r -F -d 'with --part: write the part to FILE'
complete -c mailsync -n '__fish_seen_subcommand_from show' -l force -d 'with -o: replace FILE if it exists'
complete -c mailsync -n '__fish_seen_subcommand_from show' -l raw -d "write the message's exact bytes"
complete -c mailsync -n '__fish_seen_subcommand_from search' -l mailbox -x -d 'only this mailbox'
complete -c mailsync -n '__fish_seen_subcommand_from search' -l limit -x -d 'only the newest N matches'
complete -c mailsync -n '__fish_seen_subcommand_from search' -l reindex -d 'build the index again from the mirror first'
complete -c mailsync -n '__fish_seen_subcommand_from search' -l server -d 'ask the server (UID SEARCH) instead of the index'
complete -c mailsync -n '__fish_seen_subcommand_from flag' -a '+seen -seen +answered -answered +flagged -flagged +deleted -deleted +draft -draft'
complete -c mailsync -n '__fish_seen_subcommand_from append' -F
complete -c mailsync -n '__fish_seen_subcommand_from append' -l flags -x -d 'flags, e.g. seen,draft'
complete -c mailsync -n '__fish_seen_subcommand_from append' -l date -x -d 'internal date, RFC 3339'
complete -c mailsync -n '__fish_seen_subcommand_from queue' -l refused -d 'only the changes the server refused'
complete -c mailsync -n '__fish_seen_subcommand_from queue' -l drop -x -d 'cancel a queued change'
complete -c mailsync -n '__fish_seen_subcommand_from conflicts' -l clear -d 'forget the conflicts listed now'
complete -c mailsync -n '__fish_seen_subcommand_from export' -F
complete -c mailsync -n '__fish_seen_subcommand_from export' -l format -x -a 'maildir mbox' -d 'export format'
complete -c mailsync -n '__fish_seen_subcommand_from verify' -l repair -d 'fetch damaged and missing bodies again from the server'
complete -c mailsync -n '__fish_seen_subcommand_from restore' -l to -x -a '(__mailsync_accounts)' -d 'upload into this account instead'
complete -c mailsync -n '__fish_seen_subcommand_from restore' -l deleted -d 'also what the server deleted'
complete -c mailsync -n '__fish_seen_subcommand_from restore' -l dry-run -d 'say what would be uploaded; change nothing'
complete -c mailsync -n '__fish_seen_subcommand_from view' -l rebuild -d 'write the view again from the mirror'

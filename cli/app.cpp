#include "cli/app.hpp"

#include <algorithm>
#include <functional>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include "cli/version.hpp"
#include "common/error.hpp"

namespace mailsync::cli {

namespace {

// Global options that consume the next argument, for finding the command word before CLI11 runs.
bool takes_value(const std::string& option) {
    return option == "-c" || option == "--config" || option == "-a" || option == "--account";
}

std::optional<std::size_t> command_position(const std::vector<std::string>& arguments) {
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const std::string& argument = arguments[i];
        if (argument == "--") return std::nullopt;
        if (!argument.starts_with("-")) return i;
        if (takes_value(argument)) ++i;
    }
    return std::nullopt;
}

bool looks_like_flag_change(const std::string& argument) {
    if (argument.size() < 2) return false;
    if (argument.front() == '+') return true;
    return argument.front() == '-' && argument[1] != '-' && argument != "-h";
}

// Takes the flag changes of a `flag` command out of the arguments, before CLI11 reads "-seen" as
// options.
std::vector<std::string> extract_flag_changes(std::vector<std::string>& arguments) {
    std::vector<std::string> changes;
    const auto command = command_position(arguments);
    if (!command || arguments[*command] != "flag") return changes;
    std::vector<std::string> kept(arguments.begin(), arguments.begin() + static_cast<std::ptrdiff_t>(*command) + 1);
    bool after_double_dash = false;
    for (std::size_t i = *command + 1; i < arguments.size(); ++i) {
        if (arguments[i] == "--") after_double_dash = true;
        if (!after_double_dash && looks_like_flag_change(arguments[i])) {
            changes.push_back(arguments[i]);
        } else {
            kept.push_back(arguments[i]);
        }
    }
    arguments = std::move(kept);
    return changes;
}

struct CommandTable {
    std::vector<std::pair<CLI::App*, std::function<CommandArguments()>>> entries;
};

}  // namespace

ParsedCommandLine parse_command_line(const std::vector<std::string>& original_arguments) {
    std::vector<std::string> arguments = original_arguments;
    std::vector<std::string> flag_changes = extract_flag_changes(arguments);

    CLI::App app{"mailsync: an offline-first IMAP mailbox synchronization tool", "mailsync"};
    app.set_version_flag("--version", version_text, "print the version and the libraries mailsync was built with");
    app.require_subcommand(1);
    app.fallthrough();  // global options are accepted after the command word too
    app.footer("Exit codes: 0 done, 64 usage, 65 bad input, 75 try again later (server unreachable, "
               "account busy), 73 cannot create output, 74 I/O error, 76 server protocol error, "
               "70 internal error, 77 authentication refused, 78 configuration error.");

    GlobalOptions global;
    std::string config_file;
    std::vector<std::string> accounts;
    bool quiet = false;
    bool verbose = false;
    app.add_option("-c,--config", config_file, "configuration file (default: $MAILSYNC_CONFIG, else "
                                               "$XDG_CONFIG_HOME/mailsync/config.yaml)");
    app.add_option("-a,--account", accounts, "work on this account only (default: all); sync and status take several (-a A -a B, or -a A,B)")
        ->delimiter(',');
    app.add_flag("--json", global.json, "write the result as one JSON document");
    auto* quiet_option = app.add_flag("-q,--quiet", quiet, "print nothing but results and errors; sync: nothing at all for exit 75 (offline, busy)");
    app.add_flag("-v,--verbose", verbose, "say more about what is done")->excludes(quiet_option);

    CommandTable table;
    const auto add = [&](const char* name, const char* description, std::function<CommandArguments()> finish) {
        CLI::App* command = app.add_subcommand(name, description);
        table.entries.emplace_back(command, std::move(finish));
        return command;
    };

    SyncArguments sync;
    auto* sync_command = add("sync", "replay the offline queue, then pull the server's changes", [&] { return CommandArguments(sync); });
    sync_command->add_option("MAILBOX", sync.mailboxes, "only these mailboxes");
    auto* pull_only = sync_command->add_flag("--pull-only", sync.pull_only, "only fetch the server's changes");
    auto* push_only = sync_command->add_flag("--push-only", sync.push_only, "only replay the offline queue")->excludes(pull_only);
    sync_command->add_flag("--bodies", sync.bodies, "also download every body mirrored as headers only (bodies:, max_size:)")
        ->excludes(push_only);
    sync_command
        ->add_option("--max-connections", sync.max_connections,
                     "several accounts: sync them in parallel with at most N connections in all (default 16)")
        ->check(CLI::Range(1, 1024));

    add("watch", "stay connected: sync on every change, replay the queue when the server is back",
        [] { return CommandArguments(WatchArguments{}); });
    add("status", "per mailbox: messages, unseen, last sync, HIGHESTMODSEQ; queued changes; conflicts",
        [] { return CommandArguments(StatusArguments{}); });
    add("mailboxes", "the mirrored mailboxes", [] { return CommandArguments(MailboxesArguments{}); });

    ListArguments list;
    std::string list_since;
    auto* list_command = add("list",
                             "one line per message: id, flags (N unseen, F flagged, A answered, T draft, D deleted, "
                             "X deleted on the server), date (the Date header, in the sender's zone), size, from, "
                             "subject; fits the terminal's width (else $COLUMNS, else 80). With --json (before the "
                             "command): every field, plus internaldate, from_name and from_address",
                             [&] {
                                 if (!list_since.empty()) list.since = parse_since(list_since);
                                 return CommandArguments(list);
                             });
    list_command->add_option("MAILBOX", list.mailbox, "the mailbox (INBOX in any case)")->required();
    list_command->add_flag("--deleted", list.deleted, "also messages the server deleted (kept in backup mode)");
    list_command->add_flag("--wide", list.wide, "full flags, sender addresses and subjects, however long the lines");
    list_command->add_flag("--unseen", list.unseen, "only messages not seen (without \\Seen)");
    list_command->add_flag("--flagged", list.flagged, "only flagged messages (\\Flagged)");
    list_command->add_option("--from", list.from, "only messages whose sender (name or address) contains TEXT, case ignored")
        ->type_name("TEXT");
    list_command->add_option("--since", list_since,
                             "only messages dated on or after DATE: YYYY-MM-DD (00:00 UTC) or RFC 3339")
        ->type_name("DATE");
    list_command->add_option("--limit", list.limit, "only the last N messages (the newest) that pass the filters")
        ->type_name("N")
        ->check(CLI::PositiveNumber);

    SearchArguments search;
    auto* search_command = add("search", "the messages that match a query, from the mirror's full-text index (offline)",
                               [&] { return CommandArguments(search); });
    search_command->add_option("QUERY", search.query,
                               "words, \"phrases\", from: to: cc: subject: flag: keyword: mailbox: has:attachment "
                               "date:A..B larger:N smaller:N, and or not ( )");
    search_command->add_option("--mailbox", search.mailbox, "only this mailbox");
    search_command->add_option("--limit", search.limit, "only the newest N matches");
    search_command->add_flag("--reindex", search.reindex, "build the index again from the mirror first");
    search_command->add_flag("--server", search.server,
                             "ask the server (UID SEARCH) instead of the index: finds mail not mirrored too");

    ShowArguments show;
    std::string show_id;
    std::string show_output;
    auto* show_command = add("show",
                             "the message from the mirror: headers, its text, then its other MIME parts numbered "
                             "(type, file name, size) as --part takes them; with --json (before the command): "
                             "headers, addresses, text and parts",
                             [&] {
                                 show.id = parse_id(show_id);
                                 if (!show_output.empty()) show.output = show_output;
                                 if (show.output && !show.part)
                                     throw Error(ErrorCategory::usage, "-o FILE needs --part N: the part to write");
                                 return CommandArguments(show);
                             });
    show_command->add_option("MAILBOX", show.mailbox, "the mailbox (INBOX in any case)")->required();
    show_command->add_option("ID", show_id, "the message id, as list prints it")->required();
    auto* raw_option = show_command->add_flag("--raw", show.raw, "write the message's exact bytes");
    show_command->add_option("--part", show.part,
                             "write MIME part N (as show numbers them: 2, 2.1, ...) with its transfer encoding undone, "
                             "byte for byte, to stdout or to -o FILE")
        ->type_name("N")
        ->excludes(raw_option);
    show_command->add_option("-o,--output", show_output,
                             "with --part: write the part to FILE; an existing FILE is refused (exit 73) unless --force")
        ->type_name("FILE");
    show_command->add_flag("--force", show.force, "with -o: replace FILE if it exists");

    FlagArguments flag;
    std::string flag_ids;
    std::vector<std::string> flag_changes_after_double_dash;
    auto* flag_command = add("flag", "change flags: +seen -flagged +$Keyword ...", [&] {
        flag.ids = parse_ids(flag_ids);
        flag_changes.insert(flag_changes.end(), flag_changes_after_double_dash.begin(),
                            flag_changes_after_double_dash.end());
        flag.changes = parse_flag_changes(flag_changes);
        return CommandArguments(flag);
    });
    flag_command->add_option("MAILBOX", flag.mailbox, "the mailbox")->required();
    flag_command->add_option("IDS", flag_ids, "message ids and ranges, e.g. 4,7:9")->required();
    flag_command->add_option("CHANGES", flag_changes_after_double_dash,
                             "+NAME adds, -NAME removes; system flags by name (seen answered flagged deleted "
                             "draft), keywords verbatim. Global options go before the command.");

    MoveArguments move;
    std::string move_ids;
    auto* move_command = add("move", "move messages to another mailbox", [&] {
        move.ids = parse_ids(move_ids);
        return CommandArguments(move);
    });
    move_command->add_option("MAILBOX", move.mailbox, "the mailbox")->required();
    move_command->add_option("IDS", move_ids, "message ids and ranges, e.g. 4,7:9")->required();
    move_command->add_option("DEST", move.destination, "the destination mailbox")->required();

    CopyArguments copy;
    std::string copy_ids;
    auto* copy_command = add("copy", "copy messages to another mailbox", [&] {
        copy.ids = parse_ids(copy_ids);
        return CommandArguments(copy);
    });
    copy_command->add_option("MAILBOX", copy.mailbox, "the mailbox")->required();
    copy_command->add_option("IDS", copy_ids, "message ids and ranges, e.g. 4,7:9")->required();
    copy_command->add_option("DEST", copy.destination, "the destination mailbox")->required();

    DeleteArguments remove;
    std::string remove_ids;
    auto* delete_command = add("delete", "remove messages (exactly these are expunged on the server)", [&] {
        remove.ids = parse_ids(remove_ids);
        return CommandArguments(remove);
    });
    delete_command->add_option("MAILBOX", remove.mailbox, "the mailbox")->required();
    delete_command->add_option("IDS", remove_ids, "message ids and ranges, e.g. 4,7:9")->required();

    AppendArguments append;
    std::string append_file;
    std::string append_flags;
    std::string append_date;
    auto* append_command = add("append", "add a message (sent mail, drafts, imports)", [&] {
        append.file = append_file;
        append.flags = parse_flag_list(append_flags);
        if (!append_date.empty()) append.date = parse_rfc3339(append_date);
        return CommandArguments(append);
    });
    append_command->add_option("MAILBOX", append.mailbox, "the mailbox")->required();
    append_command->add_option("FILE", append_file, "the message, as RFC 5322 bytes")->required();
    append_command->add_option("--flags", append_flags, "flags, e.g. \"seen,draft,$Label\"");
    append_command->add_option("--date", append_date, "internal date, RFC 3339 (default: now)");

    MkdirArguments mkdir;
    add("mkdir", "create a mailbox", [&] { return CommandArguments(mkdir); })
        ->add_option("NAME", mkdir.name, "the new mailbox")->required();
    RenameArguments rename;
    auto* rename_command = add("rename", "rename a mailbox", [&] { return CommandArguments(rename); });
    rename_command->add_option("OLD", rename.old_name, "the mailbox")->required();
    rename_command->add_option("NEW", rename.new_name, "its new name")->required();
    RmdirArguments rmdir;
    add("rmdir", "delete a mailbox", [&] { return CommandArguments(rmdir); })
        ->add_option("NAME", rmdir.name, "the mailbox")->required();

    QueueArguments queue;
    auto* queue_command = add("queue", "the pending offline changes, oldest first", [&] { return CommandArguments(queue); });
    queue_command->add_flag("--refused", queue.refused, "only the changes the server refused (until dropped)");
    queue_command->add_option("--drop", queue.drop, "cancel queued change ID (not yet sent, or refused): the mirror returns to the server's state for it");
    ConflictsArguments conflicts;
    std::optional<std::uint64_t> clear_id;
    auto* conflicts_command = add("conflicts", "the conflicts met and how each was resolved", [&] {
        conflicts.id = clear_id;
        return CommandArguments(conflicts);
    });
    conflicts_command->add_flag("--clear", conflicts.clear,
                                "forget the conflicts recorded now (all that `conflicts` lists), or only the one named by ID");
    conflicts_command->add_option("ID", clear_id, "with --clear: the conflict to forget (the first column; `seq` in --json)");

    ExportArguments export_arguments;
    std::string export_format;
    std::string export_directory;
    auto* export_command = add("export", "incremental export for backups", [&] {
        export_arguments.format = export_format == "mbox" ? ExportFormat::mbox : ExportFormat::maildir;
        export_arguments.directory = export_directory;
        return CommandArguments(export_arguments);
    });
    export_command->add_option("--format", export_format, "maildir or mbox")
        ->required()
        ->check(CLI::IsMember({"maildir", "mbox"}));
    export_command->add_option("DIR", export_directory, "the export directory")->required();
    export_command->add_option("MAILBOX", export_arguments.mailboxes, "only these mailboxes");

    VerifyArguments verify;
    add("verify", "re-hash every stored body and check the store's invariants", [&] { return CommandArguments(verify); })
        ->add_flag("--repair", verify.repair, "fetch damaged and missing bodies again from the server");
    RestoreArguments restore;
    auto* restore_command = add("restore",
                                "upload the mirror into the account (after a loss) or into the account --to names (a "
                                "migration): mailboxes created, flags, keywords and INTERNALDATE kept, nothing uploaded twice",
                                [&] { return CommandArguments(restore); });
    restore_command->add_option("MAILBOX", restore.mailboxes, "only these mailboxes");
    restore_command->add_option("--to", restore.to, "upload into this account of the configuration instead")->type_name("ACCOUNT");
    restore_command->add_flag("--deleted", restore.deleted, "also the messages and mailboxes the server deleted (kept in backup mode)");
    restore_command->add_flag("--dry-run", restore.dry_run, "say what would be created and uploaded; change nothing");

    ViewArguments view;
    auto* view_command = add("view", "bring the Maildir view up to date from the mirror (offline)", [&] { return CommandArguments(view); });
    view_command->add_flag("--rebuild", view.rebuild, "forget the view's records and write it again from the mirror");
    add("probe", "connect, and print the server's capabilities and mailboxes",
        [] { return CommandArguments(ProbeArguments{}); });
    add("config", "check the configuration and show it (secrets left out)",
        [] { return CommandArguments(ConfigArguments{}); });

    // CLI11 would say "A subcommand is required" for a misspelt command; name the word instead.
    if (const auto command = command_position(arguments)) {
        const auto& subcommands = table.entries;
        const std::string& word = arguments[*command];
        if (std::none_of(subcommands.begin(), subcommands.end(), [&](const auto& entry) { return entry.first->get_name() == word; })) {
            throw Error(ErrorCategory::usage, fmt::format("unknown command \"{}\"\nRun 'mailsync --help' for the list of commands.", word));
        }
    }

    std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());  // CLI11 consumes from the back
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp& help) {
        std::ostringstream text;
        app.exit(help, text, text);
        return ParsedCommandLine{std::nullopt, text.str()};
    } catch (const CLI::CallForAllHelp& help) {
        std::ostringstream text;
        app.exit(help, text, text);
        return ParsedCommandLine{std::nullopt, text.str()};
    } catch (const CLI::CallForVersion& version) {
        return ParsedCommandLine{std::nullopt, std::string(version.what()) + "\n"};
    } catch (const CLI::ParseError& error) {
        const auto selected = app.get_subcommands();
        const std::string help_hint = selected.empty() ? "mailsync --help" : "mailsync " + selected.front()->get_name() + " --help";
        throw Error(ErrorCategory::usage, fmt::format("{}\nRun '{}' for more information.", error.what(), help_hint));
    }

    if (!config_file.empty()) global.config_file = config_file;
    // Several are joined with commas, which no account name holds; select_accounts splits them.
    if (!accounts.empty()) global.account = fmt::format("{}", fmt::join(accounts, ","));
    global.verbosity = quiet ? Verbosity::quiet : verbose ? Verbosity::verbose : Verbosity::normal;

    const CLI::App* selected = app.get_subcommands().front();
    const auto entry = std::find_if(table.entries.begin(), table.entries.end(),
                                    [&](const auto& candidate) { return candidate.first == selected; });
    if (entry == table.entries.end()) throw Error(ErrorCategory::internal, "a command without an entry in the table");
    if (!flag_changes.empty() && selected != flag_command) {
        throw Error(ErrorCategory::internal, "flag changes extracted for another command");
    }
    return ParsedCommandLine{Invocation{global, selected->get_name(), entry->second()}, {}};
}

}  // namespace mailsync::cli

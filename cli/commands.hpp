// The commands: their parsed arguments, and one function per command. Each command group lives in
// its own file (sync_commands.cpp, view_commands.cpp, change_commands.cpp, backup_commands.cpp,
// config_command.cpp, probe.cpp); commands.cpp selects the accounts and dispatches.
//
// A command returns its exit code (0, or a code it decided on, e.g. verify finding damage) and
// throws mailsync::Error for failures; main() turns those into messages and exit codes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cli/arguments.hpp"
#include "cli/config.hpp"
#include "cli/output.hpp"

namespace mailsync::cli {

struct SyncArguments {
    std::vector<std::string> mailboxes;  // empty: all the account's mailboxes
    bool pull_only = false;
    bool push_only = false;
    // Several accounts are synced in parallel while the connections they use stay within this
    // (each account uses up to its `connections`); cli/connection_budget.hpp.
    unsigned max_connections = 16;
    bool bodies = false;   // also download every body mirrored as headers only (headers first)
};
struct WatchArguments {};
struct StatusArguments {};
struct MailboxesArguments {};
struct ListArguments {
    std::string mailbox;
    bool deleted = false;  // also what the server deleted (backup mode keeps it)
    bool wide = false;     // full flags, addresses and subjects, whatever the terminal's width
    bool unseen = false;   // only messages without \Seen
    bool flagged = false;  // only messages with \Flagged
    std::optional<std::string> from;            // only messages whose From contains this (ASCII case ignored)
    std::optional<std::int64_t> since;          // only messages dated at or after this (Unix seconds)
    std::optional<std::size_t> limit;           // only the last N that pass the filters
};
struct ShowArguments {
    std::string mailbox;
    MessageId id = 0;
    bool raw = false;
    std::optional<std::string> part;            // --part N: that MIME part, decoded (IMAP section number)
    std::optional<std::filesystem::path> output;   // -o FILE: write it there instead of stdout
    bool force = false;                         // -o may replace an existing file
};
struct FlagArguments {
    std::string mailbox;
    std::vector<MessageId> ids;
    FlagChanges changes;
};
struct MoveArguments {
    std::string mailbox;
    std::vector<MessageId> ids;
    std::string destination;
};
struct CopyArguments {
    std::string mailbox;
    std::vector<MessageId> ids;
    std::string destination;
};
struct DeleteArguments {
    std::string mailbox;
    std::vector<MessageId> ids;
};
struct AppendArguments {
    std::string mailbox;
    std::filesystem::path file;
    std::vector<std::string> flags;  // as on the wire
    std::optional<Timestamp> date;   // INTERNALDATE; absent: now
};
struct MkdirArguments {
    std::string name;
};
struct RenameArguments {
    std::string old_name;
    std::string new_name;
};
struct RmdirArguments {
    std::string name;
};
struct QueueArguments {
    bool refused = false;   // --refused: only the changes the server refused
    std::optional<std::uint64_t> drop;   // --drop ID: cancel that change
};
struct ConflictsArguments {
    bool clear = false;                 // --clear: forget the conflicts listed now ...
    std::optional<std::uint64_t> id;    // ... or only this one (--clear ID)
};
enum class ExportFormat { maildir, mbox };
struct ExportArguments {
    ExportFormat format = ExportFormat::maildir;
    std::filesystem::path directory;
    std::vector<std::string> mailboxes;  // empty: all
};
struct VerifyArguments {
    bool repair = false;   // fetch the damaged and missing bodies again from the server
};
struct RestoreArguments {
    std::optional<std::string> to;       // --to ACCOUNT: upload there (a migration); absent: the account itself
    std::vector<std::string> mailboxes;  // empty: every mailbox of the mirror
    bool deleted = false;                // --deleted: also what the server deleted (backup mode keeps it)
    bool dry_run = false;                // --dry-run: say what would be uploaded, upload nothing
};
struct ViewArguments {
    bool rebuild = false;   // forget what the view recorded and write it again from the mirror
};
struct SearchArguments {
    std::vector<std::string> query;        // the words of the query, joined with spaces
    std::optional<std::string> mailbox;    // --mailbox: only this mailbox
    std::size_t limit = 0;                 // --limit: the newest N (0: all)
    bool reindex = false;                  // --reindex: build the index again first
    bool server = false;                   // --server: ask the server (UID SEARCH), not the index
};
struct ProbeArguments {};
struct ConfigArguments {};

using CommandArguments =
    std::variant<SyncArguments, WatchArguments, StatusArguments, MailboxesArguments, ListArguments, ShowArguments,
                 FlagArguments, MoveArguments, CopyArguments, DeleteArguments, AppendArguments, MkdirArguments,
                 RenameArguments, RmdirArguments, QueueArguments, ConflictsArguments, ExportArguments,
                 VerifyArguments, ProbeArguments, ConfigArguments, ViewArguments, SearchArguments, RestoreArguments>;

// Whether the command works on one account (it names a mailbox or message of it) rather than on
// every configured account when -a is absent.
bool needs_single_account(const CommandArguments& arguments);

struct CommandContext {
    const Config& config;
    std::vector<const Account*> accounts;  // the selected ones, in file order; one for single-account commands
    Output& output;
};

// Chooses the accounts: the one -a names (unknown: Error(config) listing the known ones), else all,
// and for a single-account command, the only one (several: Error(usage) asking for -a).
std::vector<const Account*> select_accounts(const Config& config, const std::optional<std::string>& account_name,
                                            std::string_view command_name, bool single);

int run_command(const CommandContext& context, const CommandArguments& arguments);

// sync_commands.cpp
int run_sync(const CommandContext& context, const SyncArguments& arguments);
int run_watch(const CommandContext& context, const WatchArguments& arguments);
// view_commands.cpp
int run_status(const CommandContext& context, const StatusArguments& arguments);
int run_mailboxes(const CommandContext& context, const MailboxesArguments& arguments);
int run_list(const CommandContext& context, const ListArguments& arguments);
int run_show(const CommandContext& context, const ShowArguments& arguments);
// change_commands.cpp
int run_flag(const CommandContext& context, const FlagArguments& arguments);
int run_move(const CommandContext& context, const MoveArguments& arguments);
int run_copy(const CommandContext& context, const CopyArguments& arguments);
int run_delete(const CommandContext& context, const DeleteArguments& arguments);
int run_append(const CommandContext& context, const AppendArguments& arguments);
int run_mkdir(const CommandContext& context, const MkdirArguments& arguments);
int run_rename(const CommandContext& context, const RenameArguments& arguments);
int run_rmdir(const CommandContext& context, const RmdirArguments& arguments);
int run_queue(const CommandContext& context, const QueueArguments& arguments);
int run_conflicts(const CommandContext& context, const ConflictsArguments& arguments);
// backup_commands.cpp
int run_export(const CommandContext& context, const ExportArguments& arguments);
int run_verify(const CommandContext& context, const VerifyArguments& arguments);
// restore_command.cpp: uploads the account's mirror into it, or into the account --to names.
int run_restore(const CommandContext& context, const RestoreArguments& arguments);
// maildir_view_commands.cpp: `view` brings the Maildir view up to date from the mirror (offline);
// `view --rebuild` writes it again from scratch.
int run_view(const CommandContext& context, const ViewArguments& arguments);
// search_commands.cpp: the messages that match a query, from the account's search index, as `list`
// prints them (cli/search_index.hpp keeps the index up to date).
int run_search(const CommandContext& context, const SearchArguments& arguments);
// config_command.cpp: validates the configuration and shows it, secrets left out.
int run_config(const CommandContext& context, const ConfigArguments& arguments);
// probe.cpp: connects, prints the capabilities and mailboxes. Called once per selected account.
int run_probe(const Account& account, Output& output);

}  // namespace mailsync::cli

// restore: the account's mirror uploaded into the account itself (after a loss) or into the
// account --to names (a migration), by sync/restore/restore.hpp.
//
// The source store is opened exclusive (a sync of the account beside it would be racing it: exit
// 75), shared for --dry-run, which writes nothing. Into the same account, messages and mailboxes
// made offline and not yet replayed are left to `sync` (the queue uploads them); into another one
// they are restored too.
//
// Output: one line per mailbox that has mail or was created, and a summary (on a terminal or with
// -v; --dry-run always prints them, they are what it was asked for), each failure on stderr, a
// progress bar on a terminal; --json: one document with the counts per mailbox. Exit 0 when everything was restored or was
// there already; 76 when the target refused a mailbox or a message (the others were restored); 74
// when a body file was damaged or missing (not uploaded; the next sync fetches it again); 75 when
// the target cannot be reached or the connection is lost (what was uploaded is journaled: the
// next run resumes without uploading anything twice); 77 when it refuses the login.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/failure_hints.hpp"
#include "cli/progress.hpp"
#include "cli/server.hpp"
#include "cli/view_support.hpp"
#include "common/error.hpp"
#include "sync/restore/restore.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::cli {
namespace {

std::string identity_of(const Account& account) {
    return fmt::format("{}@{}:{}", account.user, account.endpoint.host, account.endpoint.port);
}

std::string megabytes(std::uint64_t bytes) { return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6); }

std::string mailbox_line(const sync::RestoreMailboxReport& mailbox, bool dry_run) {
    const std::string name = sync::mailbox_display_name(mailbox.name);
    const std::string target = mailbox.target.empty() || mailbox.target == mailbox.name
                                   ? std::string()
                                   : " -> " + sync::mailbox_display_name(mailbox.target);
    std::string line = fmt::format("{}{}: {} {} ({}), {} already there", name, target, dry_run ? "would upload" : "uploaded",
                                   mailbox.uploaded, megabytes(mailbox.bytes), mailbox.skipped());
    if (mailbox.recovered > 0) line += fmt::format(" ({} found after an interrupted upload)", mailbox.recovered);
    if (!mailbox.failures.empty()) line += fmt::format(", {} failed", mailbox.failures.size());
    if (mailbox.headers_only > 0)
        line += fmt::format(", {} not restored: mirrored as headers only (`mailsync sync --bodies` downloads them)",
                            mailbox.headers_only);
    if (mailbox.created) line += dry_run ? "; the mailbox would be created" : "; the mailbox was created";
    return line;
}

void write_json(JsonWriter& json, const Account& source, const Account& target, const sync::RestoreOptions& options,
                const sync::RestoreReport& report) {
    json.begin_object()
        .key("account").value(source.name)
        .key("to").value(target.name)
        .key("dry_run").value(options.dry_run)
        .key("uploaded").value(report.uploaded())
        .key("bytes").value(report.bytes())
        .key("skipped").value(report.skipped())
        .key("failed").value(report.failed())
        .key("mailboxes").begin_array();
    for (const auto& mailbox : report.mailboxes) {
        json.begin_object()
            .key("name").value(sync::mailbox_display_name(mailbox.name))
            .key("target").value(sync::mailbox_display_name(mailbox.target))
            .key("created").value(mailbox.created)
            .key("uploaded").value(mailbox.uploaded)
            .key("bytes").value(mailbox.bytes)
            .key("skipped").value(mailbox.skipped())
            .key("restored_before").value(mailbox.restored_before)
            .key("already_there").value(mailbox.already_there)
            .key("recovered").value(mailbox.recovered)
            .key("headers_only").value(mailbox.headers_only)
            .key("failed").value(static_cast<std::uint64_t>(mailbox.failures.size()))
            .key("failures").begin_array();
        for (const auto& failure : mailbox.failures) json.value(failure.why);
        json.end_array().end_object();
    }
    json.end_array().end_object();
}

const Account& target_account(const CommandContext& context, const RestoreArguments& arguments) {
    const Account& source = the_account(context);
    if (!arguments.to) return source;
    const Account* target = context.config.find(*arguments.to);
    if (target == nullptr)
        throw Error(ErrorCategory::config, fmt::format("restore --to {}: there is no account \"{}\" in {}", *arguments.to,
                                                       *arguments.to, context.config.path));
    return *target;
}

}  // namespace

int run_restore(const CommandContext& context, const RestoreArguments& arguments) {
    Output& output = context.output;
    const Account& source = the_account(context);
    const Account& target = target_account(context, arguments);
    const bool same_account = &target == &source || identity_of(target) == identity_of(source);

    sync::RestoreOptions options;
    options.mailboxes = arguments.mailboxes;
    options.include_deleted = arguments.deleted;
    options.include_unsynced = !same_account;
    options.dry_run = arguments.dry_run;
    options.target_identity = identity_of(target);
    store::Store store = open_existing_store(source, arguments.dry_run ? store::Access::shared : store::Access::exclusive);
    sync::restore_totals(store, options);   // an unknown mailbox is exit 65 before anything is connected

    sync::RestoreReport report;
    try {
        sync::Connection connection =
            sync::connect(server_settings(target), secret_provider(target, same_account ? &store : nullptr));
        std::optional<ProgressBar> bar;
        if (output.shows_progress()) bar.emplace(output.err());
        report = sync::restore(*connection.session, store, options, bar ? &*bar : nullptr);
        if (bar) bar->clear();
        connection.session->logout();
    } catch (const Error& error) {
        // The target's server: its name in the line, and how the next run goes on.
        const ErrorCategory category = error.category();
        if (category != ErrorCategory::unavailable && category != ErrorCategory::auth && category != ErrorCategory::protocol)
            throw;
        output.err() << "mailsync: " << account_failure_line(target.name, error, "restore") << '\n';
        if (category == ErrorCategory::unavailable && !arguments.dry_run)
            output.err() << "mailsync: what was uploaded is journaled: the same `restore` again resumes, uploading nothing twice\n";
        return exit_code_for(category);
    }

    if (output.json()) {
        JsonWriter json;
        write_json(json, source, target, options, report);
        output.result(json.str());
    } else {
        for (const auto& mailbox : report.mailboxes) {
            // A mailbox with nothing in it and nothing done says nothing.
            if (mailbox.uploaded + mailbox.skipped() + mailbox.failures.size() + mailbox.headers_only == 0 && !mailbox.created)
                continue;
            const std::string line = fmt::format("{}: {}", target.name, mailbox_line(mailbox, options.dry_run));
            if (options.dry_run) output.result(line);
            else output.note(line);
        }
        const std::string summary =
            fmt::format("{} -> {}: {} {} message(s) ({}), {} already there, {} failed", source.name, target.name,
                        options.dry_run ? "would upload" : "uploaded", report.uploaded(), megabytes(report.bytes()),
                        report.skipped(), report.failed());
        if (options.dry_run) output.result(summary + " (dry run: nothing was changed)");
        else output.note(summary);
    }
    for (const auto& mailbox : report.mailboxes) {
        for (const auto& failure : mailbox.failures) output.warning(fmt::format("{}: {}", target.name, failure.why));
        if (mailbox.headers_only > 0 && output.json())
            output.warning(fmt::format("{}: {}: {} messages not restored: mirrored as headers only (`mailsync -a {} sync "
                                       "--bodies` downloads them)", target.name, sync::mailbox_display_name(mailbox.name),
                                       mailbox.headers_only, source.name));
    }
    if (report.any_refused_by_server()) return exit_code::protocol;
    return report.failed() > 0 ? exit_code::io : exit_code::ok;
}

}  // namespace mailsync::cli

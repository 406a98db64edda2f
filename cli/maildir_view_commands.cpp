// `view --rebuild`, and the Maildir view's part in sync, status and verify (cli/maildir_view.hpp).
#include <unistd.h>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/maildir_view.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"

namespace mailsync::cli {
namespace {

std::string this_host() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
    return name;
}

std::string update_line(const Account& account, const sync::ViewUpdateReport& report) {
    return fmt::format("{}: Maildir view: {} files written, {} renamed, {} removed; folders: {} created, {} renamed, {} removed",
                       account.name, report.created, report.renamed, report.removed, report.folders_created,
                       report.folders_renamed, report.folders_removed);
}

}  // namespace

std::optional<sync::MaildirViewSettings> maildir_view_settings(const Account& account) {
    if (!account.maildir) return std::nullopt;
    return sync::MaildirViewSettings{*account.maildir, account.maildir_layout, this_host(), account.mode == SyncMode::two_way};
}

ViewScanOutcome scan_view_before_sync(const Account& account, store::Store& store, Output& output) {
    const auto settings = maildir_view_settings(account);
    if (!settings || !settings->two_way) return {};
    try {
        const sync::ViewScanReport report = sync::scan_maildir_view(store, *settings, unix_time_now());
        if (report.changes() > 0)
            output.detail(fmt::format("{}: Maildir view: queued {} flag changes, {} moves, {} copies, {} deletes, {} appends; "
                                      "folders: {} created, {} renamed, {} removed",
                                      account.name, report.flags, report.moves, report.copies, report.deletes, report.appends,
                                      report.folders_created, report.folders_renamed, report.folders_removed));
        for (const auto& problem : report.problems) output.warning(fmt::format("{}: Maildir view: {}", account.name, problem));
        return {!report.view_missing, report};
    } catch (const Error& error) {
        output.warning(fmt::format("{}: the Maildir view {} could not be read, so it is not updated either: {}", account.name,
                                   settings->root.string(), error.what()));
        return {false, std::nullopt};
    }
}

void view_sync_json(JsonWriter& json, const Account& account, const ViewScanOutcome& scan,
                    const std::optional<sync::ViewUpdateReport>& update) {
    json.key("maildir_view");
    if (!account.maildir) {
        json.null();
        return;
    }
    json.begin_object().key("scan");
    if (const auto& s = scan.report) {
        json.begin_object()
            .key("flags").value(s->flags).key("moves").value(s->moves).key("copies").value(s->copies)
            .key("deletes").value(s->deletes).key("appends").value(s->appends)
            .key("folders_created").value(s->folders_created).key("folders_renamed").value(s->folders_renamed)
            .key("folders_removed").value(s->folders_removed).key("adopted").value(s->adopted)
            .key("problems").begin_array();
        for (const auto& problem : s->problems) json.value(problem);
        json.end_array().end_object();
    } else {
        json.null();
    }
    json.key("update");
    if (update) {
        json.begin_object()
            .key("created").value(update->created).key("renamed").value(update->renamed).key("removed").value(update->removed)
            .key("folders_created").value(update->folders_created).key("folders_renamed").value(update->folders_renamed)
            .key("folders_removed").value(update->folders_removed).key("copies").value(update->copies)
            .key("notes").begin_array();
        for (const auto& note : update->notes) json.value(note);
        json.end_array().end_object();
    } else {
        json.null();
    }
    json.end_object();
}

std::optional<sync::ViewUpdateReport> update_view_after_sync(const Account& account, store::Store& store, Output& output) {
    const auto settings = maildir_view_settings(account);
    if (!settings) return std::nullopt;
    try {
        const sync::ViewUpdateReport report = sync::update_maildir_view(store, *settings);
        if (report.changes() > 0) output.detail(update_line(account, report));
        for (const auto& note : report.notes) output.warning(fmt::format("{}: {}", account.name, note));
        return report;
    } catch (const Error& error) {
        output.warning(fmt::format("{}: the Maildir view {} was not brought up to date: {}", account.name,
                                   settings->root.string(), error.what()));
        return std::nullopt;
    }
}

std::string view_status_text(const Account& account, store::Store& store) {
    const auto settings = maildir_view_settings(account);
    if (!settings) return {};
    const sync::ViewStatus status = sync::maildir_view_status(store, *settings);
    if (!status.written) return fmt::format("  Maildir view {} ({}): not written yet (the next sync writes it)\n", settings->root.string(), sync::to_string(settings->layout));
    std::string text = fmt::format("  Maildir view {} ({}): {} files", settings->root.string(), sync::to_string(settings->layout), status.files);
    if (status.copies > 0)
        text += fmt::format(", {} of them copies, not hard links (the view is on another file system than the store: "
                            "they take space of their own)", status.copies);
    text += "\n";
    for (const auto& problem : status.problems) text += fmt::format("  Maildir view: left alone: {}\n", problem);
    return text;
}

void view_status_json(JsonWriter& json, const Account& account, store::Store* store) {
    json.key("maildir");
    const auto settings = maildir_view_settings(account);
    if (!settings) {
        json.null();
        return;
    }
    const sync::ViewStatus status = store ? sync::maildir_view_status(*store, *settings) : sync::ViewStatus{};
    json.begin_object()
        .key("path").value(settings->root.string())
        .key("layout").value(sync::to_string(settings->layout))
        .key("written").value(status.written)
        .key("files").value(status.files)
        .key("copies").value(status.copies)
        .key("problems").begin_array();
    for (const auto& problem : status.problems) json.value(problem);
    json.end_array().end_object();
}

sync::ViewCheck verify_view(const Account& account, store::Store& store) {
    const auto settings = maildir_view_settings(account);
    if (!settings) return {};
    return sync::check_maildir_view(store, *settings, true);
}

int run_view(const CommandContext& context, const ViewArguments& arguments) {
    Output& output = context.output;
    for (const Account* account : context.accounts) {
        const auto settings = maildir_view_settings(*account);
        if (!settings) {
            if (context.accounts.size() == 1)
                throw Error(ErrorCategory::config, fmt::format("account {} has no Maildir view: add maildir: PATH to its configuration", account->name));
            continue;
        }
        store::Store store = store::Store::open(account->store, store::Access::exclusive);
        // What clients did since the last sync is queued first: a rebuild loses none of it. A view
        // that is missing altogether has nothing to scan: a rebuild writes it again.
        const bool missing = !std::filesystem::is_directory(settings->root);
        if (!scan_view_before_sync(*account, store, output).update && !(arguments.rebuild && missing))
            throw Error(ErrorCategory::io, fmt::format("the Maildir view {} could not be read; nothing was rewritten", settings->root.string()));
        const sync::ViewUpdateReport report =
            arguments.rebuild ? sync::rebuild_maildir_view(store, *settings) : sync::update_maildir_view(store, *settings);
        output.note(update_line(*account, report));
        for (const auto& note : report.notes) output.warning(fmt::format("{}: {}", account->name, note));
    }
    return exit_code::ok;
}

}  // namespace mailsync::cli

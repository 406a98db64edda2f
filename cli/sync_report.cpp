// sync's and watch's reports in words and in JSON.
#include "cli/sync_support.hpp"

#include <fmt/format.h>

#include "cli/maildir_view.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::cli {

void write_json_push(JsonWriter& json, const std::optional<sync::ReplayReport>& pushed) {
    json.key("pushed");
    if (!pushed) {
        json.null();
        return;
    }
    json.begin_object()
        .key("confirmed").value(static_cast<std::uint64_t>(pushed->confirmed))
        .key("conflicts").value(static_cast<std::uint64_t>(pushed->conflicts))
        .key("failed").value(static_cast<std::uint64_t>(pushed->failed))
        .key("left").value(static_cast<std::uint64_t>(pushed->left))
        .key("failures").begin_array();
    for (const auto& failure : pushed->failures) json.value(failure);
    json.end_array().end_object();
}

std::string push_line(const Account& account, const sync::ReplayReport& pushed) {
    return fmt::format("{}: queue: {} pushed, {} conflicts resolved, {} refused, {} left", account.name,
                       pushed.confirmed, pushed.conflicts, pushed.failed, pushed.left);
}

void write_json_report(JsonWriter& json, const Account& account, const sync::PullReport& report, double seconds,
                       const std::optional<sync::ReplayReport>& pushed, const std::optional<store::SweepReport>& swept,
                       const ViewScanOutcome& view_scan, const std::optional<sync::ViewUpdateReport>& view_update,
                       const std::optional<sync::CompletionReport>& completed) {
    json.begin_object()
        .key("account").value(account.name);
    std::uint64_t headers_only = 0;
    for (const auto& mailbox : report.mailboxes) headers_only += mailbox.headers_only;
    json.key("headers_only").value(headers_only).key("bodies_completed");
    if (completed) json.begin_object().key("messages").value(completed->completed).key("bytes").value(completed->bytes).end_object();
    else json.null();
    write_json_push(json, pushed);
    view_sync_json(json, account, view_scan, view_update);
    json.key("swept");
    if (swept) json.begin_object().key("bodies").value(swept->orphan_bodies).key("bytes").value(swept->orphan_bytes).end_object();
    else json.null();
    json.key("new").value(report.total_new())
        .key("changed").value(report.total_changed())
        .key("expunged").value(report.total_expunged())
        .key("bytes").value(report.total_bytes())
        .key("examined").value(report.examined)
        .key("connections").value(report.connections)
        .key("seconds").value(static_cast<std::uint64_t>(seconds * 1000) / 1000)
        .key("removed_mailboxes").begin_array();
    for (const auto& name : report.removed_mailboxes) json.value(sync::mailbox_display_name(name));
    json.end_array().key("mailboxes").begin_array();
    for (const auto& mailbox : report.mailboxes) {
        json.begin_object()
            .key("name").value(sync::mailbox_display_name(mailbox.name))
            .key("skipped").value(mailbox.skipped)
            .key("method").value(store::name_of(mailbox.method))
            .key("created").value(mailbox.created);
        json.key("renamed_from");
        if (mailbox.renamed_from) json.value(sync::mailbox_display_name(*mailbox.renamed_from));
        else json.null();
        json.key("uidvalidity_changed").value(mailbox.uidvalidity_changed)
            .key("new").value(mailbox.new_messages)
            .key("changed").value(mailbox.changed)
            .key("expunged").value(mailbox.expunged)
            .key("downloaded").value(mailbox.downloaded)
            .key("reused").value(mailbox.reused)
            .key("reuse_rejected").value(mailbox.reuse_rejected)
            .key("repaired").value(mailbox.repaired)
            .key("bytes").value(mailbox.bytes)
            .key("headers_only").value(mailbox.headers_only)
            .key("notes").begin_array();
        for (const auto& note : mailbox.notes) json.value(note);
        json.end_array().key("error").value(mailbox.error).end_object();
    }
    json.end_array().end_object();
}

std::string summary_line(const Account& account, const sync::PullReport& report, double seconds) {
    std::size_t synced = 0, unchanged = 0, failed = 0;
    for (const auto& mailbox : report.mailboxes) (mailbox.error ? failed : mailbox.skipped ? unchanged : synced) += 1;
    const std::string failures = failed > 0 ? fmt::format(", {} failed", failed) : "";
    return fmt::format("{}: mailboxes: {} synced, {} unchanged{}; messages: {} new, {} changed, {} expunged; {:.1f} MB in {:.1f} s",
                       account.name, synced, unchanged, failures, report.total_new(), report.total_changed(),
                       report.total_expunged(), static_cast<double>(report.total_bytes()) / 1e6, seconds);
}

}  // namespace mailsync::cli

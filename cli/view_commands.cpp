// status, mailboxes: views of the mirror, read from the store without the network (list and show
// are in list_command.cpp and show_command.cpp).
// The store is opened shared, so these work while a `sync` of the account runs. Mailbox names are
// shown decoded (UTF-8) and accepted as the user types them (UTF-8, or the wire form).
#include <algorithm>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/maildir_view.hpp"
#include "cli/view_support.hpp"
#include "common/utf8.hpp"
#include "store/store.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::cli {
namespace {

// INBOX first, then by name, as mail clients show them.
std::vector<store::MailboxRecord> in_display_order(std::vector<store::MailboxRecord> mailboxes) {
    std::stable_sort(mailboxes.begin(), mailboxes.end(), [](const auto& a, const auto& b) {
        const bool a_inbox = a.name == "INBOX", b_inbox = b.name == "INBOX";
        if (a_inbox != b_inbox) return a_inbox;
        return a.name < b.name;
    });
    return mailboxes;
}

void status_json(JsonWriter& json, const Account& account, std::optional<store::Store> store) {
    json.begin_object().key("account").value(account.name).key("store").value(account.store.string());
    std::vector<store::MailboxRecord> mailboxes;
    std::vector<store::MailboxCounts> counts;
    std::uint64_t queue = 0, conflicts = 0;
    std::optional<store::SyncRunRecord> run;
    if (store) {
        store->read([&](const store::ReadTxn& txn) {
            mailboxes = in_display_order(txn.mailboxes());
            for (const auto& mailbox : mailboxes) counts.push_back(txn.counts(mailbox.id).value_or(store::MailboxCounts{}));
            queue = txn.queue().size();
            conflicts = txn.conflicts().size();
            run = txn.sync_run();
        });
    }
    const auto time_or_null = [&](const std::optional<store::UnixTime>& time) {
        if (time) json.value(rfc3339(*time));
        else json.null();
    };
    json.key("last_success");
    time_or_null(run ? run->last_success : std::nullopt);
    json.key("last_attempt");
    time_or_null(run ? std::optional<store::UnixTime>(run->last_attempt) : std::nullopt);
    json.key("last_error");
    if (run && !run->last_error.empty()) json.value(run->last_error);
    else json.null();
    std::optional<store::UnixTime> last_sync;
    for (const auto& mailbox : mailboxes)
        if (mailbox.last_sync_time && (!last_sync || *mailbox.last_sync_time > *last_sync)) last_sync = mailbox.last_sync_time;
    json.key("last_sync");
    if (last_sync) json.value(rfc3339(*last_sync));
    else json.null();
    // What the mirror takes on disk (bodies + database), for monitoring its growth.
    const store::StoreUsage usage = store ? store->usage() : store::StoreUsage{};
    json.key("store_bytes").value(usage.total_bytes())
        .key("body_bytes").value(usage.bodies.bytes)
        .key("body_files").value(usage.bodies.files)
        .key("database_bytes").value(usage.database_bytes);
    view_status_json(json, account, store ? &*store : nullptr);
    json.key("queue").value(queue).key("conflicts").value(conflicts).key("mailboxes").begin_array();
    for (std::size_t i = 0; i < mailboxes.size(); ++i) {
        const auto& mailbox = mailboxes[i];
        json.begin_object()
            .key("name").value(sync::mailbox_display_name(mailbox.name))
            .key("messages").value(counts[i].messages)
            .key("unseen").value(counts[i].unseen)
            .key("last_sync");
        if (mailbox.last_sync_time) json.value(rfc3339(*mailbox.last_sync_time));
        else json.null();
        json.key("highestmodseq").value(mailbox.highestmodseq)
            .key("uidvalidity").value(mailbox.uidvalidity)
            .key("method").value(store::name_of(mailbox.last_sync_method))
            .key("deleted_on_server").value(mailbox.deleted_on_server.has_value())
            .end_object();
    }
    json.end_array().end_object();
}

}  // namespace

// --json: one object per account; several accounts give an array of them.
int run_status(const CommandContext& context, const StatusArguments&) {
    Output& output = context.output;
    if (output.json()) {
        JsonWriter json;
        const bool several = context.accounts.size() > 1;
        if (several) json.begin_array();
        for (const Account* account : context.accounts) status_json(json, *account, open_for_view(*account));
        if (several) json.end_array();
        output.result(json.str());
        return 0;
    }
    std::string text;
    for (const Account* account : context.accounts) {
        auto store = open_for_view(*account);
        if (!store) {
            text += fmt::format("{}: never synced\n", account->name);
            continue;
        }
        store->read([&](const store::ReadTxn& txn) {
            const auto mailboxes = in_display_order(txn.mailboxes());
            const store::StoreUsage usage = store->usage();
            text += fmt::format("{}: {} mailboxes, {} queued changes, {} conflicts; store {:.1f} MB ({} bodies {:.1f} MB, "
                                "database {:.1f} MB)\n", account->name, mailboxes.size(), txn.queue().size(),
                                txn.conflicts().size(), static_cast<double>(usage.total_bytes()) / 1e6, usage.bodies.files,
                                static_cast<double>(usage.bodies.bytes) / 1e6,
                                static_cast<double>(usage.database_bytes) / 1e6);
            if (const auto run = txn.sync_run(); run && !run->last_error.empty())
                text += fmt::format("  last sync failed at {}: {}\n", rfc3339(run->last_attempt), utf8::printable(run->last_error));
            for (const auto& mailbox : mailboxes) {
                const auto counts = txn.counts(mailbox.id).value_or(store::MailboxCounts{});
                text += fmt::format("  {:<24} {:>7} messages {:>6} unseen  last sync {}  modseq {}  {}{}\n",
                                    sync::mailbox_display_name(mailbox.name), counts.messages, counts.unseen,
                                    mailbox.last_sync_time ? rfc3339(*mailbox.last_sync_time) : std::string("never"),
                                    mailbox.highestmodseq, store::name_of(mailbox.last_sync_method),
                                    mailbox.deleted_on_server ? "  (deleted on the server)" : "");
            }
        });
        text += view_status_text(*account, *store);   // after the read: it opens one of its own
    }
    output.result(text);
    return 0;
}

int run_mailboxes(const CommandContext& context, const MailboxesArguments&) {
    Output& output = context.output;
    JsonWriter json;
    json.begin_array();
    std::string text;
    for (const Account* account : context.accounts) {
        auto store = open_for_view(*account);
        if (!store) continue;
        store->read([&](const store::ReadTxn& txn) {
            for (const auto& mailbox : in_display_order(txn.mailboxes())) {
                const auto counts = txn.counts(mailbox.id).value_or(store::MailboxCounts{});
                const std::string name = sync::mailbox_display_name(mailbox.name);
                json.begin_object()
                    .key("account").value(account->name)
                    .key("name").value(name)
                    .key("messages").value(counts.messages)
                    .key("unseen").value(counts.unseen)
                    .key("special_use").value(mailbox.special_use)
                    .key("deleted_on_server").value(mailbox.deleted_on_server.has_value())
                    .end_object();
                const std::string prefix = context.accounts.size() > 1 ? account->name + ": " : std::string();
                text += fmt::format("{}{:<28} {:>7} messages {:>6} unseen{}{}\n", prefix, name, counts.messages, counts.unseen,
                                    mailbox.special_use.empty() ? "" : "  " + utf8::printable(mailbox.special_use),
                                    mailbox.deleted_on_server ? "  (deleted on the server)" : "");
            }
        });
    }
    json.end_array();
    output.result(output.json() ? json.str() : text);
    return 0;
}

}  // namespace mailsync::cli

// status, mailboxes, list, show: views of the mirror, read from the store without the network.
// The store is opened shared, so these work while a `sync` of the account runs. Mailbox names are
// shown decoded (UTF-8) and accepted as the user types them (UTF-8, or the wire form).
#include <algorithm>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/encoded_words.hpp"
#include "cli/list_rows.hpp"
#include "cli/maildir_view.hpp"
#include "cli/message_text.hpp"
#include "common/error.hpp"
#include "common/utf8.hpp"
#include "store/store.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::cli {
namespace {

// "2026-11-23T10:00:00+01:00": the time in the zone it was given in.
std::string rfc3339(store::UnixTime when, int zone_minutes = 0) {
    const std::time_t local = static_cast<std::time_t>(when + zone_minutes * 60);
    std::tm parts{};
    ::gmtime_r(&local, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
    if (zone_minutes == 0) return std::string(text) + "Z";
    const int magnitude = zone_minutes < 0 ? -zone_minutes : zone_minutes;
    return fmt::format("{}{}{:02}:{:02}", text, zone_minutes < 0 ? '-' : '+', magnitude / 60, magnitude % 60);
}

std::string short_date(store::UnixTime when, int zone_minutes) { return rfc3339(when, zone_minutes).substr(0, 16).replace(10, 1, " "); }

const Account& the_account(const CommandContext& context) { return *context.accounts.front(); }

// A view needs no store that was never created: an account not synced yet shows as empty.
std::optional<store::Store> open_for_view(const Account& account) {
    if (!std::filesystem::exists(account.store)) return std::nullopt;
    return store::Store::open(account.store, store::Access::shared);
}

store::MailboxRecord find_mailbox(const store::ReadTxn& txn, const Account& account, const std::string& name) {
    std::optional<store::MailboxRecord> mailbox;
    if (const auto wire = sync::mailbox_wire_name(name)) mailbox = txn.mailbox_by_name(*wire);
    if (!mailbox) mailbox = txn.mailbox_by_name(name);   // not encodable, or a UTF-8 name (UTF8=ACCEPT)
    if (!mailbox)
        throw Error(ErrorCategory::bad_input, fmt::format("there is no mailbox \"{}\" in the mirror of account {}",
                                                          sync::mailbox_display_name(name), account.name));
    return *mailbox;
}

// INBOX first, then by name, as mail clients show them.
std::vector<store::MailboxRecord> in_display_order(std::vector<store::MailboxRecord> mailboxes) {
    std::stable_sort(mailboxes.begin(), mailboxes.end(), [](const auto& a, const auto& b) {
        const bool a_inbox = a.name == "INBOX", b_inbox = b.name == "INBOX";
        if (a_inbox != b_inbox) return a_inbox;
        return a.name < b.name;
    });
    return mailboxes;
}

// `text` cut or padded to `width` characters (UTF-8 code points, not bytes), for aligned columns.
std::string column(std::string_view text, std::size_t width) {
    std::string out;
    std::size_t characters = 0;
    for (std::size_t i = 0; i < text.size() && characters < width; ++characters) {
        std::size_t length = 1;
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead >= 0xF0) length = 4;
        else if (lead >= 0xE0) length = 3;
        else if (lead >= 0xC0) length = 2;
        out.append(text.substr(i, length));
        i += length;
    }
    out.append(width - characters, ' ');
    return out;
}

std::string flags_text(const std::vector<std::string>& flags) {
    std::string text;
    for (const auto& flag : flags) text += (text.empty() ? "" : " ") + flag;
    return text.empty() ? "-" : text;
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

std::string list_row_text(const store::MessageRecord& message) {
    return fmt::format("{:>6}  {:<20} {}  {:>9}  {}  {}{}\n", message.id, flags_text(message.flags),
                       short_date(message.internaldate, message.internaldate_zone_minutes), message.size,
                       column(utf8::printable(decode_encoded_words(message.from)), 30),
                       utf8::printable(decode_encoded_words(message.subject)),
                       message.deleted_on_server ? "  (deleted on the server)" : "");
}

void list_row_json(JsonWriter& json, const store::MessageRecord& message, std::string_view mailbox_name) {
    json.begin_object().key("id").value(message.id).key("uid").value(message.uid)
        .key("mailbox").value(mailbox_name).key("flags").begin_array();
    for (const auto& flag : message.flags) json.value(flag);
    json.end_array()
        .key("date").value(rfc3339(message.internaldate, message.internaldate_zone_minutes))
        .key("size").value(message.size)
        .key("from").value(decode_encoded_words(message.from))
        .key("subject").value(decode_encoded_words(message.subject))
        .key("message_id").value(message.message_id)
        .key("deleted_on_server").value(message.deleted_on_server.has_value())
        .end_object();
}

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

int run_list(const CommandContext& context, const ListArguments& arguments) {
    const Account& account = the_account(context);
    Output& output = context.output;
    auto store = open_for_view(account);
    if (!store)
        throw Error(ErrorCategory::bad_input, fmt::format("there is no mailbox \"{}\" in the mirror of account {} (never synced)",
                                                          arguments.mailbox, account.name));
    JsonWriter json;
    json.begin_array();
    std::string text;
    store->read([&](const store::ReadTxn& txn) {
        const auto mailbox = find_mailbox(txn, account, arguments.mailbox);
        const std::string mailbox_name = sync::mailbox_display_name(mailbox.name);
        txn.for_each_message(mailbox.id, [&](const store::MessageRecord& message) {
            if (message.deleted_on_server && !arguments.deleted) return;
            if (output.json()) list_row_json(json, message, mailbox_name);
            else text += list_row_text(message);
        });
    });
    json.end_array();
    if (output.json()) output.result(json.str());
    else if (!text.empty()) output.result(text);
    return 0;
}

int run_show(const CommandContext& context, const ShowArguments& arguments) {
    const Account& account = the_account(context);
    auto store = open_for_view(account);
    if (!store)
        throw Error(ErrorCategory::bad_input, fmt::format("there is no mailbox \"{}\" in the mirror of account {} (never synced)",
                                                          arguments.mailbox, account.name));
    const auto message = store->read([&](const store::ReadTxn& txn) {
        const auto mailbox = find_mailbox(txn, account, arguments.mailbox);
        auto record = txn.message(arguments.id);
        if (!record || record->mailbox != mailbox.id)
            throw Error(ErrorCategory::bad_input, fmt::format("there is no message {} in mailbox \"{}\"", arguments.id,
                                                              sync::mailbox_display_name(mailbox.name)));
        return *record;
    });
    // Hashed before a byte is shown: a damaged body must not pass for the message (verify finds it
    // too, but nobody runs verify before reading their mail).
    if (store->check_body(message.body_hash) != store::BodyCheck::ok) {
        throw Error(ErrorCategory::io,
                    fmt::format("the body file of message {} is damaged or missing ({}): `mailsync verify` lists "
                                "every such file; restore the store from a backup or sync it into a fresh store",
                                arguments.id, store->body_path(message.body_hash).string()));
    }
    std::ifstream body = store->open_body(message.body_hash);
    if (arguments.raw) {
        std::ostream& out = context.output.out();
        char buffer[64 * 1024];
        while (body.read(buffer, sizeof buffer) || body.gcount() > 0) {
            out.write(buffer, body.gcount());
            if (!out) throw Error(ErrorCategory::io, "cannot write the message to standard output");
        }
        out.flush();
        if (!out) throw Error(ErrorCategory::io, "cannot write the message to standard output");
        return 0;
    }
    context.output.result(message_as_text(body));
    return 0;
}

}  // namespace mailsync::cli

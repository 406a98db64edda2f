// flag, move, copy, delete, append, mkdir, rename, rmdir, queue, conflicts: local changes, made to
// the mirror at once and queued for replay (sync/local/local_changes.hpp holds the rules). They never
// touch the network and open the store shared, so they work offline and while `watch` runs.
//
// Output: the message commands and mkdir/rename/rmdir say what they did on stderr (a note), except
// that copy and append print the new message ids on stdout, as `list` will show them. With --json
// every command prints one object: {"ids": [...], "queued": [...]} (mailbox commands: "mailbox").
// queue and conflicts print one line per record, or with --json an array of objects.
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/search_index.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/store.hpp"
#include "sync/local/local_changes.hpp"
#include "sync/push/drop_change.hpp"
#include "sync/rules/change_sentences.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::cli {

namespace {

using store::QueueKind;
using store::QueueRecord;
using store::QueueState;

const Account& the_account(const CommandContext& context) {
    if (context.accounts.size() != 1) throw Error(ErrorCategory::internal, "a local change needs exactly one account");
    return *context.accounts.front();
}

store::Store open_store(const Account& account) { return store::Store::open(account.store, store::Access::shared); }

std::string plural(std::size_t count, std::string_view noun) {
    return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

// What every change command reports: the ids and queue records, and a warning if watch was not told.
// The search index follows the mirror at once: a message appended offline is searchable now.
int report(const CommandContext& context, store::Store& store, const std::string& index_state,
           const sync::LocalChangeResult& result, const std::string& summary, bool ids_are_news) {
    Output& output = context.output;
    update_search_index_after(the_account(context), store, result.messages, index_state, output);
    if (!result.notify_failure.empty()) {
        output.warning(fmt::format("a running `mailsync watch` was not told of the change ({}); it will be replayed "
                                   "at the next sync",
                                   result.notify_failure));
    }
    if (output.json()) {
        JsonWriter json;
        json.begin_object();
        if (result.mailbox != 0) json.key("mailbox").value(std::uint64_t{result.mailbox});
        json.key("ids").begin_array();
        for (auto id : result.messages) json.value(std::uint64_t{id});
        json.end_array().key("queued").begin_array();
        for (auto seq : result.queue_entries) json.value(std::uint64_t{seq});
        json.end_array().end_object();
        output.result(json.str());
        return 0;
    }
    if (ids_are_news) output.result(fmt::format("{}", fmt::join(result.messages, ",")));
    output.note(summary);
    return 0;
}

std::string format_time(store::UnixTime time) {
    const std::time_t seconds = static_cast<std::time_t>(time);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::string_view kind_name(QueueKind kind) {
    switch (kind) {
        case QueueKind::flags: return "flag";
        case QueueKind::move: return "move";
        case QueueKind::copy: return "copy";
        case QueueKind::remove: return "delete";
        case QueueKind::append: return "append";
        case QueueKind::create_mailbox: return "mkdir";
        case QueueKind::rename_mailbox: return "rename";
        case QueueKind::delete_mailbox: return "rmdir";
    }
    return "unknown";
}

std::string_view state_name(QueueState state) {
    switch (state) {
        case QueueState::pending: return "pending";
        case QueueState::sent: return "sent";
        case QueueState::confirmed: return "confirmed";
        case QueueState::refused: return "refused";
    }
    return "unknown";
}

bool is_message_change(QueueKind kind) {
    return kind != QueueKind::create_mailbox && kind != QueueKind::rename_mailbox && kind != QueueKind::delete_mailbox;
}

std::string flag_change_text(const QueueRecord& record) {
    std::vector<std::string> parts;
    for (const auto& flag : record.add_flags) parts.push_back("+" + flag);
    for (const auto& flag : record.remove_flags) parts.push_back("-" + flag);
    return fmt::format("{}", fmt::join(parts, " "));
}

// The change in words, for `queue`.
std::string change_text(const QueueRecord& record) {
    const std::string target = sync::mailbox_display_name(record.new_name);
    switch (record.kind) {
        case QueueKind::flags: return flag_change_text(record);
        case QueueKind::move: return fmt::format("to {}", target);
        case QueueKind::copy: return fmt::format("to {} as id {}", target, record.copy_message);
        case QueueKind::remove: return "expunge";
        case QueueKind::append:
            return fmt::format("upload, date {}{}", format_time(record.internaldate),
                               record.add_flags.empty() ? "" : fmt::format(", flags {}", fmt::join(record.add_flags, " ")));
        case QueueKind::create_mailbox: return "create";
        case QueueKind::rename_mailbox: return fmt::format("rename to {}", target);
        case QueueKind::delete_mailbox: return "delete";
    }
    return {};
}

std::string message_text(const QueueRecord& record) {
    if (!is_message_change(record.kind)) return "-";
    return record.uid ? fmt::format("id {} (UID {})", record.message, *record.uid) : fmt::format("id {}", record.message);
}

void json_strings(JsonWriter& json, const std::vector<std::string>& strings) {
    json.begin_array();
    for (const auto& text : strings) json.value(text);
    json.end_array();
}

void json_optional_uid(JsonWriter& json, const std::optional<store::Uid>& uid) {
    if (uid) {
        json.value(std::uint64_t{*uid});
    } else {
        json.null();
    }
}

}  // namespace

int run_flag(const CommandContext& context, const FlagArguments& arguments) {
    store::Store store = open_store(the_account(context));
    const std::string index_state = search_state_before(the_account(context), store);
    const auto result = sync::change_flags(store, arguments.mailbox, arguments.ids, arguments.changes.add,
                                           arguments.changes.remove, unix_time_now());
    return report(context, store, index_state, result, fmt::format("{} flagged; the change is queued", plural(result.messages.size(), "message")),
                  false);
}

int run_move(const CommandContext& context, const MoveArguments& arguments) {
    store::Store store = open_store(the_account(context));
    const std::string index_state = search_state_before(the_account(context), store);
    const auto result = sync::move_messages(store, arguments.mailbox, arguments.ids, arguments.destination, unix_time_now());
    return report(context, store, index_state, result,
                  fmt::format("{} moved to {}; the move is queued", plural(result.messages.size(), "message"),
                              arguments.destination),
                  false);
}

int run_copy(const CommandContext& context, const CopyArguments& arguments) {
    store::Store store = open_store(the_account(context));
    const std::string index_state = search_state_before(the_account(context), store);
    const auto result = sync::copy_messages(store, arguments.mailbox, arguments.ids, arguments.destination, unix_time_now());
    return report(context, store, index_state, result,
                  fmt::format("{} copied to {} (new ids above); the copy is queued",
                              plural(result.messages.size(), "message"), arguments.destination),
                  true);
}

int run_delete(const CommandContext& context, const DeleteArguments& arguments) {
    store::Store store = open_store(the_account(context));
    const std::string index_state = search_state_before(the_account(context), store);
    const auto result = sync::delete_messages(store, arguments.mailbox, arguments.ids, unix_time_now());
    return report(context, store, index_state, result,
                  fmt::format("{} deleted; the deletion is queued", plural(result.messages.size(), "message")), false);
}

int run_append(const CommandContext& context, const AppendArguments& arguments) {
    store::Store store = open_store(the_account(context));
    const std::string index_state = search_state_before(the_account(context), store);
    sync::AppendRequest request;
    request.mailbox = arguments.mailbox;
    request.file = arguments.file;
    request.flags = arguments.flags;
    if (arguments.date) {
        request.internaldate = arguments.date->unix_seconds;
        request.internaldate_zone_minutes = static_cast<std::int16_t>(arguments.date->utc_offset_minutes);
    }
    const auto result = sync::append_message(store, request, unix_time_now());
    return report(context, store, index_state, result, fmt::format("appended to {} (new id above); the upload is queued", arguments.mailbox),
                  true);
}

int run_mkdir(const CommandContext& context, const MkdirArguments& arguments) {
    store::Store store = open_store(the_account(context));
    const std::string index_state = search_state_before(the_account(context), store);
    const auto result = sync::make_mailbox(store, arguments.name, unix_time_now());
    return report(context, store, index_state, result, fmt::format("mailbox {} made; its creation is queued", arguments.name), false);
}

int run_rename(const CommandContext& context, const RenameArguments& arguments) {
    store::Store store = open_store(the_account(context));
    const std::string index_state = search_state_before(the_account(context), store);
    const auto result = sync::rename_mailbox(store, arguments.old_name, arguments.new_name, unix_time_now());
    return report(context, store, index_state, result,
                  fmt::format("mailbox {} renamed to {}; the rename is queued", arguments.old_name, arguments.new_name),
                  false);
}

int run_rmdir(const CommandContext& context, const RmdirArguments& arguments) {
    store::Store store = open_store(the_account(context));
    const std::string index_state = search_state_before(the_account(context), store);
    const auto result = sync::remove_mailbox(store, arguments.name, unix_time_now());
    return report(context, store, index_state, result, fmt::format("mailbox {} removed; the removal is queued", arguments.name), false);
}

int run_queue(const CommandContext& context, const QueueArguments& arguments) {
    Output& output = context.output;
    if (arguments.drop) {
        store::Store store = open_store(*context.accounts.front());
        const std::string dropped = sync::drop_queued_change(store, *arguments.drop);
        output.result(fmt::format("Dropped change {} ({}); the mirror is back to the server's state for it.",
                                  *arguments.drop, dropped));
        return 0;
    }
    JsonWriter json;
    json.begin_array();
    for (const Account* account : context.accounts) {
        std::error_code ignored;
        // Nothing was ever mirrored, so nothing is queued: no empty store is made for asking.
        if (!std::filesystem::exists(account->store / "data.mdb", ignored)) continue;
        store::Store store = open_store(*account);
        const auto records = store.read([](const store::ReadTxn& txn) { return sync::outstanding_changes(txn); });
        for (const auto& record : records) {
            if (arguments.refused && record.state != QueueState::refused) continue;
            const std::string mailbox = sync::mailbox_display_name(record.name);
            if (!output.json()) {
                const std::string why = record.state == QueueState::refused ? "  (" + record.last_error + ")" : "";
                output.result(fmt::format("{}{}  {}  {}  {}  {}  {}{}", context.accounts.size() > 1 ? account->name + "  " : "",
                                          record.seq, state_name(record.state), kind_name(record.kind), mailbox,
                                          message_text(record), change_text(record), why));
                continue;
            }
            json.begin_object()
                .key("account").value(account->name)
                .key("seq").value(std::uint64_t{record.seq})
                .key("state").value(state_name(record.state))
                .key("kind").value(kind_name(record.kind))
                .key("created").value(format_time(record.created))
                .key("mailbox").value(mailbox);
            json.key("target");
            if (record.kind == QueueKind::move || record.kind == QueueKind::copy || record.kind == QueueKind::rename_mailbox) {
                json.value(sync::mailbox_display_name(record.new_name));
            } else {
                json.null();
            }
            json.key("id");
            if (is_message_change(record.kind)) {
                json.value(std::uint64_t{record.message});
            } else {
                json.null();
            }
            json.key("uid");
            json_optional_uid(json, record.uid);
            json.key("copy_id");
            if (record.kind == QueueKind::copy) {
                json.value(std::uint64_t{record.copy_message});
            } else {
                json.null();
            }
            json.key("add_flags");
            json_strings(json, record.add_flags);
            json.key("remove_flags");
            json_strings(json, record.remove_flags);
            json.key("change").value(change_text(record));
            json.key("attempts").value(std::uint64_t{record.attempts});
            json.key("last_error").value(record.last_error);
            json.end_object();
        }
    }
    json.end_array();
    if (output.json()) output.result(json.str());
    return 0;
}

// conflicts --clear: forgets, in one transaction, every conflict recorded at that moment (what
// `conflicts` lists now; one recorded later by a sync is kept), or only the one named.
int clear_conflicts(const CommandContext& context, const ConflictsArguments& arguments) {
    std::size_t cleared = 0;
    for (const Account* account : context.accounts) {
        std::error_code ignored;
        if (!std::filesystem::exists(account->store / "data.mdb", ignored)) continue;
        store::Store store = open_store(*account);
        cleared += store.write([&](store::WriteTxn& txn) -> std::size_t {
            if (arguments.id) {
                if (!txn.remove_conflict(*arguments.id))
                    throw Error(ErrorCategory::bad_input,
                                fmt::format("no conflict {} is recorded (`mailsync conflicts` lists them)", *arguments.id));
                return 1;
            }
            const auto all = txn.conflicts();
            for (const auto& record : all) txn.remove_conflict(record.seq);
            return all.size();
        });
    }
    if (context.output.json()) {
        JsonWriter json;
        json.begin_object().key("cleared").value(std::uint64_t{cleared}).end_object();
        context.output.result(json.str());
    } else {
        context.output.result(fmt::format("Cleared {} conflict{}.", cleared, cleared == 1 ? "" : "s"));
    }
    return 0;
}

int run_conflicts(const CommandContext& context, const ConflictsArguments& arguments) {
    if (arguments.id && !arguments.clear)
        throw Error(ErrorCategory::usage, "conflicts ID needs --clear: `mailsync conflicts --clear ID` forgets that conflict");
    if (arguments.clear) return clear_conflicts(context, arguments);
    Output& output = context.output;
    JsonWriter json;
    json.begin_array();
    for (const Account* account : context.accounts) {
        std::error_code ignored;
        if (!std::filesystem::exists(account->store / "data.mdb", ignored)) continue;
        store::Store store = open_store(*account);
        struct Shown {
            store::ConflictRecord record;
            std::string mailbox;
        };
        const auto conflicts = store.read([](const store::ReadTxn& txn) {
            std::vector<Shown> shown;
            for (auto& record : txn.conflicts()) {
                auto mailbox = txn.mailbox(record.mailbox);
                // The mailbox may be gone since; its id is all that is left to show.
                std::string name = mailbox ? sync::mailbox_display_name(mailbox->name) : fmt::format("#{}", record.mailbox);
                shown.push_back({std::move(record), std::move(name)});
            }
            return shown;
        });
        for (const auto& [record, mailbox] : conflicts) {
            if (!output.json()) {
                output.result(fmt::format("{}{}  {}  {}", context.accounts.size() > 1 ? account->name + "  " : "",
                                          record.seq, format_time(record.time), sync::conflict_sentence(record)));
                continue;
            }
            json.begin_object()
                .key("account").value(account->name)
                .key("seq").value(std::uint64_t{record.seq})
                .key("time").value(format_time(record.time))
                .key("mailbox").value(mailbox)
                .key("id").value(std::uint64_t{record.message});
            json.key("uid");
            json_optional_uid(json, record.uid);
            json.key("rule").value(record.rule)
                .key("local_change").value(record.local_change)
                .key("server_change").value(record.server_change)
                .key("resolution").value(record.resolution)
                .end_object();
        }
    }
    json.end_array();
    if (output.json()) output.result(json.str());
    return 0;
}

}  // namespace mailsync::cli

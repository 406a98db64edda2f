// `search`: the messages of the mirror that match a query, newest first, printed as `list` prints
// them (cli/list_rows.hpp), from the account's search index; and the index's upkeep after the
// commands that change the mirror (cli/search_index.hpp). Offline: no server is asked.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/columns.hpp"
#include "cli/list_rows.hpp"
#include "cli/search_index.hpp"
#include "cli/server.hpp"
#include "cli/exit_codes.hpp"
#include "common/error.hpp"
#include "store/store.hpp"
#include "sync/local/local_changes.hpp"
#include "sync/remote_search/remote_search.hpp"
#include "sync/search/search.hpp"
#include "sync/search/search_index.hpp"
#include "sync/search/search_query.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::cli {
namespace {

// How long `search` waits for another process (a sync) to finish updating the index before it
// answers from the index as it is.
constexpr auto busy_wait = std::chrono::seconds(10);

// What an update did (-v), and a warning when bodies could not be read.
void tell_update(const Account& account, const sync::search::IndexUpdateReport& report, Output& output) {
    if (report.changes() > 0 || report.unreadable > 0)
        output.detail(fmt::format("{}: search index: {} messages indexed, {} updated, {} removed", account.name,
                                  report.added, report.updated, report.removed));
    if (report.unreadable > 0)
        output.warning(fmt::format("{}: {} message bodies could not be read for the search index: those messages are "
                                   "found by their From and Subject only; `mailsync verify` lists the damaged files",
                                   account.name, report.unreadable));
}

// Brings the index to the store's state before a query. Returns false when another process keeps
// it busy past the wait: the caller answers from the index as it is, saying so.
bool make_index_current(const Account& account, store::Store& store, Output& output, bool rebuild) {
    if (!rebuild && sync::search::index_is_current(store)) return true;
    const auto give_up = std::chrono::steady_clock::now() + busy_wait;
    if (!sync::search::index_exists(store.directory()) || rebuild)
        output.note(fmt::format("{}: building the search index from the mirror", account.name));
    for (;;) {
        try {
            sync::search::IndexUpdateOptions options;
            options.rebuild = rebuild;
            tell_update(account, sync::search::update_index(store, options), output);
            return true;
        } catch (const Error& error) {
            if (error.category() != ErrorCategory::busy || std::chrono::steady_clock::now() >= give_up) {
                if (error.category() == ErrorCategory::busy && sync::search::index_exists(store.directory()) && !rebuild)
                    return false;
                throw;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
}

std::string query_text(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
    return text;
}

}  // namespace

namespace {

void keep_index(const Account& account, Output& output, const std::function<sync::search::IndexUpdateReport()>& update) {
    if (!account.search) return;
    try {
        tell_update(account, update(), output);
    } catch (const Error& error) {
        if (error.category() == ErrorCategory::busy) output.detail(fmt::format("{}: {}", account.name, error.what()));
        else output.warning(fmt::format("{}: the search index was not brought up to date: {}", account.name, error.what()));
    }
}

}  // namespace

void index_beside_pull(const Account& account, sync::PullOptions& options) {
    if (!account.search) return;
    options.beside = [](const store::Store& bodies, const sync::PullOptions::StoreRead& read, const std::atomic<bool>& done) {
        sync::search::follow_pull(bodies.directory(), bodies, read, done);
    };
}

void update_search_index(const Account& account, store::Store& store, Output& output) {
    keep_index(account, output, [&] { return sync::search::update_index(store); });
}

std::string search_state_before(const Account& account, store::Store& store) {
    if (!account.search) return {};
    try {
        return sync::search::store_state(store);
    } catch (const Error&) {
        return {};   // the update after the command compares everything
    }
}

void update_search_index_after(const Account& account, store::Store& store, const std::vector<store::MessageId>& changed,
                               const std::string& state_before, Output& output) {
    keep_index(account, output, [&] { return sync::search::update_index_after(store, changed, state_before); });
}

namespace {

// search --server (sync/remote_search): the mirror's matches as `list` prints them, then, under a
// heading of their own, the matches the mirror does not hold, by UID.
int run_server_search(const CommandContext& context, const SearchArguments& arguments, const std::string& text) {
    const Account& account = *context.accounts.front();
    Output& output = context.output;
    store::Store store = store::Store::open(account.store, store::Access::shared);
    sync::Connection connection = sync::connect(server_settings(account), secret_provider(account, &store));
    std::vector<std::string> only;
    if (arguments.mailbox) only.push_back(*arguments.mailbox);
    auto found = sync::remote_search::search(connection, store, only, text);
    connection.session->logout();

    JsonWriter json;
    json.begin_array();
    std::string rows;
    std::size_t shown = 0, failed = 0;
    const auto newest_first = [](std::vector<store::MessageRecord>& records) {
        std::sort(records.begin(), records.end(),
                  [](const auto& a, const auto& b) { return a.internaldate > b.internaldate; });
    };
    const std::size_t width = output_width(output.interactive());
    for (auto& matches : found) {
        const std::string name = sync::mailbox_display_name(matches.mailbox);
        if (matches.error) {
            output.warning(fmt::format("{}: {}: not searched: {}", account.name, name, *matches.error));
            ++failed;
            continue;
        }
        newest_first(matches.mirrored);
        newest_first(matches.not_mirrored);
        for (auto* records : {&matches.mirrored, &matches.not_mirrored}) {
            if (arguments.limit != 0 && records->size() > arguments.limit) records->resize(arguments.limit);
            shown += records->size();
            if (output.json()) {
                for (const auto& record : *records) list_row_json(json, record, name);
            } else if (!records->empty()) {
                if (records == &matches.mirrored) {
                    rows += fmt::format("{}:\n", name) + list_lines(*records, false, width);
                    continue;
                }
                std::vector<store::MessageRecord> by_uid = *records;   // no id in the mirror: the UID shown
                for (auto& record : by_uid) record.id = record.uid.value_or(0);
                rows += fmt::format("{}, on the server only (first column: the UID; `mailsync sync` mirrors them):\n", name) +
                        list_lines(by_uid, false, width);
            }
        }
    }
    json.end_array();
    output.detail(fmt::format("{}: {} matches on the server in {} mailboxes", account.name, shown, found.size()));
    if (output.json()) output.result(json.str());
    else if (!rows.empty()) output.result(rows);
    return failed > 0 ? exit_code::protocol : 0;
}

}  // namespace

int run_search(const CommandContext& context, const SearchArguments& arguments) {
    const Account& account = *context.accounts.front();
    Output& output = context.output;
    if (arguments.server) {
        const std::string text = query_text(arguments.query);
        if (text.empty()) throw Error(ErrorCategory::usage, "search --server needs a query, e.g. mailsync search --server from:alice");
        if (!std::filesystem::exists(account.store / "data.mdb"))
            throw Error(ErrorCategory::bad_input, fmt::format("account {} has no mirror yet (search --server asks the "
                                                              "mailboxes it knows): run mailsync sync first", account.name));
        return run_server_search(context, arguments, text);
    }
    if (!account.search)
        throw Error(ErrorCategory::config, fmt::format("account {} keeps no search index (search: false in its configuration)",
                                                       account.name));
    const std::string text = query_text(arguments.query);
    if (text.empty() && !arguments.reindex)
        throw Error(ErrorCategory::usage, "search needs a query, e.g. mailsync search from:alice invoice");
    if (!std::filesystem::exists(account.store / "data.mdb"))
        throw Error(ErrorCategory::bad_input, fmt::format("account {} has no mirror to search yet: run mailsync sync first",
                                                          account.name));
    store::Store store = store::Store::open(account.store, store::Access::shared);
    const auto start = std::chrono::steady_clock::now();
    if (!make_index_current(account, store, output, arguments.reindex))
        output.warning(fmt::format("{}: another mailsync process is updating the search index: these results may miss "
                                   "the latest changes of the mirror", account.name));
    if (text.empty()) return 0;   // --reindex alone

    std::optional<store::MailboxId> only;
    const auto query = store.read([&](const store::ReadTxn& txn) {
        const sync::search::MailboxResolver mailboxes = [&](std::string_view name) -> std::optional<store::MailboxId> {
            const auto mailbox = sync::find_mailbox(txn, name);
            return mailbox ? std::optional(mailbox->id) : std::nullopt;
        };
        if (arguments.mailbox) {
            only = mailboxes(*arguments.mailbox);
            if (!only)
                throw Error(ErrorCategory::bad_input, fmt::format("there is no mailbox \"{}\" in the mirror of account {}",
                                                                  *arguments.mailbox, account.name));
        }
        return sync::search::parse_query(text, mailboxes);
    });
    sync::search::SearchOptions options;
    options.mailbox = only;
    options.limit = arguments.limit;
    const auto checked = std::chrono::steady_clock::now();
    const std::vector<store::MessageId> ids = sync::search::find_messages(store.directory(), query, options);
    const auto found = std::chrono::steady_clock::now();
    const auto ms = [](auto duration) { return std::chrono::duration<double, std::milli>(duration).count(); };
    output.detail(fmt::format("{}: {} matches; the index checked (and brought up to date) in {:.1f} ms, the query run "
                              "in {:.1f} ms", account.name, ids.size(), ms(checked - start), ms(found - checked)));

    // Rows as `list` prints them. Without --mailbox the matches may be in several mailboxes, and
    // show/flag/move need the mailbox with the id: each run of rows of one mailbox is headed by
    // its name.
    JsonWriter json;
    json.begin_array();
    std::string rows;
    store.read([&](const store::ReadTxn& txn) {
        std::map<store::MailboxId, std::string> names;
        std::vector<store::MessageRecord> run;   // consecutive matches in one mailbox
        const auto end_run = [&] {
            if (run.empty()) return;
            if (!only) rows += fmt::format("{}:\n", names.at(run.front().mailbox));
            rows += list_lines(run, false, output_width(output.interactive()));
            run.clear();
        };
        for (const store::MessageId id : ids) {
            const auto message = txn.message(id);
            if (!message) continue;   // gone since the index was updated (only when it was busy)
            auto name = names.find(message->mailbox);
            if (name == names.end()) {
                const auto mailbox = txn.mailbox(message->mailbox);
                name = names.emplace(message->mailbox, sync::mailbox_display_name(mailbox ? mailbox->name : "")).first;
            }
            if (output.json()) {
                list_row_json(json, *message, name->second);
                continue;
            }
            if (!run.empty() && run.front().mailbox != message->mailbox) end_run();
            run.push_back(*message);
        }
        end_run();
    });
    json.end_array();
    if (output.json()) output.result(json.str());
    else if (!rows.empty()) output.result(rows);
    return 0;
}

}  // namespace mailsync::cli

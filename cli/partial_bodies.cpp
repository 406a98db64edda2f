#include "cli/partial_bodies.hpp"

#include <fmt/format.h>

#include "cli/server.hpp"
#include "cli/view_support.hpp"
#include "common/error.hpp"

namespace mailsync::cli {

sync::BodyRule body_rule_of(const Account& account) {
    return account.mode == SyncMode::backup ? sync::BodyRule{} : account.body_rule;
}

sync::CompletionReport complete_partial_bodies(const Account& account, store::Store& store, bool everything,
                                               const std::vector<std::string>& mailboxes) {
    std::vector<store::MailboxId> ids;
    if (!mailboxes.empty()) {
        store.read([&](const store::ReadTxn& txn) {
            for (const auto& name : mailboxes) ids.push_back(find_mailbox(txn, account, name).id);
        });
    }
    std::optional<sync::Connection> connection;
    const auto connect = [&]() -> imap::Session& {
        connection.emplace(sync::connect(server_settings(account), secret_provider(account, &store)));
        return *connection->session;
    };
    sync::CompletionReport report = sync::complete_for_rule(connect, store, body_rule_of(account), everything, ids);
    if (connection) connection->session->logout();
    return report;
}

store::MessageRecord fetch_body_on_demand(const Account& account, store::Store& store, const store::MessageRecord& message) {
    const std::string how = fmt::format("connect and run `mailsync -a {} show` again, or `mailsync -a {} sync --bodies` "
                                        "while online to download every body",
                                        account.name, account.name);
    if (!message.uid) throw Error(ErrorCategory::bad_input, fmt::format("message {} was not downloaded and has no UID yet", message.id));
    std::optional<sync::Connection> connection;
    try {
        connection.emplace(sync::connect(server_settings(account), secret_provider(account, &store)));
    } catch (const Error& error) {
        if (error.category() != ErrorCategory::unavailable) throw;
        throw Error(ErrorCategory::unavailable,
                    fmt::format("message {} is not downloaded (headers only) and the server cannot be reached ({}): {}", message.id,
                                error.what(), how));
    }
    const sync::CompletionReport report = sync::complete_partial_messages(
        *connection->session, store, {sync::PartialMessage{message.id, message.mailbox, *message.uid, message.size}});
    connection->session->logout();
    const auto now = store.read([&](const store::ReadTxn& txn) { return txn.message(message.id); });
    if (!now) throw Error(ErrorCategory::bad_input, fmt::format("message {} is gone from the mirror", message.id));
    if (now->partial) {
        throw Error(ErrorCategory::bad_input,
                    fmt::format("message {} is not downloaded (headers only), and the server no longer has it{}", message.id,
                                report.not_on_server > 0 ? " (or renumbered its mailbox: `mailsync sync` first)" : ""));
    }
    return *now;
}

}  // namespace mailsync::cli

#include "cli/view_support.hpp"

#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/local/local_changes.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::cli {

std::string rfc3339(store::UnixTime when, int zone_minutes) {
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

std::optional<store::Store> open_for_view(const Account& account) {
    if (!std::filesystem::exists(account.store)) return std::nullopt;
    return store::Store::open(account.store, store::Access::shared);
}

store::Store open_synced(const Account& account, const std::string& mailbox) {
    auto store = open_for_view(account);
    if (!store)
        throw Error(ErrorCategory::bad_input, fmt::format("there is no mailbox \"{}\" in the mirror of account {} (never synced)",
                                                          mailbox, account.name));
    return std::move(*store);
}

store::Store open_existing_store(const Account& account, store::Access access) {
    std::error_code error;
    if (!std::filesystem::exists(account.store / "data.mdb", error)) {
        throw Error(ErrorCategory::bad_input,
                    fmt::format("account {}: there is no mirror in {} yet; run `mailsync -a {} sync` first", account.name,
                                account.store.string(), account.name));
    }
    return store::Store::open(account.store, access);
}

store::MailboxRecord find_mailbox(const store::ReadTxn& txn, const Account& account, const std::string& name) {
    auto mailbox = sync::find_mailbox(txn, name);
    if (!mailbox)
        throw Error(ErrorCategory::bad_input, fmt::format("there is no mailbox \"{}\" in the mirror of account {}",
                                                          sync::mailbox_display_name(name), account.name));
    return std::move(*mailbox);
}

}  // namespace mailsync::cli

#include "cli/commands.hpp"

#include <algorithm>
#include <ranges>
#include <string_view>

#include <fmt/core.h>
#include <fmt/format.h>

#include "common/error.hpp"

namespace mailsync::cli {

namespace {

template <typename... Handlers>
struct Overloaded : Handlers... {
    using Handlers::operator()...;
};
template <typename... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;

std::string account_names(const Config& config) {
    std::vector<std::string_view> names;
    for (const Account& account : config.accounts) names.push_back(account.name);
    return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

bool needs_single_account(const CommandArguments& arguments) {
    return std::visit(Overloaded{
                          [](const ListArguments&) { return true; },
                          [](const ShowArguments&) { return true; },
                          [](const FlagArguments&) { return true; },
                          [](const MoveArguments&) { return true; },
                          [](const CopyArguments&) { return true; },
                          [](const DeleteArguments&) { return true; },
                          [](const AppendArguments&) { return true; },
                          [](const MkdirArguments&) { return true; },
                          [](const RenameArguments&) { return true; },
                          [](const RmdirArguments&) { return true; },
                          [](const SearchArguments&) { return true; },
                          [](const RestoreArguments&) { return true; },
                          [](const QueueArguments& queue) { return queue.drop.has_value(); },   // ids are per account
                          [](const ConflictsArguments& conflicts) { return conflicts.id.has_value(); },
                          [](const auto&) { return false; },
                      },
                      arguments);
}

std::vector<const Account*> select_accounts(const Config& config, const std::optional<std::string>& account_name,
                                            std::string_view command_name, bool single) {
    if (account_name) {
        // -a A,B (or -a A -a B): several accounts, in the order given, each once.
        std::vector<const Account*> named;
        for (const auto part : std::views::split(std::string_view(*account_name), ',')) {
            const std::string name(part.begin(), part.end());
            const Account* account = config.find(name);
            if (account == nullptr) {
                throw Error(ErrorCategory::config, fmt::format("no account \"{}\" in {}; its accounts are: {}", name,
                                                               config.path, account_names(config)));
            }
            if (std::find(named.begin(), named.end(), account) == named.end()) named.push_back(account);
        }
        if (single && named.size() > 1)
            throw Error(ErrorCategory::usage, fmt::format("{} works on one account: name only one with -a", command_name));
        return named;
    }
    if (single && config.accounts.size() > 1) {
        throw Error(ErrorCategory::usage, fmt::format("{} works on one account: say which with -a ACCOUNT ({})",
                                                      command_name, account_names(config)));
    }
    std::vector<const Account*> accounts;
    for (const Account& account : config.accounts) accounts.push_back(&account);
    return accounts;
}

int run_command(const CommandContext& context, const CommandArguments& arguments) {
    return std::visit(Overloaded{
                          [&](const SyncArguments& a) { return run_sync(context, a); },
                          [&](const WatchArguments& a) { return run_watch(context, a); },
                          [&](const StatusArguments& a) { return run_status(context, a); },
                          [&](const MailboxesArguments& a) { return run_mailboxes(context, a); },
                          [&](const ListArguments& a) { return run_list(context, a); },
                          [&](const ShowArguments& a) { return run_show(context, a); },
                          [&](const FlagArguments& a) { return run_flag(context, a); },
                          [&](const MoveArguments& a) { return run_move(context, a); },
                          [&](const CopyArguments& a) { return run_copy(context, a); },
                          [&](const DeleteArguments& a) { return run_delete(context, a); },
                          [&](const AppendArguments& a) { return run_append(context, a); },
                          [&](const MkdirArguments& a) { return run_mkdir(context, a); },
                          [&](const RenameArguments& a) { return run_rename(context, a); },
                          [&](const RmdirArguments& a) { return run_rmdir(context, a); },
                          [&](const QueueArguments& a) { return run_queue(context, a); },
                          [&](const ConflictsArguments& a) { return run_conflicts(context, a); },
                          [&](const ExportArguments& a) { return run_export(context, a); },
                          [&](const VerifyArguments& a) { return run_verify(context, a); },
                          [&](const ConfigArguments& a) { return run_config(context, a); },
                          [&](const ViewArguments& a) { return run_view(context, a); },
                          [&](const SearchArguments& a) { return run_search(context, a); },
                          [&](const RestoreArguments& a) { return run_restore(context, a); },
                          [&](const ProbeArguments&) {
                              int worst = 0;
                              for (const Account* account : context.accounts) {
                                  const int code = run_probe(*account, context.output);
                                  if (worst == 0) worst = code;
                              }
                              return worst;
                          },
                      },
                      arguments);
}

}  // namespace mailsync::cli

// The one place that turns errors into messages and exit codes.
#include <iostream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/exit_codes.hpp"
#include "cli/failure_hints.hpp"
#include "cli/output.hpp"
#include "common/error.hpp"

namespace {

int run(const std::vector<std::string>& arguments) {
    using namespace mailsync;
    using namespace mailsync::cli;
    const ParsedCommandLine parsed = parse_command_line(arguments);
    if (!parsed.invocation) {
        std::cout << parsed.immediate_output;
        return exit_code::ok;
    }
    const Invocation& invocation = *parsed.invocation;
    const Environment environment = Environment::from_process();
    const std::filesystem::path config_path =
        invocation.global.config_file ? std::filesystem::path(*invocation.global.config_file) : default_config_path(environment);
    const Config config = load_config(config_path, environment);
    Output output = Output::for_process(invocation.global.verbosity, invocation.global.json);
    const CommandContext context{
        config,
        select_accounts(config, invocation.global.account, invocation.command_name,
                        needs_single_account(invocation.arguments)),
        output,
    };
    for (const Account* account : context.accounts) {
        for (const std::string& warning : account->warnings) output.warning(warning);
    }
    try {
        return run_command(context, invocation.arguments);
    } catch (const Error& error) {
        // A failure about the account's server or its lock: name the account and what to do.
        const ErrorCategory category = error.category();
        const bool about_the_account = category == ErrorCategory::unavailable || category == ErrorCategory::auth ||
                                       category == ErrorCategory::protocol || category == ErrorCategory::busy;
        if (!about_the_account || context.accounts.size() != 1) throw;
        throw Error(category, account_failure_line(context.accounts.front()->name, error, invocation.command_name));
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const mailsync::Error& error) {
        std::cerr << "mailsync: " << error.what() << '\n';
        return mailsync::cli::exit_code_for(error.category());
    } catch (const std::exception& error) {
        std::cerr << "mailsync: internal error: " << error.what() << '\n';
        return mailsync::cli::exit_code::internal;
    } catch (...) {
        std::cerr << "mailsync: internal error: an unknown exception\n";
        return mailsync::cli::exit_code::internal;
    }
}

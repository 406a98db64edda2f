#include "cli/failure_hints.hpp"

#include <fmt/core.h>

namespace mailsync::cli {

std::string what_to_do(std::string_view account, ErrorCategory category, std::string_view command) {
    const bool is_probe = command == "probe";
    switch (category) {
        case ErrorCategory::unavailable:
            if (is_probe) return "check host, port and the network; a cron or timer run tries again by itself";
            return fmt::format("the next run tries again; `mailsync -a {} probe` tests the connection", account);
        case ErrorCategory::busy:
            return "another mailsync is using the account; the next run tries again";
        case ErrorCategory::auth:
            if (is_probe) return fmt::format("check user and the password settings of account {}", account);
            return fmt::format("check user and the password settings of account {}; `mailsync -a {} probe` tries the login",
                               account, account);
        case ErrorCategory::protocol:
            if (is_probe) return "see EXIT STATUS in man mailsync";
            return fmt::format("`mailsync -a {} probe` shows what the server offers; see EXIT STATUS in man mailsync", account);
        case ErrorCategory::config:
            return "fix the configuration; `mailsync config` checks it, man 5 mailsync.yaml lists the keys";
        case ErrorCategory::io:
        case ErrorCategory::cannot_create:
            return fmt::format("check free space and permissions; `mailsync -a {} verify` checks the store", account);
        case ErrorCategory::usage:
        case ErrorCategory::bad_input:
            return "see man mailsync";
        case ErrorCategory::internal:
            return "a bug in mailsync: please report it with this line and `mailsync --version`";
    }
    return "see man mailsync";
}

std::string account_failure_line(std::string_view account, const Error& error, std::string_view command) {
    // Messages quote servers; a control character from one must not drive the terminal.
    std::string message;
    for (const char c : std::string_view(error.what())) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\n') message += "; ";
        else if (byte < 0x20 || byte == 0x7f) message += fmt::format("\\x{:02x}", byte);
        else message.push_back(c);
    }
    return fmt::format("{}: {} ({})", account, message, what_to_do(account, error.category(), command));
}

bool is_try_again_later(const Error& error) noexcept {
    return error.category() == ErrorCategory::unavailable || error.category() == ErrorCategory::busy;
}

}  // namespace mailsync::cli

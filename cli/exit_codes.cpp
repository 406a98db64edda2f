#include "cli/exit_codes.hpp"

namespace mailsync::cli {

int exit_code_for(ErrorCategory category) noexcept {
    switch (category) {
        case ErrorCategory::usage: return exit_code::usage;
        case ErrorCategory::bad_input: return exit_code::bad_input;
        // A lost or unreachable server is worth retrying: the cron user needs "offline, try later"
        // told apart from "broken", so this is 75 rather than 69.
        case ErrorCategory::unavailable: return exit_code::temporary;
        case ErrorCategory::cannot_create: return exit_code::cannot_create;
        case ErrorCategory::io: return exit_code::io;
        case ErrorCategory::protocol: return exit_code::protocol;
        case ErrorCategory::auth: return exit_code::auth;
        case ErrorCategory::config: return exit_code::config;
        case ErrorCategory::busy: return exit_code::temporary;
        case ErrorCategory::internal: return exit_code::internal;
    }
    return exit_code::internal;
}

}  // namespace mailsync::cli

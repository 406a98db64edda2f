// Getting secrets: running password/token commands and reading secret files. A secret never
// appears in an error message: a failing command is reported with its exit status and the first
// line of its stderr, never its stdout.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "cli/config.hpp"

namespace mailsync::cli {

inline constexpr std::chrono::seconds secret_command_timeout{30};
inline constexpr std::size_t max_secret_bytes = 64 * 1024;

// Runs the command (no shell unless its argv says so), with stdin inherited so that a program may
// still ask on the terminal. Returns the first line of its stdout. `what` names the setting for
// messages, e.g. "accounts.work.password_command". Failures are Error(config): a credential the
// configuration cannot produce is a configuration problem (the server never saw it).
std::string run_secret_command(const SecretCommand& command, std::string_view what,
                               std::chrono::milliseconds timeout = secret_command_timeout);

// The first line of a file that only its owner may access (else Error(config) saying chmod 600).
std::string read_secret_file(const std::filesystem::path& path, std::string_view what);

// The account's password from password, password_command or password_file.
std::string resolve_password(const Account& account);

}  // namespace mailsync::cli

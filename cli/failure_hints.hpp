// The last word on a failed account: one line naming the account, what went wrong and what to do,
// e.g. "work: server refused the login of me@example.com: [AUTHENTICATIONFAILED] ... (check user
// and the password settings of account work; `mailsync -a work probe` tries the login)".
// `sync` writes one per failed account, which is what a cron job mails; main() uses it for the
// other commands that worked on one account.
#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace mailsync::cli {

// What to do next about an error of this category on this account, in a few words; `command` is
// the one that failed (`probe` is not suggested to a probe).
std::string what_to_do(std::string_view account, ErrorCategory category, std::string_view command);

// "ACCOUNT: MESSAGE (WHAT TO DO)" on one line: line breaks in the message become "; ".
std::string account_failure_line(std::string_view account, const Error& error, std::string_view command);

// Exit 75, "try again later": the server unreachable or the connection lost, or another mailsync
// holding the account. What `sync --quiet` leaves to the exit code alone.
bool is_try_again_later(const Error& error) noexcept;

}  // namespace mailsync::cli

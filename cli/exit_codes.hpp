// Process exit codes (sysexits.h values, as SPEC.md "Command line" lists them) and the one mapping
// from an error's category to its exit code.
#pragma once

#include "common/error.hpp"

namespace mailsync::cli {

namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int usage = 64;          // EX_USAGE
inline constexpr int bad_input = 65;      // EX_DATAERR
inline constexpr int unavailable = 69;    // EX_UNAVAILABLE: retrying cannot help
inline constexpr int internal = 70;       // EX_SOFTWARE
inline constexpr int cannot_create = 73;  // EX_CANTCREAT
inline constexpr int io = 74;             // EX_IOERR
inline constexpr int temporary = 75;      // EX_TEMPFAIL: try again later, the queue is kept
inline constexpr int protocol = 76;       // EX_PROTOCOL
inline constexpr int auth = 77;           // EX_NOPERM
inline constexpr int config = 78;         // EX_CONFIG
}  // namespace exit_code

int exit_code_for(ErrorCategory category) noexcept;

}  // namespace mailsync::cli

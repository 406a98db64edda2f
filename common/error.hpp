// The error type every part throws across its boundary. The category says what kind of failure it
// is (and so, in cli/, which exit code it maps to); the message says what is wrong, in words a user
// can act on. Parts below cli/ never print or exit: they throw this.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace mailsync {

enum class ErrorCategory {
    usage,           // the command line is wrong
    bad_input,       // an argument or input file is wrong (unknown id, not a message, ...)
    unavailable,     // the server cannot be reached, or the connection was lost: retry later
    cannot_create,   // an output file or directory cannot be created
    io,              // a local read or write failed
    protocol,        // the server sent something that breaks the protocol
    auth,            // the server refused our credentials
    config,          // the configuration is wrong
    busy,            // another process holds the account: retry later
    internal,        // a bug in mailsync
};

class Error : public std::runtime_error {
public:
    Error(ErrorCategory category, std::string message)
        : std::runtime_error(std::move(message)), category_(category) {}
    ErrorCategory category() const noexcept { return category_; }

private:
    ErrorCategory category_;
};

}  // namespace mailsync

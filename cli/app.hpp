// The command line frame: global options, the command table, and parsing into an Invocation.
// Parsing is pure (no configuration, no I/O) so that tests can call it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace mailsync::cli {

struct GlobalOptions {
    std::optional<std::string> config_file;  // -c
    std::optional<std::string> account;      // -a
    bool json = false;
    Verbosity verbosity = Verbosity::normal;
};

struct Invocation {
    GlobalOptions global;
    std::string command_name;
    CommandArguments arguments;
};

// Either what to run, or text that answers the command line by itself (--help, --version).
struct ParsedCommandLine {
    std::optional<Invocation> invocation;
    std::string immediate_output;
};

// `arguments` excludes the program name. A malformed command line is an Error(usage) carrying
// CLI11's message; a malformed value (ids, flags, date) is an Error(bad_input).
//
// `flag` takes changes such as "-seen" that look like options: every +NAME or -NAME after the word
// `flag` is a change (so global options such as -v go before the command), and "--" ends options.
ParsedCommandLine parse_command_line(const std::vector<std::string>& arguments);

}  // namespace mailsync::cli

// A command given as a string runs without a shell (config.hpp). Written as for a shell — a pipe,
// a redirection, `~`, `$VAR` — it would pass those characters to the program as arguments and fail
// in a puzzling way; the configuration refuses it and says to write {shell: "..."} instead.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailsync::cli {

// What in `command_line` only a shell would understand, in words ("a pipe '|'", "'~' (the home
// directory)"), or nullopt. Quoted characters are what they are: "'a|b'" and "\|" are plain.
std::optional<std::string> shell_syntax_in(std::string_view command_line);

}  // namespace mailsync::cli

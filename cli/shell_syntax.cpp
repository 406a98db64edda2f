#include "cli/shell_syntax.hpp"

#include <fmt/core.h>

namespace mailsync::cli {

namespace {

bool starts_name(char c) { return c == '_' || c == '{' || c == '(' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

}  // namespace

std::optional<std::string> shell_syntax_in(std::string_view command_line) {
    enum class Quote { none, single, double_ } quote = Quote::none;
    bool word_start = true;
    for (std::size_t i = 0; i < command_line.size(); ++i) {
        const char c = command_line[i];
        const char next = i + 1 < command_line.size() ? command_line[i + 1] : '\0';
        if (quote == Quote::single) {
            if (c == '\'') quote = Quote::none;
            continue;
        }
        if (c == '\\') {  // split_command_line's escapes: the next character is plain
            ++i;
            word_start = false;
            continue;
        }
        // A shell expands these inside double quotes too.
        if (c == '$' && starts_name(next)) return fmt::format("'${}' (a shell expansion)", next);
        if (c == '`') return std::string("'`' (a shell command substitution)");
        if (quote == Quote::double_) {
            if (c == '"') quote = Quote::none;
            continue;
        }
        switch (c) {
            case '\'': quote = Quote::single; word_start = false; continue;
            case '"': quote = Quote::double_; word_start = false; continue;
            case '|': return std::string("a pipe '|'");
            case ';': return std::string("';' (a command separator)");
            case '&': return std::string("'&' (a shell operator)");
            case '<':
            case '>': return fmt::format("a redirection '{}'", c);
            case '~':
                if (word_start) return std::string("'~' (the home directory, which only a shell expands)");
                break;
            default: break;
        }
        word_start = c == ' ' || c == '\t' || c == '\n';
    }
    return std::nullopt;
}

}  // namespace mailsync::cli

// Text laid out in terminal columns: widths measured as a terminal draws them (wcwidth: a CJK
// character takes two columns, a combining accent none), so that names in any script keep the
// columns of `list` aligned, and text cut to a width ends with an ellipsis.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailsync::cli {

// The columns `text` (UTF-8, already made printable) takes on a terminal.
std::size_t display_width(std::string_view text);

// `text` cut to at most `width` columns, ending with "…" when something was cut.
std::string cut_to_width(std::string_view text, std::size_t width);

// `text` cut to `width` columns (with "…") and padded with spaces to exactly `width`.
std::string fit_to_width(std::string_view text, std::size_t width);

// A size in at most 5 columns: "512B", "4.1K", "12K", "3.0M" (units of 1024).
std::string human_size(std::uint64_t bytes);

// The width `list` lays its lines out for: the terminal's when stdout is one, else $COLUMNS when
// it is a number, else 80.
std::size_t output_width(bool stdout_is_terminal);

}  // namespace mailsync::cli

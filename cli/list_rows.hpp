// Messages as `list` prints them: lines laid out for a width (or --wide), or JSON objects with
// list's fields. `search` prints its results with the same functions, so that its ids, columns and
// fields are list's.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cli/output.hpp"
#include "store/records.hpp"

namespace mailsync::cli {

// The lines of `messages`, in their order, columns fitted to `width` together (or every field in
// full with `wide`).
std::string list_lines(const std::vector<store::MessageRecord>& messages, bool wide, std::size_t width);
// One message as a JSON object; mailbox_name: the mailbox as shown to people (UTF-8).
void list_row_json(JsonWriter& json, const store::MessageRecord& message, std::string_view mailbox_name);

}  // namespace mailsync::cli

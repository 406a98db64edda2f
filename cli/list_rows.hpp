// One message as `list` prints it: a text line, or a JSON object with list's fields. `search`
// prints its results with the same functions, so that its ids and columns are list's.
#pragma once

#include <string>
#include <string_view>

#include "cli/output.hpp"
#include "store/records.hpp"

namespace mailsync::cli {

std::string list_row_text(const store::MessageRecord& message);
// mailbox_name: the mailbox as shown to people (UTF-8).
void list_row_json(JsonWriter& json, const store::MessageRecord& message, std::string_view mailbox_name);

}  // namespace mailsync::cli

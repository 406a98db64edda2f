// A parsed message as `show` prints it: for a person (headers, the body text, then the other parts
// numbered as --part takes them), or as one JSON document. Text from the message is made printable
// here (control characters as \xNN), never in sync/mime/.
#pragma once

#include <string>

#include "store/records.hpp"
#include "sync/mime/message.hpp"

namespace mailsync::cli {

// From, To, Cc, Date, Subject; an empty line; the body text (or "(no text part)"); then, when the
// message has parts other than the body text, "Parts:" and one line per part: section, type,
// file name, size. A message mirrored as headers only (Message::open_headers_only) says its body
// is not downloaded and lists the parts the server described.
std::string message_text(const mime::Message& message);

// {"id", "mailbox", "headers": {...}, "addresses": {"from": [...], ...}, "date", "text", "parts": [...],
//  "structure_cut", "downloaded"}
std::string message_json(const mime::Message& message, store::MessageId id, const std::string& mailbox_name);

}  // namespace mailsync::cli

// `show` without --raw: a message as text for a person. Simple on purpose: the header fields From,
// To, Cc, Date and Subject (unfolded, encoded words decoded), a blank line, then the
// first text/plain part (the whole body when the message is not multipart), with its
// quoted-printable or base64 transfer encoding undone. At most max_bytes of the message are read.
#pragma once

#include <cstddef>
#include <istream>
#include <string>

namespace mailsync::cli {

std::string message_as_text(std::istream& message, std::size_t max_bytes = 8u << 20);

}  // namespace mailsync::cli

// Recognises the FETCH items whose value is a message body (or part of one): the items whose
// literals the framer streams to the BodySink and the grammar reports as BodySection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailsync::imap::detail {

struct BodyItemName {
    std::string item;      // upper-cased: "BODY", "BINARY", "RFC822", "RFC822.HEADER", "RFC822.TEXT"
    std::string section;   // between the brackets, as on the wire
    std::optional<std::uint32_t> origin;
};

// msg-att-static =/ "BODY" section ["<" number ">"] SP nstring
//                 / "BINARY" section-binary SP (nstring / literal8)
//                 / "RFC822" [".HEADER" / ".TEXT"] SP nstring
// `name` is the item name as on the wire, e.g. "BODY[HEADER.FIELDS (SUBJECT)]<0>".
std::optional<BodyItemName> classify_body_item(std::string_view name);

}  // namespace mailsync::imap::detail

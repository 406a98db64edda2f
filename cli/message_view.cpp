#include "cli/message_view.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "cli/columns.hpp"
#include "cli/output.hpp"
#include "cli/view_support.hpp"
#include "common/utf8.hpp"

namespace mailsync::cli {
namespace {

// Line ends as a terminal and JSON want them: CRLF → LF.
std::string without_cr(std::string text) {
    text.erase(std::remove(text.begin(), text.end(), '\r'), text.end());
    return text;
}

std::vector<const mime::Part*> other_parts(const mime::Message& message) {
    std::vector<const mime::Part*> parts;
    for (const auto& part : message.parts())
        if (!part.body_text) parts.push_back(&part);
    return parts;
}

std::string parts_text(const mime::Message& message) {
    const auto parts = other_parts(message);
    std::string text;
    if (!parts.empty()) {
        std::size_t section_width = 0, type_width = 0, name_width = 0;
        for (const auto* part : parts) {
            section_width = std::max(section_width, part->section.size());
            type_width = std::max(type_width, display_width(utf8::printable(part->content_type)));
            name_width = std::max(name_width, display_width(utf8::printable(part->file_name)));
        }
        text += message.headers_only() ? "\nParts (on the server, not downloaded):\n"
                                       : "\nParts (mailsync show MAILBOX ID --part N -o FILE writes one):\n";
        for (const auto* part : parts) {
            std::string line = fmt::format("  {:>{}}  {}  ", part->section, section_width,
                                           fit_to_width(utf8::printable(part->content_type), type_width));
            if (name_width > 0) line += fit_to_width(utf8::printable(part->file_name), name_width) + "  ";
            text += line + fmt::format("{:>5}\n", human_size(part->size));
        }
    }
    if (message.structure_cut())
        text += "\n(The message has more parts or nesting than mailsync reads; --raw writes all of it.)\n";
    return text;
}

void addresses_json(JsonWriter& json, const std::vector<mime::Address>& addresses) {
    json.begin_array();
    for (const auto& address : addresses)
        json.begin_object().key("name").value(address.name).key("address").value(address.address).end_object();
    json.end_array();
}

}  // namespace

std::string message_text(const mime::Message& message) {
    const auto& headers = message.headers();
    std::string out;
    for (const auto& [label, value] : {std::pair{"From", &headers.from}, {"To", &headers.to}, {"Cc", &headers.cc},
                                       {"Date", &headers.date}, {"Subject", &headers.subject}}) {
        if (!value->empty()) out += fmt::format("{}: {}\n", label, utf8::printable(*value));
    }
    out += "\n";
    if (const auto body = message.body_text()) out += utf8::printable(without_cr(*body), "\n\t");
    else out += message.headers_only() ? "(body not downloaded)\n" : "(no text part)\n";
    const std::string parts = parts_text(message);
    if (!parts.empty() && !out.ends_with('\n')) out += '\n';
    return out + parts;
}

std::string message_json(const mime::Message& message, store::MessageId id, const std::string& mailbox_name) {
    const auto& headers = message.headers();
    JsonWriter json;
    json.begin_object().key("id").value(id).key("mailbox").value(mailbox_name).key("headers").begin_object();
    for (const auto& [name, value] : {std::pair{"from", &headers.from}, {"to", &headers.to}, {"cc", &headers.cc},
                                      {"date", &headers.date}, {"subject", &headers.subject},
                                      {"message_id", &headers.message_id}})
        json.key(name).value(*value);
    json.end_object().key("addresses").begin_object().key("from");
    addresses_json(json, headers.from_addresses);
    json.key("to");
    addresses_json(json, headers.to_addresses);
    json.key("cc");
    addresses_json(json, headers.cc_addresses);
    json.end_object().key("date");
    if (headers.parsed_date) json.value(rfc3339(headers.parsed_date->unix_seconds, headers.parsed_date->zone_minutes));
    else json.null();
    json.key("text");
    if (const auto body = message.body_text()) json.value(without_cr(*body));
    else json.null();
    json.key("parts").begin_array();
    for (const auto& part : message.parts()) {
        json.begin_object()
            .key("section").value(part.section)
            .key("type").value(part.content_type)
            .key("file_name");
        if (part.file_name.empty()) json.null();
        else json.value(part.file_name);
        json.key("charset");
        if (part.charset.empty()) json.null();
        else json.value(part.charset);
        json.key("size").value(part.size)
            .key("attachment").value(part.attachment)
            .key("body_text").value(part.body_text)
            .end_object();
    }
    json.end_array().key("structure_cut").value(message.structure_cut());
    json.key("downloaded").value(!message.headers_only()).end_object();
    return json.str();
}

}  // namespace mailsync::cli

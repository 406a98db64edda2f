#include "sync/mime/body_structure.hpp"

#include <cctype>
#include <charconv>
#include <optional>
#include <string>

#include "common/ascii.hpp"
#include "sync/mime/charset.hpp"
#include "sync/mime/gmime_support.hpp"

namespace mailsync::mime {
namespace {

using detail::Ref;

// BODYSTRUCTURE's syntax, read generically: atoms, strings (quoted or literal), NIL and lists.
struct Node {
    enum class Kind { atom, string, nil, list } kind = Kind::nil;
    std::string text;
    std::vector<Node> items;

    bool is_list() const { return kind == Kind::list; }
    bool is_text() const { return kind == Kind::atom || kind == Kind::string; }
    const Node* at(std::size_t i) const { return i < items.size() ? &items[i] : nullptr; }
};

// Lists nest at most this deep whatever Limits says: an envelope in a message/rfc822 part costs two
// levels of its own, so a structure within Limits::max_depth needs about four per part.
constexpr int kMaxListDepth = 256;
// Atoms, strings and lists in all: a bound on the memory of the tree.
constexpr std::size_t kMaxNodes = 200000;

class Reader {
public:
    explicit Reader(std::string_view text) : text_(text) {}

    std::optional<Node> read_all() {
        auto node = read(0);
        skip_spaces();
        if (!node || pos_ != text_.size()) return std::nullopt;
        return node;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t nodes_ = 0;

    void skip_spaces() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\r' || text_[pos_] == '\n')) ++pos_;
    }

    std::optional<Node> read(int depth) {
        skip_spaces();
        if (pos_ >= text_.size() || ++nodes_ > kMaxNodes) return std::nullopt;
        const char c = text_[pos_];
        if (c == '(') return read_list(depth);
        if (c == '"') return read_quoted();
        if (c == '{') return read_literal();
        return read_atom();
    }

    std::optional<Node> read_list(int depth) {
        if (depth >= kMaxListDepth) return std::nullopt;
        ++pos_;
        Node list;
        list.kind = Node::Kind::list;
        for (;;) {
            skip_spaces();
            if (pos_ >= text_.size()) return std::nullopt;
            if (text_[pos_] == ')') {
                ++pos_;
                return list;
            }
            auto item = read(depth + 1);
            if (!item) return std::nullopt;
            list.items.push_back(std::move(*item));
        }
    }

    std::optional<Node> read_quoted() {
        ++pos_;
        Node node;
        node.kind = Node::Kind::string;
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (c == '"') return node;
            if (c == '\\') {
                if (pos_ >= text_.size()) return std::nullopt;
                node.text += text_[pos_++];
            } else {
                node.text += c;
            }
        }
        return std::nullopt;
    }

    // {n}CRLF followed by n bytes ({n+} too); the CRLF may be missing in what was stored.
    std::optional<Node> read_literal() {
        const std::size_t close = text_.find('}', pos_);
        if (close == std::string_view::npos) return std::nullopt;
        std::string_view digits = text_.substr(pos_ + 1, close - pos_ - 1);
        if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
        std::size_t size = 0;
        const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
        if (error != std::errc() || end != digits.data() + digits.size() || digits.empty()) return std::nullopt;
        pos_ = close + 1;
        if (text_.substr(pos_, 2) == "\r\n") pos_ += 2;
        if (size > text_.size() - pos_) return std::nullopt;
        Node node;
        node.kind = Node::Kind::string;
        node.text = std::string(text_.substr(pos_, size));
        pos_ += size;
        return node;
    }

    std::optional<Node> read_atom() {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != ' ' && text_[pos_] != '(' && text_[pos_] != ')' &&
               text_[pos_] != '\r' && text_[pos_] != '\n')
            ++pos_;
        if (pos_ == start) return std::nullopt;
        Node node;
        node.text = std::string(text_.substr(start, pos_ - start));
        node.kind = ascii::iequals(node.text, "NIL") ? Node::Kind::nil : Node::Kind::atom;
        return node;
    }
};

// A parameter value as it would stand in a header field, for GMime's parameter parser. A value
// of an extended parameter (name*, RFC 2231) is a token there; anything else is quoted.
std::string header_value(std::string_view name, std::string_view value) {
    std::string text;
    const bool extended = !name.empty() && name.back() == '*';
    bool token = extended && !value.empty();
    for (const char c : value)
        if (static_cast<unsigned char>(c) <= ' ' || std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos)
            token = false;
    if (token) return std::string(value);
    text += '"';
    for (const char c : value) {
        if (c == '"' || c == '\\') text += '\\';
        text += (c == '\r' || c == '\n') ? ' ' : c;
    }
    return text + '"';
}

// "value; name1=v1; name2=v2" from a parameter list (NIL or (name value ...)).
std::string header_field(std::string_view value, const Node* parameters) {
    std::string field(value);
    if (!parameters || !parameters->is_list()) return field;
    for (std::size_t i = 0; i + 1 < parameters->items.size(); i += 2) {
        const Node& name = parameters->items[i];
        const Node& parameter_value = parameters->items[i + 1];
        if (!name.is_text() || !parameter_value.is_text()) continue;
        bool plain_name = !name.text.empty();
        for (const char c : name.text)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '*' && c != '.') plain_name = false;
        if (!plain_name) continue;
        field += "; " + name.text + "=" + header_value(name.text, parameter_value.text);
    }
    return field;
}

std::string parameter(GMimeParamList* list, const char* name) {
    if (!list) return {};
    GMimeParam* param = g_mime_param_list_get_parameter(list, name);
    const char* value = param ? g_mime_param_get_value(param) : nullptr;
    return value ? to_utf8(value, "utf-8") : std::string();
}

// Decoded size from the encoded one: base64 carries 3 bytes in 4, in lines of 76 plus CRLF.
std::uint64_t decoded_size(std::string_view encoding, std::uint64_t octets) {
    if (ascii::iequals(encoding, "base64")) return octets / 78 * 76 / 4 * 3 + octets % 78 * 3 / 4;
    return octets;
}

std::string join(const std::string& prefix, std::size_t number) {
    return prefix.empty() ? std::to_string(number) : prefix + "." + std::to_string(number);
}

class Walk {
public:
    explicit Walk(const Limits& limits) : limits_(limits) {}
    Structure structure;

    // The parts of a message's body: a multipart's children are prefix.1, prefix.2, ...; a body
    // that is not multipart is prefix.1 (RFC 3501 §6.4.5).
    bool walk_body(const Node& body, const std::string& prefix, int depth, bool enclosed) {
        if (is_multipart(body)) return walk_children(body, prefix, depth, enclosed);
        return visit(body, join(prefix, 1), depth, enclosed);
    }

private:
    const Limits& limits_;

    static bool is_multipart(const Node& body) { return body.is_list() && !body.items.empty() && body.items[0].is_list(); }

    bool walk_children(const Node& multipart, const std::string& prefix, int depth, bool enclosed) {
        std::size_t number = 0;
        for (const Node& child : multipart.items) {
            if (!child.is_list()) break;   // the subtype and the extension data follow the parts
            if (structure.cut) return true;
            if (!visit(child, join(prefix, ++number), depth, enclosed)) return false;
        }
        return number > 0;
    }

    bool visit(const Node& body, const std::string& section, int depth, bool enclosed) {
        if (depth > limits_.max_depth || structure.parts.size() >= limits_.max_parts) {
            structure.cut = true;
            return true;
        }
        if (is_multipart(body)) return walk_children(body, section, depth + 1, enclosed);
        return add(body, section, depth, enclosed);
    }

    // type subtype params id description encoding octets, then by type: message/rfc822 envelope
    // body lines; text lines; then md5 disposition ... (body-ext-1part).
    bool add(const Node& body, const std::string& section, int depth, bool enclosed) {
        const Node* type = body.at(0);
        const Node* subtype = body.at(1);
        const Node* octets = body.at(6);
        if (!body.is_list() || !type || !subtype || !type->is_text() || !subtype->is_text() || !octets || !octets->is_text())
            return false;
        Part part;
        part.section = section;
        part.content_type = ascii::to_lower(type->text + "/" + subtype->text);
        part.enclosed = enclosed;
        const bool message = part.content_type == "message/rfc822" || part.content_type == "message/global";
        const bool text = ascii::iequals(type->text, "text");
        const std::size_t extension = message ? 10 : text ? 8 : 7;

        const Ref<GMimeContentType> content_type(
            g_mime_content_type_parse(detail::parser_options(), header_field(part.content_type, body.at(2)).c_str()));
        GMimeParamList* type_parameters = content_type ? g_mime_content_type_get_parameters(content_type.get()) : nullptr;
        part.charset = parameter(type_parameters, "charset");

        std::uint64_t encoded = 0;
        const char* const octets_end = octets->text.data() + octets->text.size();
        const auto [end, error] = std::from_chars(octets->text.data(), octets_end, encoded);
        if (octets->kind != Node::Kind::atom || error != std::errc() || end != octets_end) return false;
        const Node* encoding = body.at(5);
        part.size = decoded_size(encoding && encoding->is_text() ? encoding->text : "", encoded);

        const Node* disposition = body.at(extension + 1);
        if (disposition && disposition->is_list() && disposition->at(0) && disposition->at(0)->is_text()) {
            const Ref<GMimeContentDisposition> parsed(g_mime_content_disposition_parse(
                detail::parser_options(), header_field(disposition->at(0)->text, disposition->at(1)).c_str()));
            if (parsed) {
                part.attachment = g_mime_content_disposition_is_attachment(parsed.get()) != FALSE;
                part.file_name = parameter(g_mime_content_disposition_get_parameters(parsed.get()), "filename");
            }
        }
        // As GMime's g_mime_part_get_filename: Content-Type's name when the disposition has none;
        // an enclosed message is named by its disposition only.
        if (part.file_name.empty() && !message) part.file_name = parameter(type_parameters, "name");
        structure.parts.push_back(std::move(part));

        if (message) {
            const Node* enclosed_body = body.at(8);
            if (!enclosed_body || !enclosed_body->is_list()) return false;
            return walk_body(*enclosed_body, section, depth + 1, true);
        }
        return true;
    }
};

}  // namespace

Structure parse_body_structure(std::string_view wire, const Limits& limits) {
    detail::ensure_gmime();
    const auto root = Reader(wire).read_all();
    if (!root || !root->is_list()) return {};
    Walk walk(limits);
    const bool valid = walk.walk_body(*root, "", 0, false);
    Structure structure = std::move(walk.structure);
    if (!valid) return {};
    structure.valid = true;
    mark_body_text(structure.parts);
    return structure;
}

}  // namespace mailsync::mime

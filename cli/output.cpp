#include "cli/output.hpp"

#include <unistd.h>

#include <iostream>

#include <fmt/core.h>

#include "common/error.hpp"
#include "common/utf8.hpp"

namespace mailsync::cli {

Output::Output(std::ostream& out, std::ostream& err, Verbosity verbosity, bool json, bool interactive)
    : out_(out), err_(err), verbosity_(verbosity), json_(json), interactive_(interactive) {}

Output Output::for_process(Verbosity verbosity, bool json) {
    return Output(std::cout, std::cerr, verbosity, json, ::isatty(STDOUT_FILENO) == 1);
}

bool Output::shows_progress() const {
    return interactive_ && !json_ && verbosity_ != Verbosity::quiet && ::isatty(STDERR_FILENO) == 1;
}

void Output::result(std::string_view text) {
    out_ << text;
    if (!text.ends_with('\n')) out_ << '\n';
    out_.flush();
}

void Output::note(std::string_view text) {
    if (verbosity_ == Verbosity::verbose || (verbosity_ == Verbosity::normal && interactive_)) {
        err_ << text << '\n';
    }
}

void Output::detail(std::string_view text) {
    if (verbosity_ == Verbosity::verbose) err_ << text << '\n';
}

void Output::warning(std::string_view text) {
    if (verbosity_ != Verbosity::quiet) err_ << "mailsync: warning: " << text << '\n';
}

std::string json_quote(std::string_view text) {
    std::string quoted = "\"";
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80) {
            switch (byte) {
                case '"': quoted += "\\\""; break;
                case '\\': quoted += "\\\\"; break;
                case '\n': quoted += "\\n"; break;
                case '\r': quoted += "\\r"; break;
                case '\t': quoted += "\\t"; break;
                default:
                    if (byte < 0x20 || byte == 0x7f) {
                        quoted += fmt::format("\\u{:04x}", byte);
                    } else {
                        quoted.push_back(static_cast<char>(byte));
                    }
            }
            ++i;
            continue;
        }
        // Well-formed UTF-8 is kept; anything else becomes U+FFFD, so that the output is valid JSON.
        const std::size_t start = i;
        if (utf8::decode_at(text, i)) {
            quoted.append(text.substr(start, i - start));
        } else {
            quoted += "\xef\xbf\xbd";
            ++i;
        }
    }
    quoted.push_back('"');
    return quoted;
}

void JsonWriter::before_value() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!container_has_items_.empty()) {
        if (container_has_items_.back()) text_.push_back(',');
        container_has_items_.back() = true;
    } else if (!text_.empty()) {
        throw Error(ErrorCategory::internal, "JsonWriter: a second top-level value");
    }
}

JsonWriter& JsonWriter::begin_object() {
    before_value();
    text_.push_back('{');
    container_has_items_.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    if (container_has_items_.empty() || after_key_) throw Error(ErrorCategory::internal, "JsonWriter: unbalanced end_object");
    container_has_items_.pop_back();
    text_.push_back('}');
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    before_value();
    text_.push_back('[');
    container_has_items_.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    if (container_has_items_.empty() || after_key_) throw Error(ErrorCategory::internal, "JsonWriter: unbalanced end_array");
    container_has_items_.pop_back();
    text_.push_back(']');
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    if (after_key_ || container_has_items_.empty()) throw Error(ErrorCategory::internal, "JsonWriter: key outside an object");
    before_value();
    text_ += json_quote(name);
    text_.push_back(':');
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
    before_value();
    text_ += json_quote(text);
    return *this;
}

JsonWriter& JsonWriter::value(std::int64_t number) {
    before_value();
    text_ += std::to_string(number);
    return *this;
}

JsonWriter& JsonWriter::value(std::uint64_t number) {
    before_value();
    text_ += std::to_string(number);
    return *this;
}

JsonWriter& JsonWriter::value(bool flag) {
    before_value();
    text_ += flag ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null() {
    before_value();
    text_ += "null";
    return *this;
}

JsonWriter& JsonWriter::encoded(std::string_view document) {
    before_value();
    text_ += document;
    return *this;
}

const std::string& JsonWriter::str() const {
    if (!container_has_items_.empty() || after_key_) throw Error(ErrorCategory::internal, "JsonWriter: unfinished document");
    return text_;
}

}  // namespace mailsync::cli

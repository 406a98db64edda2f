#include "sync/local/local_message_file.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "common/ascii.hpp"
#include "common/error.hpp"

namespace mailsync::sync {
namespace {

constexpr std::size_t read_chunk_bytes = 64 * 1024;

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// RFC 5322 field-name: printable ASCII but ':'.
bool is_field_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name) {
        if (c < 33 || c > 126 || c == ':') return false;
    }
    return true;
}

// The header fields of interest; the first occurrence of each wins, as readers do.
class HeaderCollector {
public:
    // False when `line` (without its line end) is neither a field nor a continuation.
    bool add_line(std::string_view line) {
        if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
            if (!seen_field_) return false;
            if (current_ != nullptr) *current_ += line;   // unfolding: drop the line break only
            return true;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || !is_field_name(trim(line.substr(0, colon)))) return false;
        seen_field_ = true;
        const std::string_view name = trim(line.substr(0, colon));
        current_ = nullptr;
        for (auto& [field_name, value, found] : fields()) {
            if (!*found && ascii::iequals(name, field_name)) {
                *found = true;
                current_ = value;
                *value = std::string(line.substr(colon + 1));
            }
        }
        return true;
    }

    std::optional<MessageHeader> finish() {
        if (!seen_field_ || !(found_message_id_ || found_from_ || found_subject_ || found_date_)) return std::nullopt;
        for (auto& field : fields()) *std::get<1>(field) = std::string(trim(*std::get<1>(field)));
        return header_;
    }

private:
    std::array<std::tuple<std::string_view, std::string*, bool*>, 4> fields() {
        return {{{"message-id", &header_.message_id, &found_message_id_},
                 {"from", &header_.from, &found_from_},
                 {"subject", &header_.subject, &found_subject_},
                 {"date", &header_.date, &found_date_}}};
    }

    MessageHeader header_;
    std::string* current_ = nullptr;
    bool seen_field_ = false;
    bool found_message_id_ = false, found_from_ = false, found_subject_ = false, found_date_ = false;
};

std::string_view without_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

[[noreturn]] void not_a_message(const std::filesystem::path& file, std::string_view why) {
    throw Error(ErrorCategory::bad_input, fmt::format("{} is not a message: {}", file.string(), why));
}

}  // namespace

std::optional<MessageHeader> parse_message_header(std::string_view header_block) {
    HeaderCollector collector;
    while (!header_block.empty()) {
        const std::size_t end = header_block.find('\n');
        if (end == std::string_view::npos) return std::nullopt;   // no blank line ends the header
        const std::string_view line = without_cr(header_block.substr(0, end));
        header_block.remove_prefix(end + 1);
        if (line.empty()) return collector.finish();
        if (!collector.add_line(line)) return std::nullopt;
    }
    return std::nullopt;
}

std::optional<MessageHeader> read_message_header(std::istream& body) {
    std::string block;
    std::string line;
    while (block.size() <= max_local_header_bytes && std::getline(body, line)) {
        block += line;
        block += '\n';
        if (without_cr(line).empty()) return parse_message_header(block);
    }
    return std::nullopt;
}

void CrlfNormalizer::feed(std::string_view chunk, std::string& out) {
    out.reserve(out.size() + chunk.size() + chunk.size() / 32);
    for (char c : chunk) {
        if (pending_cr_) {
            out += "\r\n";
            pending_cr_ = false;
            if (c == '\n') continue;   // that CR LF was already a line end
        }
        if (c == '\0') throw Error(ErrorCategory::bad_input, "it contains NUL bytes, which IMAP APPEND cannot carry");
        if (c == '\r') {
            pending_cr_ = true;
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
}

void CrlfNormalizer::finish(std::string& out) {
    if (pending_cr_) out += "\r\n";
    pending_cr_ = false;
}

std::string generate_message_id() {
    std::random_device random;
    std::string hex;
    for (int part = 0; part < 4; ++part) hex += fmt::format("{:08x}", random());
    return fmt::format("<mailsync.{}@mailsync.invalid>", hex);
}

PreparedMessage store_message_file(const store::Store& store, const std::filesystem::path& file) {
    std::error_code status_error;
    const auto status = std::filesystem::status(file, status_error);
    if (!std::filesystem::exists(status)) {
        throw Error(ErrorCategory::bad_input, fmt::format("{}: no such file", file.string()));
    }
    if (std::filesystem::is_directory(status)) not_a_message(file, "it is a directory");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(ErrorCategory::io, fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));

    CrlfNormalizer normalizer;
    std::string buffer(read_chunk_bytes, '\0');
    auto read_chunk = [&]() -> std::string_view {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        if (in.bad()) throw Error(ErrorCategory::io, fmt::format("cannot read {}", file.string()));
        return {buffer.data(), static_cast<std::size_t>(in.gcount())};
    };
    auto normalize = [&](std::string_view chunk, std::string& out) {
        try {
            normalizer.feed(chunk, out);
        } catch (const Error& error) {
            not_a_message(file, error.what());
        }
    };

    // Read until the blank line that ends the header, keeping no more than the header in memory.
    std::string head;
    std::size_t header_end = std::string::npos;
    while (header_end == std::string::npos) {
        const std::string_view chunk = read_chunk();
        if (chunk.empty()) break;
        const std::size_t searched = head.size() < 3 ? 0 : head.size() - 3;
        normalize(chunk, head);
        header_end = head.find("\r\n\r\n", searched);
        if (header_end == std::string::npos && head.size() > max_local_header_bytes) {
            not_a_message(file, fmt::format("no blank line ends a header within {} bytes", max_local_header_bytes));
        }
    }
    if (header_end == std::string::npos) {
        normalizer.finish(head);
        header_end = head.find("\r\n\r\n");
        if (header_end == std::string::npos) not_a_message(file, "no blank line ends its header");
    }
    header_end += 4;

    std::string_view header_block(head.data(), header_end);
    // A message saved from an mbox starts with its envelope line, which is not part of it.
    if (header_block.starts_with("From ")) header_block.remove_prefix(header_block.find("\r\n") + 2);
    auto header = parse_message_header(header_block);
    if (!header) {
        not_a_message(file, "it does not start with a header (From:, Date:, Subject: or Message-ID:) "
                            "followed by a blank line");
    }

    PreparedMessage prepared;
    auto writer = store.begin_body();
    if (header->message_id.empty()) {
        header->message_id = generate_message_id();
        prepared.message_id_added = true;
        writer.write("Message-ID: " + header->message_id + "\r\n");
    }
    writer.write(header_block);
    writer.write(std::string_view(head).substr(header_end));
    head.clear();
    std::string normalized;
    for (std::string_view chunk = read_chunk(); !chunk.empty(); chunk = read_chunk()) {
        normalized.clear();
        normalize(chunk, normalized);
        writer.write(normalized);
    }
    normalized.clear();
    normalizer.finish(normalized);
    writer.write(normalized);
    prepared.body = writer.commit();
    prepared.header = std::move(*header);
    return prepared;
}

}  // namespace mailsync::sync

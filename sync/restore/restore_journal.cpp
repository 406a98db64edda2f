#include "sync/restore/restore_journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/error.hpp"
#include "store/body_hash.hpp"

namespace mailsync::sync {
namespace {

constexpr std::string_view header_word = "mailsync-restore-journal";

std::string hex(std::string_view bytes) {
    std::string text;
    text.reserve(bytes.size() * 2);
    for (const char byte : bytes) text += fmt::format("{:02x}", static_cast<unsigned char>(byte));
    return text;
}

std::optional<std::string> unhex(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    std::string bytes;
    bytes.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        unsigned value = 0;
        const auto [end, error] = std::from_chars(text.data() + i, text.data() + i + 2, value, 16);
        if (error != std::errc{} || end != text.data() + i + 2) return std::nullopt;
        bytes += static_cast<char>(value);
    }
    return bytes;
}

template <class Number>
std::optional<Number> number(std::string_view text) {
    Number value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> found;
    while (!line.empty()) {
        const auto space = line.find(' ');
        found.push_back(line.substr(0, space));
        if (space == std::string_view::npos) break;
        line.remove_prefix(space + 1);
    }
    return found;
}

}  // namespace

std::string restore_journal_name(const std::string& target_identity) {
    return store::Sha256::of(target_identity).hex().substr(0, 16) + ".journal";
}

RestoreJournal RestoreJournal::open(const std::filesystem::path& directory, const std::string& target_identity,
                                    bool writable) {
    const std::filesystem::path path = directory / restore_journal_name(target_identity);
    std::string text;
    std::error_code missing;
    if (std::filesystem::exists(path, missing)) {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream content;
        content << in.rdbuf();
        if (!in && !in.eof()) throw Error(ErrorCategory::io, fmt::format("cannot read the restore journal {}", path.string()));
        text = content.str();
    }
    store::FileDescriptor fd;
    if (writable) {
        store::make_private_directory(directory);
        fd = store::open_private_file(path, O_APPEND);
    }
    RestoreJournal journal(path, std::move(fd));
    if (text.empty()) {
        if (writable) journal.append_line(fmt::format("{} 1 {}", header_word, hex(target_identity)));
    } else {
        journal.read_lines(text);
        // A file cut inside its last line: end that line, so the next event starts a line of its own.
        if (writable && text.back() != '\n') journal.append_line("");
    }
    return journal;
}

void RestoreJournal::read_lines(const std::string& text) {
    std::string_view rest = text;
    while (true) {
        const auto end = rest.find('\n');
        if (end == std::string_view::npos) break;   // none, or a line cut short by a crash
        const auto fields = words(rest.substr(0, end));
        rest.remove_prefix(end + 1);
        const bool sending = fields.size() == 4 && fields[0] == "sending";
        const bool placed = fields.size() == 5 && fields[0] == "placed";
        if (!sending && !placed) continue;
        const auto uidvalidity = number<std::uint32_t>(fields[1]);
        const auto message = number<store::MessageId>(fields[2]);
        const auto uid = placed ? number<store::Uid>(fields[3]) : std::optional<store::Uid>(0);
        const auto mailbox = unhex(fields.back());
        if (!uidvalidity || !message || !uid || !mailbox) continue;
        entries_[{*mailbox, *message}] = Entry{*uidvalidity, *uid, placed};
    }
}

std::optional<RestoreJournal::Entry> RestoreJournal::find(const std::string& mailbox, store::MessageId message) const {
    const auto found = entries_.find({mailbox, message});
    if (found == entries_.end()) return std::nullopt;
    return found->second;
}

void RestoreJournal::sending(const std::string& mailbox, store::MessageId message, std::uint32_t uidvalidity) {
    append_line(fmt::format("sending {} {} {}", uidvalidity, message, hex(mailbox)));
    entries_[{mailbox, message}] = Entry{uidvalidity, 0, false};
}

void RestoreJournal::placed(const std::string& mailbox, store::MessageId message, std::uint32_t uidvalidity,
                            store::Uid uid) {
    append_line(fmt::format("placed {} {} {} {}", uidvalidity, message, uid, hex(mailbox)));
    entries_[{mailbox, message}] = Entry{uidvalidity, uid, true};
}

void RestoreJournal::append_line(const std::string& line) {
    if (!fd_) throw Error(ErrorCategory::internal, "a dry run tried to write the restore journal");
    // One write(2) per line (O_APPEND): once it returns, a kill -9 of this process cannot undo it.
    store::write_all(fd_.get(), line + "\n", path_);
}

void RestoreJournal::flush() {
    if (fd_) store::sync_file(fd_.get(), path_);
}

}  // namespace mailsync::sync

#include "sync/export/export.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "common/ascii.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/body_hash.hpp"
#include "store/files.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::sync {

namespace fs = std::filesystem;
using store::FileDescriptor;
using store::MessageRecord;

namespace {

constexpr std::size_t chunk_size = 64 * 1024;
constexpr std::size_t max_file_name = 255;

[[noreturn]] void cannot_create(std::string_view what, const fs::path& path, int error) {
    throw Error(ErrorCategory::cannot_create, fmt::format("cannot create {} {}: {}", what, path.string(), std::strerror(error)));
}

// mkdir -p with mode 0700 for what it creates.
void make_directories(const fs::path& directory) {
    struct stat status {};
    if (::stat(directory.c_str(), &status) == 0) {
        if (!S_ISDIR(status.st_mode)) cannot_create("the directory", directory, ENOTDIR);
        return;
    }
    if (errno != ENOENT) cannot_create("the directory", directory, errno);
    if (directory.has_parent_path() && directory.parent_path() != directory) make_directories(directory.parent_path());
    if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) cannot_create("the directory", directory, errno);
}

FileDescriptor create_file(const fs::path& file) {
    FileDescriptor fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) cannot_create("the file", file, errno);
    return fd;
}

void rename_file(const fs::path& from, const fs::path& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) store::throw_io("rename to", to);
}

// Sends the body's bytes to `sink` in chunks.
void read_body(const store::Store& store, const MessageRecord& message, const std::function<void(std::string_view)>& sink) {
    std::ifstream in = store.open_body(message.body_hash);
    std::string buffer(chunk_size, '\0');
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const auto count = static_cast<std::size_t>(in.gcount());
        if (count == 0) break;
        sink(std::string_view(buffer.data(), count));
    }
    if (in.bad()) store::throw_io("read", store.body_path(message.body_hash));
}

// Writes through a buffer to a file descriptor.
class FileWriter {
public:
    FileWriter(int fd, fs::path path) : fd_(fd), path_(std::move(path)) {}
    void write(std::string_view bytes) {
        buffer_.append(bytes);
        written_ += bytes.size();
        if (buffer_.size() >= chunk_size) flush();
    }
    void flush() {
        store::write_all(fd_, buffer_, path_);
        buffer_.clear();
    }
    std::uint64_t written() const { return written_; }

private:
    int fd_;
    fs::path path_;
    std::string buffer_;
    std::uint64_t written_ = 0;
};

std::string state_key(ExportFormat format, const fs::path& destination, std::string_view mailbox) {
    std::string identity = destination.string();
    identity.push_back('\0');
    identity.append(mailbox);
    return fmt::format("{}:{}", to_string(format), store::Sha256::of(identity).hex());
}

bool has_flag(const std::vector<std::string>& flags, std::string_view wanted) {
    return std::any_of(flags.begin(), flags.end(), [&](const std::string& flag) { return ascii::iequals(flag, wanted); });
}

std::string sanitized_tag(std::string_view tag) {
    std::string out;
    for (char c : tag) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        out.push_back(keep ? c : '_');
    }
    return out.empty() ? std::string("account") : out;
}

std::string envelope_sender(std::string_view from) {
    std::string_view address = from;
    const auto open = from.rfind('<');
    const auto close = from.rfind('>');
    if (open != std::string_view::npos && close != std::string_view::npos && open < close) {
        address = from.substr(open + 1, close - open - 1);
    }
    const bool usable = !address.empty() && address.find('@') != std::string_view::npos &&
                        std::none_of(address.begin(), address.end(), [](char c) {
                            return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f;
                        });
    return usable ? std::string(address) : std::string("MAILER-DAEMON");
}

// ---- Maildir ---------------------------------------------------------------------------------

struct PresentFile {
    fs::path directory;   // cur or new
    std::string name;
};

MailboxExport export_maildir(store::Store& store, const store::MailboxRecord& mailbox, const ExportOptions& options,
                             const fs::path& destination) {
    const std::string key = state_key(ExportFormat::maildir, destination, mailbox.name);
    auto [messages, state] = store.read([&](const store::ReadTxn& txn) {
        return std::make_pair(txn.messages(mailbox.id), txn.export_state(key));
    });

    MailboxExport report;
    report.mailbox = mailbox.name;
    report.path = destination / encode_mailbox_file_name(mailbox.name);
    const fs::path cur = report.path / "cur";
    const fs::path fresh = report.path / "new";
    const fs::path tmp = report.path / "tmp";
    for (const fs::path& directory : {report.path, cur, fresh, tmp}) make_directories(directory);

    // What an earlier run left: our files by id, and stale tmp files of an interrupted run.
    std::map<store::MessageId, PresentFile> present;
    for (const fs::path& directory : {cur, fresh, tmp}) {
        std::error_code error;
        for (const auto& entry : fs::directory_iterator(directory, error)) {
            const std::string name = entry.path().filename().string();
            const auto id = maildir_message_id(name, options.tag);
            if (!id) continue;
            if (directory == tmp) {
                ::unlink(entry.path().c_str());
            } else {
                present[*id] = PresentFile{directory, name};
            }
        }
        if (error) store::throw_io("list", directory);
    }

    store::MessageId last = state ? state->last_message : 0;
    bool changed = false;
    for (const MessageRecord& message : messages) {
        const std::string info = maildir_info(message.flags);
        if (const auto found = present.find(message.id); found != present.end()) {
            const std::string& name = found->second.name;
            const std::string base = name.substr(0, name.find(':'));
            const std::string wanted = base + ":2," + info;
            if (found->second.directory != cur || name != wanted) {
                rename_file(found->second.directory / name, cur / wanted);
                ++report.renamed;
                changed = true;
            }
            last = std::max(last, message.id);
            continue;
        }
        if (state && message.id <= state->last_message) continue;   // exported before, then removed there

        const std::string base = maildir_base_name(message, options.tag);
        const fs::path staging = tmp / base;
        {
            FileDescriptor fd = create_file(staging);
            FileWriter writer(fd.get(), staging);
            read_body(store, message, [&](std::string_view chunk) { writer.write(chunk); });
            writer.flush();
            const timespec times[2] = {{message.internaldate, 0}, {message.internaldate, 0}};
            if (::futimens(fd.get(), times) != 0) store::throw_io("set the time of", staging);
            store::sync_file(fd.get(), staging);
            report.bytes += writer.written();
        }
        rename_file(staging, cur / (base + ":2," + info));
        ++report.written;
        changed = true;
        last = std::max(last, message.id);
    }
    if (changed) store::sync_directory(cur);
    if (changed || !state) {
        store::ExportStateRecord record{std::string(to_string(ExportFormat::maildir)), destination.string(), last, unix_time_now(),
                                        mailbox.name, 0};
        store.write([&](store::WriteTxn& txn) { txn.put_export_state(key, record); });
    }
    return report;
}

// ---- mbox ------------------------------------------------------------------------------------

void copy_prefix(const fs::path& from, std::uint64_t length, FileWriter& writer) {
    FileDescriptor in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) store::throw_io("open", from);
    std::string buffer(chunk_size, '\0');
    while (length > 0) {
        const ssize_t count = ::read(in.get(), buffer.data(), static_cast<std::size_t>(std::min<std::uint64_t>(length, buffer.size())));
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) store::throw_io("read", from);
        writer.write(std::string_view(buffer.data(), static_cast<std::size_t>(count)));
        length -= static_cast<std::uint64_t>(count);
    }
}

MailboxExport export_mbox(store::Store& store, const store::MailboxRecord& mailbox, const fs::path& destination) {
    const std::string key = state_key(ExportFormat::mbox, destination, mailbox.name);
    auto [messages, state] = store.read([&](const store::ReadTxn& txn) {
        return std::make_pair(txn.messages(mailbox.id), txn.export_state(key));
    });

    MailboxExport report;
    report.mailbox = mailbox.name;
    const std::string file_name = encode_mailbox_file_name(mailbox.name);
    report.path = destination / file_name;

    struct stat status {};
    const bool exists = ::stat(report.path.c_str(), &status) == 0;
    if (!exists && errno != ENOENT) store::throw_io("stat", report.path);
    if (exists && !S_ISREG(status.st_mode)) {
        throw Error(ErrorCategory::cannot_create, fmt::format("cannot create the mbox file {}: something else is there", report.path.string()));
    }
    if (exists && !state) {
        throw Error(ErrorCategory::cannot_create,
                    fmt::format("{} exists but was not written by an export of this store; move it away or export to another directory",
                                report.path.string()));
    }
    store::MessageId last = 0;
    std::uint64_t committed = 0;
    if (exists && state) {
        last = state->last_message;
        committed = state->file_size;
        if (static_cast<std::uint64_t>(status.st_size) < committed) {
            throw Error(ErrorCategory::io,
                        fmt::format("{} is shorter than the last export left it ({} < {} bytes): something else changed it; "
                                    "move it away to export this mailbox afresh",
                                    report.path.string(), status.st_size, committed));
        }
    }
    // (No file but a record: the file was removed; export the mailbox afresh.)

    std::vector<const MessageRecord*> pending;
    for (const MessageRecord& message : messages) {
        if (message.id > last) pending.push_back(&message);
    }
    if (pending.empty() && exists) return report;

    const fs::path staging = destination / ("." + file_name + ".mailsync-tmp");
    std::uint64_t size = 0;
    {
        FileDescriptor fd = create_file(staging);
        FileWriter writer(fd.get(), staging);
        if (committed > 0) copy_prefix(report.path, committed, writer);
        for (const MessageRecord* message : pending) {
            writer.write(mbox_from_line(*message));
            bool headers_written = false;
            MboxrdQuoter quoter([&](std::string_view bytes) { writer.write(bytes); });
            const std::uint64_t before = writer.written();
            read_body(store, *message, [&](std::string_view chunk) {
                if (!headers_written) {
                    const auto newline = chunk.find('\n');
                    const bool lf_only = newline != std::string_view::npos && (newline == 0 || chunk[newline - 1] != '\r');
                    writer.write(mbox_status_lines(message->flags, lf_only ? "\n" : "\r\n"));
                    headers_written = true;
                }
                quoter.write(chunk);
            });
            if (!headers_written) writer.write(mbox_status_lines(message->flags, "\r\n"));
            quoter.finish();
            if (!quoter.ends_with_newline()) writer.write("\n");
            writer.write("\n");
            report.bytes += writer.written() - before;
            ++report.written;
            last = std::max(last, message->id);
        }
        writer.flush();
        store::sync_file(fd.get(), staging);
        size = writer.written();
    }
    rename_file(staging, report.path);
    store::sync_directory(destination);
    store::ExportStateRecord record{std::string(to_string(ExportFormat::mbox)), destination.string(), last, unix_time_now(),
                                    mailbox.name, size};
    store.write([&](store::WriteTxn& txn) { txn.put_export_state(key, record); });
    return report;
}

}  // namespace

std::string_view to_string(ExportFormat format) {
    switch (format) {
        case ExportFormat::maildir: return "maildir";
        case ExportFormat::mbox: return "mbox";
    }
    return "?";
}

std::uint64_t ExportReport::written() const {
    std::uint64_t total = 0;
    for (const auto& mailbox : mailboxes) total += mailbox.written;
    return total;
}

std::uint64_t ExportReport::renamed() const {
    std::uint64_t total = 0;
    for (const auto& mailbox : mailboxes) total += mailbox.renamed;
    return total;
}

ExportReport export_mail(store::Store& store, const ExportOptions& options) {
    make_directories(options.destination);
    std::error_code error;
    const fs::path destination = fs::canonical(options.destination, error);
    if (error) cannot_create("the directory", options.destination, error.value());

    std::vector<store::MailboxRecord> selected;
    const auto all = store.read([](const store::ReadTxn& txn) { return txn.mailboxes(); });
    if (options.mailboxes.empty()) {
        selected = all;
    } else {
        for (const std::string& name : options.mailboxes) {
            const auto found = std::find_if(all.begin(), all.end(), [&](const auto& mailbox) { return names_mailbox(name, mailbox.name); });
            if (found == all.end()) throw Error(ErrorCategory::bad_input, fmt::format("there is no mailbox '{}' in the mirror", name));
            if (std::none_of(selected.begin(), selected.end(), [&](const auto& mailbox) { return mailbox.id == found->id; })) {
                selected.push_back(*found);
            }
        }
    }
    for (const auto& mailbox : selected) {
        if (encode_mailbox_file_name(mailbox.name).size() > max_file_name) {
            throw Error(ErrorCategory::cannot_create,
                        fmt::format("the mailbox name '{}' is too long for a file name once encoded", mailbox.name));
        }
    }

    ExportReport report;
    for (const auto& mailbox : selected) {
        report.mailboxes.push_back(options.format == ExportFormat::maildir ? export_maildir(store, mailbox, options, destination)
                                                                           : export_mbox(store, mailbox, destination));
    }
    return report;
}

// ---- names -----------------------------------------------------------------------------------

std::string encode_mailbox_file_name(std::string_view mailbox) {
    std::string out;
    for (std::size_t i = 0; i < mailbox.size(); ++i) {
        const auto byte = static_cast<unsigned char>(mailbox[i]);
        const bool escape = byte < 0x20 || byte >= 0x7f || byte == '%' || byte == '/' || (i == 0 && byte == '.');
        if (escape) out += fmt::format("%{:02X}", byte);
        else out.push_back(static_cast<char>(byte));
    }
    return out;
}

std::optional<std::string> decode_mailbox_file_name(std::string_view file_name) {
    if (file_name.empty() || file_name.front() == '.') return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < file_name.size(); ++i) {
        const char c = file_name[i];
        if (c != '%') {
            out.push_back(c);
            continue;
        }
        if (i + 2 >= file_name.size()) return std::nullopt;
        const auto hex = [](char h) -> int {
            if (h >= '0' && h <= '9') return h - '0';
            if (h >= 'A' && h <= 'F') return h - 'A' + 10;
            return -1;
        };
        const int high = hex(file_name[i + 1]);
        const int low = hex(file_name[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    if (encode_mailbox_file_name(out) != file_name) return std::nullopt;   // not canonical: not ours
    return out;
}

std::string maildir_base_name(const MessageRecord& message, std::string_view tag) {
    return fmt::format("{}.M{}.mailsync-{}", std::max<store::UnixTime>(message.internaldate, 0), message.id, sanitized_tag(tag));
}

std::optional<store::MessageId> maildir_message_id(std::string_view file_name, std::string_view tag) {
    const std::string_view base = file_name.substr(0, file_name.find(':'));
    const auto first = base.find('.');
    if (first == std::string_view::npos) return std::nullopt;
    const auto second = base.find('.', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    if (base.substr(second + 1) != "mailsync-" + sanitized_tag(tag)) return std::nullopt;
    const std::string_view unique = base.substr(first + 1, second - first - 1);
    if (unique.size() < 2 || unique.size() > 21 || unique.front() != 'M') return std::nullopt;
    store::MessageId id = 0;
    for (char c : unique.substr(1)) {
        if (c < '0' || c > '9') return std::nullopt;
        if (id > (UINT64_MAX - 9) / 10) return std::nullopt;
        id = id * 10 + static_cast<store::MessageId>(c - '0');
    }
    return id == 0 ? std::nullopt : std::optional<store::MessageId>(id);
}

std::string mbox_from_line(const MessageRecord& message) {
    static constexpr std::array<const char*, 7> days = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::time_t time = message.internaldate;
    std::tm parts{};
    if (::gmtime_r(&time, &parts) == nullptr) parts = std::tm{};
    return fmt::format("From {} {} {} {:2} {:02}:{:02}:{:02} {}\n", envelope_sender(message.from),
                       days.at(static_cast<std::size_t>(parts.tm_wday) % 7), months.at(static_cast<std::size_t>(parts.tm_mon) % 12),
                       parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, parts.tm_year + 1900);
}

std::string mbox_status_lines(const std::vector<std::string>& flags, std::string_view line_ending) {
    std::string x_status;
    if (has_flag(flags, "\\Answered")) x_status.push_back('A');
    if (has_flag(flags, "\\Flagged")) x_status.push_back('F');
    if (has_flag(flags, "\\Draft")) x_status.push_back('T');
    if (has_flag(flags, "\\Deleted")) x_status.push_back('D');
    return fmt::format("Status: {}{}X-Status: {}{}", has_flag(flags, "\\Seen") ? "RO" : "O", line_ending, x_status, line_ending);
}

// ---- mboxrd quoting --------------------------------------------------------------------------

void MboxrdQuoter::emit(std::string_view bytes) {
    buffer_.append(bytes);
    if (buffer_.size() >= chunk_size) {
        sink_(buffer_);
        buffer_.clear();
    }
}

void MboxrdQuoter::flush_prefix() {
    for (std::uint64_t i = 0; i < quotes_; ++i) emit(">");
    emit(std::string_view("From ").substr(0, matched_));
    if (quotes_ > 0 || matched_ > 0) last_ = matched_ > 0 ? "From "[matched_ - 1] : '>';
    at_line_start_ = false;
}

void MboxrdQuoter::write(std::string_view chunk) {
    static constexpr std::string_view from = "From ";
    std::size_t i = 0;
    while (i < chunk.size()) {
        if (at_line_start_) {
            const char c = chunk[i];
            if (matched_ == 0 && c == '>') {
                ++quotes_;
                ++i;
                continue;
            }
            if (c == from[matched_]) {
                ++i;
                if (++matched_ == from.size()) {
                    emit(">");
                    for (std::uint64_t q = 0; q < quotes_; ++q) emit(">");
                    emit(from);
                    last_ = ' ';
                    at_line_start_ = false;
                }
                continue;
            }
            flush_prefix();
        }
        // The rest of the line, up to and including its LF, goes out as it is.
        const auto newline = chunk.find('\n', i);
        const std::size_t end = newline == std::string_view::npos ? chunk.size() : newline + 1;
        emit(chunk.substr(i, end - i));
        last_ = chunk[end - 1];
        i = end;
        if (newline != std::string_view::npos) {
            at_line_start_ = true;
            quotes_ = 0;
            matched_ = 0;
        }
    }
}

void MboxrdQuoter::finish() {
    if (at_line_start_ && (quotes_ > 0 || matched_ > 0)) flush_prefix();
    if (!buffer_.empty()) sink_(buffer_);
    buffer_.clear();
}

}  // namespace mailsync::sync

#include "sync/export/export.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

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

enum class BodyRead { sound, missing, damaged };

// Sends the body's bytes to `sink` in chunks, hashing them: `damaged` when they are not the bytes
// the record names (the caller takes back what the sink got).
BodyRead read_body(const store::Store& store, const MessageRecord& message, const std::function<void(std::string_view)>& sink) {
    if (!store.has_body(message.body_hash)) return BodyRead::missing;
    std::ifstream in = store.open_body(message.body_hash);
    store::Sha256 hasher;
    std::string buffer(chunk_size, '\0');
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const auto count = static_cast<std::size_t>(in.gcount());
        if (count == 0) break;
        hasher.update(std::string_view(buffer.data(), count));
        sink(std::string_view(buffer.data(), count));
    }
    if (in.bad()) store::throw_io("read", store.body_path(message.body_hash));
    return hasher.finish() == message.body_hash ? BodyRead::sound : BodyRead::damaged;
}

DamagedBody damaged_body(const store::Store& store, const MessageRecord& message, BodyRead read) {
    return DamagedBody{message.id, message.uid, store.body_path(message.body_hash), read == BodyRead::missing};
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
    // Takes back everything written after the first `length` bytes (a damaged message).
    void truncate(std::uint64_t length) {
        flush();
        if (::ftruncate(fd_, static_cast<off_t>(length)) != 0 || ::lseek(fd_, static_cast<off_t>(length), SEEK_SET) < 0)
            store::throw_io("truncate", path_);
        written_ = length;
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

// What an earlier run of this export recorded for one mailbox, and what this run will record.
struct MailboxState {
    std::string key;
    std::optional<store::ExportStateRecord> record;
    std::set<store::MessageId> skipped;   // left out by the last run (damaged bodies)

    MailboxState(store::Store& store, ExportFormat format, const fs::path& destination, const store::MailboxRecord& mailbox)
        : key(state_key(format, destination, mailbox.name)) {
        record = store.read([&](const store::ReadTxn& txn) { return txn.export_state(key); });
        if (record) skipped.insert(record->skipped.begin(), record->skipped.end());
    }
    // The name this mailbox has in the destination: the one recorded, else the one it gets now.
    std::string file_name(const store::MailboxRecord& mailbox) const {
        return record && !record->file_name.empty() ? record->file_name : export_file_name(mailbox.name);
    }
    // Not written before (new since the last run, or left out by it).
    bool wanted(const MessageRecord& message, store::MessageId last) const {
        return message.id > last || skipped.count(message.id) != 0;
    }
    void save(store::Store& store, ExportFormat format, const fs::path& destination, const MailboxExport& report,
              store::MessageId last, std::uint64_t file_size) const {
        store::ExportStateRecord out{std::string(to_string(format)), destination.string(), last, unix_time_now(), report.mailbox,
                                     file_size, report.path.filename().string(), {}};
        for (const DamagedBody& body : report.damaged) out.skipped.push_back(body.id);
        out.skipped.insert(out.skipped.end(), report.headers_only.begin(), report.headers_only.end());
        store.write([&](store::WriteTxn& txn) {
            txn.put_export_state(key, out);
            // The next sync fetches these bodies again (sync/pull/body_repair.hpp).
            for (const DamagedBody& body : report.damaged) {
                const auto message = txn.message(body.id);
                if (message) txn.mark_body_damaged(message->body_hash);
            }
        });
    }
    bool changed_skipped(const MailboxExport& report) const {
        if (report.damaged.size() + report.headers_only.size() != skipped.size()) return true;
        return std::any_of(report.damaged.begin(), report.damaged.end(), [&](const DamagedBody& b) { return skipped.count(b.id) == 0; }) ||
               std::any_of(report.headers_only.begin(), report.headers_only.end(), [&](store::MessageId id) { return skipped.count(id) == 0; });
    }
};

MailboxExport begin_report(const store::MailboxRecord& mailbox, const MailboxState& state, const fs::path& destination) {
    MailboxExport report;
    report.mailbox = mailbox.name;
    report.path = destination / state.file_name(mailbox);
    report.shortened = is_shortened_name(report.path.filename().string());
    return report;
}

// ---- Maildir ---------------------------------------------------------------------------------

struct PresentFile {
    fs::path directory;   // cur or new
    std::string name;
};

MailboxExport export_maildir(store::Store& store, const store::MailboxRecord& mailbox, const ExportOptions& options,
                             const fs::path& destination) {
    const MailboxState state(store, ExportFormat::maildir, destination, mailbox);
    const auto messages = store.read([&](const store::ReadTxn& txn) { return txn.messages(mailbox.id); });

    MailboxExport report = begin_report(mailbox, state, destination);
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

    const store::MessageId recorded = state.record ? state.record->last_message : 0;
    store::MessageId last = recorded;
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
        if (state.record && !state.wanted(message, recorded)) continue;   // exported before, then removed there
        if (message.partial) {
            report.headers_only.push_back(message.id);
            last = std::max(last, message.id);
            continue;
        }

        const std::string base = maildir_base_name(message, options.tag);
        const fs::path staging = tmp / base;
        BodyRead read = BodyRead::sound;
        {
            FileDescriptor fd = create_file(staging);
            FileWriter writer(fd.get(), staging);
            read = read_body(store, message, [&](std::string_view chunk) { writer.write(chunk); });
            if (read == BodyRead::sound) {
                writer.flush();
                const timespec times[2] = {{message.internaldate, 0}, {message.internaldate, 0}};
                if (::futimens(fd.get(), times) != 0) store::throw_io("set the time of", staging);
                store::sync_file(fd.get(), staging);
                report.bytes += writer.written();
            }
        }
        last = std::max(last, message.id);
        if (read != BodyRead::sound) {
            ::unlink(staging.c_str());
            report.damaged.push_back(damaged_body(store, message, read));
            continue;
        }
        rename_file(staging, cur / (base + ":2," + info));
        ++report.written;
        changed = true;
    }
    if (changed) store::sync_directory(cur);
    if (changed || !state.record || state.changed_skipped(report) || last != recorded) {
        state.save(store, ExportFormat::maildir, destination, report, last, 0);
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

// Appends one message in mboxrd form; false (and nothing appended) when its body is not sound.
BodyRead append_mbox_message(const store::Store& store, const MessageRecord& message, FileWriter& writer) {
    const std::uint64_t before = writer.written();
    writer.write(mbox_from_line(message));
    bool headers_written = false;
    MboxrdQuoter quoter([&](std::string_view bytes) { writer.write(bytes); });
    const BodyRead read = read_body(store, message, [&](std::string_view chunk) {
        if (!headers_written) {
            const auto newline = chunk.find('\n');
            const bool lf_only = newline != std::string_view::npos && (newline == 0 || chunk[newline - 1] != '\r');
            writer.write(mbox_status_lines(message.flags, lf_only ? "\n" : "\r\n"));
            headers_written = true;
        }
        quoter.write(chunk);
    });
    if (read != BodyRead::sound) {
        writer.truncate(before);
        return read;
    }
    if (!headers_written) writer.write(mbox_status_lines(message.flags, "\r\n"));
    quoter.finish();
    if (!quoter.ends_with_newline()) writer.write("\n");
    writer.write("\n");
    return read;
}

MailboxExport export_mbox(store::Store& store, const store::MailboxRecord& mailbox, const fs::path& destination) {
    const MailboxState state(store, ExportFormat::mbox, destination, mailbox);
    const auto messages = store.read([&](const store::ReadTxn& txn) { return txn.messages(mailbox.id); });

    MailboxExport report = begin_report(mailbox, state, destination);
    const std::string file_name = report.path.filename().string();

    struct stat status {};
    const bool exists = ::stat(report.path.c_str(), &status) == 0;
    if (!exists && errno != ENOENT) store::throw_io("stat", report.path);
    if (exists && !S_ISREG(status.st_mode)) {
        throw Error(ErrorCategory::cannot_create, fmt::format("cannot create the mbox file {}: something else is there", report.path.string()));
    }
    if (exists && !state.record) {
        throw Error(ErrorCategory::cannot_create,
                    fmt::format("{} exists but was not written by an export of this store; move it away or export to another directory",
                                report.path.string()));
    }
    store::MessageId last = 0;
    std::uint64_t committed = 0;
    if (exists && state.record) {
        last = state.record->last_message;
        committed = state.record->file_size;
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
        if (!exists || state.wanted(message, last)) pending.push_back(&message);
    }
    if (pending.empty() && exists) return report;

    const fs::path staging = destination / ("." + file_name + ".mailsync-tmp");
    std::uint64_t size = 0;
    {
        FileDescriptor fd = create_file(staging);
        FileWriter writer(fd.get(), staging);
        if (committed > 0) copy_prefix(report.path, committed, writer);
        for (const MessageRecord* message : pending) {
            const std::uint64_t before = writer.written();
            last = std::max(last, message->id);
            if (message->partial) {
                report.headers_only.push_back(message->id);
                continue;
            }
            const BodyRead read = append_mbox_message(store, *message, writer);
            if (read != BodyRead::sound) {
                report.damaged.push_back(damaged_body(store, *message, read));
                continue;
            }
            report.bytes += writer.written() - before;
            ++report.written;
        }
        writer.flush();
        store::sync_file(fd.get(), staging);
        size = writer.written();
    }
    rename_file(staging, report.path);
    store::sync_directory(destination);
    state.save(store, ExportFormat::mbox, destination, report, last, size);
    return report;
}

// Adds the mailboxes exported under a shortened name to DIR/.mailsync-long-names (rewritten
// beside itself and renamed, like every file export writes).
void record_long_names(const fs::path& destination, const std::vector<MailboxExport>& mailboxes) {
    const fs::path index = destination / long_names_index;
    std::map<std::string, std::string> names;
    {
        std::ifstream in(index);
        std::string line;
        while (std::getline(in, line)) {
            const auto tab = line.find('\t');
            if (tab != std::string::npos) names[line.substr(0, tab)] = line.substr(tab + 1);
        }
    }
    bool added = false;
    for (const MailboxExport& mailbox : mailboxes) {
        if (!mailbox.shortened) continue;
        added = names.insert_or_assign(mailbox.path.filename().string(), encode_mailbox_file_name(mailbox.mailbox)).second || added;
    }
    if (!added) return;
    const fs::path staging = destination / (std::string(long_names_index) + ".mailsync-tmp");
    {
        FileDescriptor fd = create_file(staging);
        FileWriter writer(fd.get(), staging);
        writer.write("# mailbox file names shortened by mailsync export: short name, tab, full name (percent-encoded)\n");
        for (const auto& [short_name, full] : names) writer.write(short_name + "\t" + full + "\n");
        writer.flush();
        store::sync_file(fd.get(), staging);
    }
    rename_file(staging, index);
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

std::uint64_t ExportReport::damaged() const {
    std::uint64_t total = 0;
    for (const auto& mailbox : mailboxes) total += mailbox.damaged.size();
    return total;
}

std::uint64_t ExportReport::headers_only() const {
    std::uint64_t total = 0;
    for (const auto& mailbox : mailboxes) total += mailbox.headers_only.size();
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

    ExportReport report;
    for (const auto& mailbox : selected) {
        report.mailboxes.push_back(options.format == ExportFormat::maildir ? export_maildir(store, mailbox, options, destination)
                                                                           : export_mbox(store, mailbox, destination));
        // Recorded as soon as the mailbox is there: an interrupted run leaves no unexplained name.
        if (report.mailboxes.back().shortened) record_long_names(destination, {report.mailboxes.back()});
    }
    return report;
}

}  // namespace mailsync::sync

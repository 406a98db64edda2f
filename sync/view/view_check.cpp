// `verify` of the Maildir view (check_maildir_view), what `status` shows of it, and the
// directories `watch` follows.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include <fmt/format.h>

#include "store/files.hpp"
#include "sync/server/mailbox_names.hpp"
#include "sync/view/maildir_names.hpp"
#include "sync/view/maildir_view.hpp"
#include "sync/view/view_model.hpp"

namespace mailsync::sync {
namespace fs = std::filesystem;
namespace {

std::optional<store::BodyHash> hash_of_file(const fs::path& file) {
    store::FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    store::Sha256 hasher;
    std::string buffer(64 * 1024, '\0');
    for (;;) {
        const ssize_t count = ::read(fd.get(), buffer.data(), buffer.size());
        if (count < 0 && errno == EINTR) continue;
        if (count < 0) return std::nullopt;
        if (count == 0) break;
        hasher.update(std::string_view(buffer.data(), static_cast<std::size_t>(count)));
    }
    return hasher.finish();
}

}  // namespace

ViewCheck check_maildir_view(store::Store& store, const MaildirViewSettings& settings, bool rehash) {
    ViewCheck check;
    const auto absolute = [&](const std::string& relative) { return relative.empty() ? settings.root : settings.root / relative; };
    store.read([&](const store::ReadTxn& txn) {
        if (!view_state_matches(txn.view_state(), settings)) {
            check.out_of_date.push_back(fmt::format("no view has been written in {} ({}) yet: the next sync writes it",
                                                    settings.root.string(), to_string(settings.layout)));
            return;
        }
        const std::string host_part = maildir_host_part(settings.host);
        std::map<store::MessageId, store::ViewFileRecord> files;
        for (auto& file : txn.view_files()) files.emplace(file.message, std::move(file));
        for (const auto& mailbox : txn.mailboxes()) {
            if (!in_view(mailbox)) continue;
            const std::string folder = maildir_folder(mailbox.name, mailbox.delimiter, settings.layout);
            const auto folder_record = txn.view_folder(mailbox.id);
            if (!folder_record || folder_record->path != folder || !fs::is_directory(absolute(folder) / "cur")) {
                check.out_of_date.push_back(fmt::format("mailbox {}: no folder {} yet", quoted_display_name(mailbox.name), absolute(folder).string()));
            }
            txn.for_each_message(mailbox.id, [&](const store::MessageRecord& message) {
                if (message.deleted_on_server || message.partial) return;   // partial: not in the view
                const auto found = files.find(message.id);
                const std::string wanted = folder_file_path(folder, view_file_name(message, host_part));
                if (found == files.end()) {
                    check.out_of_date.push_back(fmt::format("message {} in {}: no file yet", message.id, quoted_display_name(mailbox.name)));
                    return;
                }
                const store::ViewFileRecord file = found->second;
                files.erase(found);
                if (file.path != wanted) {
                    check.out_of_date.push_back(fmt::format("message {}: {} is to become {}", message.id, file.path, wanted));
                }
                const fs::path path = absolute(file.path);
                struct stat status {};
                if (::lstat(path.c_str(), &status) != 0) {
                    check.out_of_date.push_back(fmt::format("message {}: {} was removed by a client", message.id, path.string()));
                    return;
                }
                // A file a client wrote (the scan queued its append) keeps the client's bytes and
                // mode until the update after its replay puts the stored body in its place: an
                // interrupted sync leaves it so, which is not damage.
                if (parse_maildir_file_name(path.filename().string()).id != message.id) {
                    check.out_of_date.push_back(fmt::format("message {}: {} is still the client's file; the next sync puts the "
                                                            "stored body in its place", message.id, path.string()));
                    return;
                }
                if (!S_ISREG(status.st_mode) || static_cast<std::uint64_t>(status.st_size) != message.size) {
                    check.damage.push_back(fmt::format("{}: not the {} bytes of message {}", path.string(), message.size, message.id));
                    return;
                }
                if ((status.st_mode & 0222) != 0) {
                    check.damage.push_back(fmt::format("{}: writable; a view file is read-only (0400)", path.string()));
                }
                if (rehash && hash_of_file(path) != message.body_hash) {
                    check.damage.push_back(fmt::format("{}: its bytes are not those of message {}", path.string(), message.id));
                }
            });
        }
        for (const auto& [id, file] : files) {
            check.out_of_date.push_back(fmt::format("{}: message {} is no longer in the mirror", absolute(file.path).string(), id));
        }
    });
    return check;
}

std::vector<fs::path> maildir_view_directories(store::Store& store, const MaildirViewSettings& settings) {
    return store.read([&](const store::ReadTxn& txn) {
        std::vector<fs::path> directories;
        if (!view_state_matches(txn.view_state(), settings)) return directories;
        directories.push_back(settings.root);
        for (const auto& folder : txn.view_folders()) {
            const fs::path path = folder.path.empty() ? settings.root : settings.root / folder.path;
            if (!folder.path.empty()) directories.push_back(path);
            directories.push_back(path / "cur");
            directories.push_back(path / "new");
        }
        return directories;
    });
}

ViewStatus maildir_view_status(store::Store& store, const MaildirViewSettings& settings) {
    return store.read([&](const store::ReadTxn& txn) {
        ViewStatus status;
        const auto state = txn.view_state();
        if (!view_state_matches(state, settings)) return status;
        status.written = true;
        status.copies = state->copies;
        status.problems = state->problems;
        status.updated = state->updated;
        status.files = txn.view_files().size();
        return status;
    });
}

}  // namespace mailsync::sync

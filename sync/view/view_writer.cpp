// Mirror → Maildir view: update_maildir_view and rebuild_maildir_view (README "Mirror → view").
// Every file-system step comes first and its record after it; each step is atomic and its result
// deterministic (the names come from the mirror), so a run interrupted anywhere is finished by the
// next one.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/files.hpp"
#include "sync/view/maildir_view.hpp"
#include "sync/view/view_files.hpp"
#include "sync/view/view_model.hpp"

namespace mailsync::sync {
namespace fs = std::filesystem;
namespace {

using store::MailboxId;
using store::MailboxRecord;
using store::MessageId;
using store::MessageRecord;
using store::ViewFileRecord;
using store::ViewFolderRecord;

// Removes every file of ours (a name with the view's identity) under ROOT's cur/ and new/
// directories: a fresh view must not find stale copies of itself. Files clients wrote stay.
void remove_files_of_ours(const fs::path& root) {
    std::error_code error;
    if (!fs::exists(root, error)) return;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        if (!it->is_regular_file(error)) continue;
        const std::string directory = it->path().parent_path().filename().string();
        if (directory != "cur" && directory != "new") continue;
        if (parse_maildir_file_name(it->path().filename().string()).id) unlink_if_present(it->path());
    }
    if (error) store::throw_io("list", root);
}

class ViewWriter {
public:
    ViewWriter(store::Store& store, const MaildirViewSettings& settings)
        : store_(store), settings_(settings), host_part_(maildir_host_part(settings.host)) {}

    ViewUpdateReport run(bool rebuild) {
        start(rebuild);
        const auto folders = update_folders();
        for (const auto& [mailbox, folder] : folders) update_messages(mailbox, folder);
        remove_stale_files();
        remove_stale_folders(folders);
        for (const fs::path& directory : touched_) store::sync_directory(directory);
        finish();
        return report_;
    }

private:
    fs::path absolute(const std::string& relative) const { return relative.empty() ? settings_.root : settings_.root / relative; }

    void start(bool rebuild) {
        store::make_private_directory(settings_.root);
        const auto state = store_.read([](const store::ReadTxn& txn) { return txn.view_state(); });
        if (rebuild || !view_state_matches(state, settings_)) {
            remove_files_of_ours(settings_.root);
            store_.write([](store::WriteTxn& txn) { txn.clear_view(); });
            report_.started_afresh = true;
            return;
        }
        problems_ = state->problems;
        recorded_state_ = state;
        store_.read([&](const store::ReadTxn& txn) {
            for (auto& file : txn.view_files()) files_.emplace(file.message, std::move(file));
            for (auto& folder : txn.view_folders()) folders_.emplace(folder.mailbox, std::move(folder));
        });
    }

    // Creates and renames folders; returns the view's mailboxes with their folder paths, parents first.
    std::vector<std::pair<MailboxRecord, std::string>> update_folders() {
        std::vector<std::pair<MailboxRecord, std::string>> wanted;
        for (auto& mailbox : store_.read([](const store::ReadTxn& txn) { return txn.mailboxes(); })) {
            if (!in_view(mailbox)) continue;
            std::string folder = maildir_folder(mailbox.name, mailbox.delimiter, settings_.layout);
            wanted.emplace_back(std::move(mailbox), std::move(folder));
        }
        std::sort(wanted.begin(), wanted.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
        std::set<MessageId> moved_files;
        std::vector<MailboxId> changed_folders;
        for (const auto& [mailbox, path] : wanted) {
            auto known = folders_.find(mailbox.id);
            if (known != folders_.end() && known->second.path != path) {
                const fs::path from = absolute(known->second.path), to = absolute(path);
                if (fs::exists(from) && !fs::exists(to)) {
                    store::make_private_directory(to.parent_path());
                    rename_if_present(from, to);
                    touched_.insert(from.parent_path());
                    touched_.insert(to.parent_path());
                    rewrite_prefix(known->second.path, path, moved_files);
                    ++report_.folders_renamed;
                }
            } else if (known == folders_.end()) {
                ++report_.folders_created;
            }
            make_maildir(absolute(path));
            const ViewFolderRecord record{mailbox.id, path, inode_of(absolute(path)).value_or(0)};
            if (known == folders_.end() || known->second != record) changed_folders.push_back(mailbox.id);
            folders_[mailbox.id] = record;
        }
        // A no-op sync writes nothing (no commit, no fsync): only the records that changed.
        if (!changed_folders.empty() || !moved_files.empty())
            store_.write([&](store::WriteTxn& txn) {
                for (MailboxId id : changed_folders) txn.put_view_folder(folders_.at(id));
                for (MessageId id : moved_files) txn.put_view_file(files_.at(id));
            });
        return wanted;
    }

    // A folder renamed from OLD to NEW took everything below it along: the records follow.
    void rewrite_prefix(const std::string& old_path, const std::string& new_path, std::set<MessageId>& moved_files) {
        const std::string prefix = old_path + "/";
        for (auto& [mailbox, folder] : folders_) {
            if (folder.path.starts_with(prefix)) folder.path = new_path + "/" + folder.path.substr(prefix.size());
        }
        for (auto& [id, file] : files_) {
            if (!file.path.starts_with(prefix)) continue;
            file.path = new_path + "/" + file.path.substr(prefix.size());
            moved_files.insert(id);
        }
    }

    void update_messages(const MailboxRecord& mailbox, const std::string& folder) {
        std::vector<ViewFileRecord> changed;
        std::vector<MessageRecord> to_place;
        store_.read([&](const store::ReadTxn& txn) {
            txn.for_each_message(mailbox.id, [&](const MessageRecord& message) {
                // A partial message (headers only) has no file until its body is downloaded: a mail
                // client would take the header file for the whole message (sync/view/README.md).
                if (message.deleted_on_server || message.partial) return;
                seen_.insert(message.id);
                const std::string name = view_file_name(message, host_part_);
                const std::string path = folder_file_path(folder, name);
                const auto known = files_.find(message.id);
                if (known != files_.end() && known->second.path == path) return;
                to_place.push_back(message);
            });
        });
        for (const MessageRecord& message : to_place) {
            const std::string name = view_file_name(message, host_part_);
            ViewFileRecord record{message.id, mailbox.id, folder_file_path(folder, name), maildir_info(message.flags), message.uid, 0, true};
            const auto known = files_.find(message.id);
            PlacedFile kept;
            if (known != files_.end()) {
                kept = PlacedFile{known->second.inode, known->second.linked};
                // A file a client wrote (an append, recorded by the scan) becomes the body itself first,
                // in place, so that each step is one rename and the name always says whose file it is.
                if (!kept.linked && fs::exists(absolute(known->second.path)))
                    kept = place_message_file(store_, message, absolute(known->second.path));
            }
            if (known != files_.end() && rename_if_present(absolute(known->second.path), absolute(record.path))) {
                record.inode = kept.inode;
                record.linked = kept.linked;
                touched_.insert(absolute(known->second.path).parent_path());
                ++report_.renamed;
            } else if (known != files_.end() && settings_.two_way) {
                continue;   // a client renamed or removed it: the next scan says what that meant
            } else {
                const PlacedFile placed = place_message_file(store_, message, absolute(record.path));
                record.inode = placed.inode;
                record.linked = placed.linked;
                ++report_.created;
            }
            touched_.insert(absolute(record.path).parent_path());
            changed.push_back(record);
            files_[message.id] = std::move(record);
        }
        if (changed.empty()) return;
        store_.write([&](store::WriteTxn& txn) {
            for (const auto& record : changed) txn.put_view_file(record);
        });
    }

    void remove_stale_files() {
        std::vector<MessageId> gone;
        for (const auto& [id, file] : files_) {
            if (seen_.contains(id)) continue;
            // (A file a client renamed meanwhile stays: the next scan finds a file of a message the
            // mirror no longer has, and the delete wins or a move re-uploads it.)
            if (unlink_if_present(absolute(file.path))) ++report_.removed;
            touched_.insert(absolute(file.path).parent_path());
            gone.push_back(id);
        }
        if (gone.empty()) return;
        store_.write([&](store::WriteTxn& txn) {
            for (MessageId id : gone) txn.remove_view_file(id);
        });
        for (MessageId id : gone) files_.erase(id);
    }

    void remove_stale_folders(const std::vector<std::pair<MailboxRecord, std::string>>& wanted) {
        std::set<MailboxId> kept;
        for (const auto& [mailbox, path] : wanted) kept.insert(mailbox.id);
        std::vector<ViewFolderRecord> stale;
        for (const auto& [id, folder] : folders_) {
            if (!kept.contains(id)) stale.push_back(folder);
        }
        // Deepest first, so that a parent folder is empty when its turn comes.
        std::sort(stale.begin(), stale.end(), [](const auto& a, const auto& b) { return a.path > b.path; });
        for (const auto& folder : stale) {
            if (remove_empty_maildir(absolute(folder.path))) {
                ++report_.folders_removed;
            } else {
                report_.notes.push_back(fmt::format("folder {}: its mailbox is gone from the mirror; the directory is kept "
                                                    "because it still holds files or folders mailsync did not write",
                                                    absolute(folder.path).string()));
            }
        }
        if (stale.empty()) return;
        store_.write([&](store::WriteTxn& txn) {
            for (const auto& folder : stale) txn.remove_view_folder(folder.mailbox);
        });
    }

    void finish() {
        store::ViewStateRecord state{settings_.root.string(), std::string(to_string(settings_.layout)), problems_, 0, unix_time_now()};
        state.copies = static_cast<std::uint64_t>(
            std::count_if(files_.begin(), files_.end(), [](const auto& entry) { return !entry.second.linked; }));
        report_.copies = state.copies;
        // `updated` is when the view last changed: an update that changed nothing writes nothing.
        if (recorded_state_ && report_.changes() == 0 && recorded_state_->problems == state.problems &&
            recorded_state_->copies == state.copies)
            return;
        store_.write([&](store::WriteTxn& txn) { txn.put_view_state(state); });
    }

    store::Store& store_;
    const MaildirViewSettings& settings_;
    const std::string host_part_;
    std::map<MessageId, ViewFileRecord> files_;
    std::map<MailboxId, ViewFolderRecord> folders_;
    std::set<MessageId> seen_;
    std::set<fs::path> touched_;
    std::vector<std::string> problems_;
    std::optional<store::ViewStateRecord> recorded_state_;   // as start() found it (none: a fresh view)
    ViewUpdateReport report_;
};

}  // namespace

ViewUpdateReport update_maildir_view(store::Store& store, const MaildirViewSettings& settings) {
    return ViewWriter(store, settings).run(false);
}

ViewUpdateReport rebuild_maildir_view(store::Store& store, const MaildirViewSettings& settings) {
    return ViewWriter(store, settings).run(true);
}

}  // namespace mailsync::sync

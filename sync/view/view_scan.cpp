// Maildir view → queued changes: scan_maildir_view (README "View → queue"). The files are compared
// with the view's records of what it last wrote; each difference becomes the change the matching
// command makes (sync/local/), and the record of the new state is written by that command's own
// transaction (AlsoInTransaction), so a crash leaves the change and its record together or neither.
// A difference the mirror already reflects (an update interrupted before its record) is only
// recorded: a rescan never queues a change twice.
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/inbox.hpp"
#include "sync/local/local_changes.hpp"
#include "sync/server/mailbox_names.hpp"
#include "sync/view/maildir_view.hpp"
#include "sync/view/view_files.hpp"
#include "sync/view/view_model.hpp"
#include "sync/view/view_tree.hpp"

namespace mailsync::sync {
namespace fs = std::filesystem;
namespace {

using store::MailboxId;
using store::MessageId;
using store::ViewFileRecord;
using store::ViewFolderRecord;

// A file found in a folder of the view.
struct SeenFile {
    FoundFile file;
    MailboxId mailbox = 0;
    MaildirFileName name;
};

// The letters of `to` that `from` lacks, as flags.
std::vector<std::string> letters_added(const std::string& from, const std::string& to) {
    std::string added;
    for (char letter : to)
        if (from.find(letter) == std::string::npos) added.push_back(letter);
    return flags_of_maildir_info(added);
}

class ViewScanner {
public:
    ViewScanner(store::Store& store, const MaildirViewSettings& settings, store::UnixTime now)
        : store_(store), settings_(settings), now_(now) {}

    ViewScanReport run() {
        const auto state = store_.read([&](const store::ReadTxn& txn) {
            for (auto& file : txn.view_files()) files_.emplace(file.message, std::move(file));
            for (auto& folder : txn.view_folders()) folders_.emplace(folder.mailbox, std::move(folder));
            delimiter_ = account_delimiter(txn);
            return txn.view_state();
        });
        if (!view_state_matches(state, settings_)) return report_;   // nothing written yet: nothing to compare
        report_.scanned = true;
        if (view_is_missing()) {
            save_problems(*state);
            return report_;
        }
        const auto present = find_maildir_folders(settings_.root, settings_.layout);
        std::map<std::string, std::uint64_t> folders_present;
        for (const auto& folder : present) folders_present.emplace(folder.path, folder.inode);
        rename_folders(folders_present);
        create_folders(folders_present);
        scan_files(folders_present);
        remove_folders(folders_present);
        save_problems(*state);
        return report_;
    }

private:
    fs::path absolute(const std::string& relative) const { return relative.empty() ? settings_.root : settings_.root / relative; }
    void problem(std::string text) { report_.problems.push_back(std::move(text)); }

    std::optional<store::MailboxRecord> mailbox(MailboxId id) {
        return store_.read([&](const store::ReadTxn& txn) { return txn.mailbox(id); });
    }
    std::string name_of(MailboxId id) {
        const auto record = mailbox(id);
        return record ? mailbox_display_name(record->name) : std::string();
    }
    std::optional<store::MessageRecord> message(MessageId id) {
        auto record = store_.read([&](const store::ReadTxn& txn) { return txn.message(id); });
        if (record && record->deleted_on_server) record.reset();
        return record;
    }

    // An unmounted disk or a mistyped path must not read as "every message was deleted".
    bool view_is_missing() {
        const auto inbox = store_.read([&](const store::ReadTxn& txn) {
            for (const auto& mailbox : txn.mailboxes())
                if (is_inbox(mailbox.name)) return std::optional<MailboxId>(mailbox.id);
            return std::optional<MailboxId>();
        });
        const auto folder = inbox ? folders_.find(*inbox) : folders_.end();
        const bool missing = !fs::is_directory(settings_.root) ||
                             (folder != folders_.end() && !fs::is_directory(absolute(folder->second.path) / "cur"));
        report_.view_missing = missing;
        if (missing)
            problem(fmt::format("the view {} (or its INBOX folder) is missing: nothing was read from it, nothing deleted; "
                                "`mailsync view --rebuild` writes it again",
                                settings_.root.string()));
        return missing;
    }

    // ---- folders

    // A folder whose directory is gone while an unknown one has its inode was renamed by a client.
    void rename_folders(const std::map<std::string, std::uint64_t>& present) {
        std::vector<MailboxId> missing;
        for (const auto& [id, folder] : folders_)
            if (!present.contains(folder.path)) missing.push_back(id);
        std::sort(missing.begin(), missing.end(), [&](MailboxId a, MailboxId b) { return folders_[a].path < folders_[b].path; });
        for (MailboxId id : missing) {
            const ViewFolderRecord folder = folders_.at(id);
            if (present.contains(folder.path) || folder.inode == 0) continue;   // followed its parent, or unknown
            const auto target = std::find_if(present.begin(), present.end(), [&](const auto& entry) {
                return entry.second == folder.inode && !is_claimed(entry.first);
            });
            if (target == present.end()) continue;   // removed: after the files (remove_folders)
            const auto new_name = mailbox_of_maildir_folder(target->first, delimiter_, settings_.layout);
            if (!new_name) {
                problem(fmt::format("folder {}: not a folder name of the {} layout; left alone", target->first, to_string(settings_.layout)));
                continue;
            }
            auto folders = folders_;
            auto files = files_;
            rewrite_prefix(folder.path, target->first, folders, files);
            folders.at(id).path = target->first;
            try {
                rename_mailbox(store_, name_of(id), *new_name, now_, [&](store::WriteTxn& txn, const LocalChangeResult&) {
                    for (const auto& [mailbox, record] : folders) txn.put_view_folder(record);
                    for (const auto& [message, record] : files) txn.put_view_file(record);
                });
            } catch (const Error& error) {
                problem(fmt::format("folder {} renamed to {}: {}; left alone", folder.path, target->first, error.what()));
                continue;
            }
            folders_ = std::move(folders);
            files_ = std::move(files);
            ++report_.folders_renamed;
        }
    }

    static void rewrite_prefix(const std::string& from, const std::string& to, std::map<MailboxId, ViewFolderRecord>& folders,
                               std::map<MessageId, ViewFileRecord>& files) {
        const std::string prefix = from.empty() ? std::string() : from + "/";
        for (auto& [id, folder] : folders)
            if (!from.empty() && folder.path.starts_with(prefix)) folder.path = to + "/" + folder.path.substr(prefix.size());
        for (auto& [id, file] : files)
            if (file.path.starts_with(prefix)) file.path = (to.empty() ? "" : to + "/") + file.path.substr(prefix.size());
    }

    bool is_claimed(const std::string& path) const {
        return std::any_of(folders_.begin(), folders_.end(), [&](const auto& entry) { return entry.second.path == path; });
    }

    // A folder no record knows: a client made it (or the mirror has the mailbox and the update has
    // not written its folder yet: then it is only recorded).
    void create_folders(const std::map<std::string, std::uint64_t>& present) {
        for (const auto& [path, inode] : present) {
            if (is_claimed(path)) continue;
            const auto name = mailbox_of_maildir_folder(path, delimiter_, settings_.layout);
            if (!name) {
                problem(fmt::format("folder {}: not a folder name of the {} layout; left alone", path, to_string(settings_.layout)));
                continue;
            }
            const ViewFolderRecord record{0, path, inode};
            const auto existing = store_.read([&](const store::ReadTxn& txn) { return find_mailbox(txn, *name); });
            if (existing && !folders_.contains(existing->id)) {
                ViewFolderRecord adopted = record;
                adopted.mailbox = existing->id;
                store_.write([&](store::WriteTxn& txn) { txn.put_view_folder(adopted); });
                folders_[adopted.mailbox] = adopted;
                ++report_.adopted;
                continue;
            }
            try {
                const auto made = make_mailbox(store_, *name, now_, [&](store::WriteTxn& txn, const LocalChangeResult& result) {
                    ViewFolderRecord made_record = record;
                    made_record.mailbox = result.mailbox;
                    txn.put_view_folder(made_record);
                });
                folders_[made.mailbox] = ViewFolderRecord{made.mailbox, path, inode};
                ++report_.folders_created;
            } catch (const Error& error) {
                problem(fmt::format("folder {}: {}; left alone", path, error.what()));
            }
        }
    }

    // A folder whose directory is gone (not renamed): its messages were deleted above; the mailbox goes.
    void remove_folders(const std::map<std::string, std::uint64_t>& present) {
        std::vector<ViewFolderRecord> gone;
        for (const auto& [id, folder] : folders_)
            if (!present.contains(folder.path)) gone.push_back(folder);
        std::sort(gone.begin(), gone.end(), [](const auto& a, const auto& b) { return a.path > b.path; });
        for (const auto& folder : gone) {
            if (!mailbox(folder.mailbox)) {
                store_.write([&](store::WriteTxn& txn) { txn.remove_view_folder(folder.mailbox); });
                continue;
            }
            try {
                remove_mailbox(store_, name_of(folder.mailbox), now_,
                               [&](store::WriteTxn& txn, const LocalChangeResult&) { txn.remove_view_folder(folder.mailbox); });
                ++report_.folders_removed;
            } catch (const Error& error) {
                problem(fmt::format("folder {} was removed, but the mailbox stays: {}; the next update writes the folder again",
                                    folder.path, error.what()));
            }
        }
    }

    // ---- files

    void scan_files(const std::map<std::string, std::uint64_t>& present) {
        std::map<std::string, MessageId> recorded;
        for (const auto& [id, file] : files_) recorded.emplace(file.path, id);
        std::set<MessageId> matched;
        std::vector<SeenFile> unmatched;
        for (const auto& [mailbox, folder] : folders_) {
            if (!present.contains(folder.path)) continue;
            for (FoundFile& file : list_message_files(settings_.root, folder.path)) {
                if (const auto known = recorded.find(file.path); known != recorded.end()) {
                    matched.insert(known->second);
                    continue;
                }
                MaildirFileName name = parse_maildir_file_name(file.name);
                unmatched.push_back(SeenFile{std::move(file), mailbox, std::move(name)});
            }
        }
        std::set<MessageId> missing;
        std::multimap<std::uint64_t, MessageId> missing_by_inode;
        for (const auto& [id, file] : files_) {
            if (matched.contains(id)) continue;
            missing.insert(id);
            missing_by_inode.emplace(file.inode, id);
        }
        // A file whose record is missing is that message renamed; when several claim it (renamed,
        // and linked elsewhere too), the one in the record's folder is the rename, the others copies.
        const auto identity = [&](const SeenFile& seen) {
            std::optional<MessageId> id = seen.name.id;
            if (id && !files_.contains(*id)) id.reset();   // our shape, but no record: a file like ours from elsewhere
            if (!id && missing_by_inode.count(seen.file.inode) == 1) id = missing_by_inode.find(seen.file.inode)->second;
            return id;
        };
        std::stable_partition(unmatched.begin(), unmatched.end(), [&](const SeenFile& seen) {
            const auto id = identity(seen);
            return id && files_.at(*id).mailbox == seen.mailbox;
        });
        std::vector<std::pair<SeenFile, MessageId>> paired, copies;
        std::vector<SeenFile> fresh;
        std::map<MessageId, MailboxId> placed;   // where each message's own file is now
        for (const auto& [id, file] : files_)
            if (matched.contains(id)) placed[id] = file.mailbox;
        for (SeenFile& seen : unmatched) {
            const std::optional<MessageId> id = identity(seen);
            if (id && missing.erase(*id) == 1) {
                placed[*id] = seen.mailbox;
                paired.emplace_back(std::move(seen), *id);
            } else if (id && placed.contains(*id) && placed.at(*id) != seen.mailbox) {
                copies.emplace_back(std::move(seen), *id);
            } else {
                fresh.push_back(std::move(seen));
            }
        }
        for (const auto& [seen, id] : paired) renamed_file(seen, files_.at(id));
        for (const auto& [seen, id] : copies) copied_file(seen, id);
        for (const auto& seen : fresh) {
            if (!adopt_unrecorded(seen)) new_file(seen);
        }
        for (MessageId id : missing) removed_file(files_.at(id));
    }

    // A file of ours renamed: other info letters (flags), another folder (move), or both.
    void renamed_file(const SeenFile& seen, const ViewFileRecord& record) {
        const auto current = message(record.message);
        if (!current) {
            if (seen.mailbox == record.mailbox) {
                // Flags changed on a message the mirror no longer has: the delete wins.
                unlink_if_present(absolute(seen.file.path));
                store_.write([&](store::WriteTxn& txn) { txn.remove_view_file(record.message); });
            } else {
                // Moved by a client after the server expunged it: the user meant to keep it.
                store_.write([&](store::WriteTxn& txn) { txn.remove_view_file(record.message); });
                new_file(seen);
            }
            return;
        }
        ViewFileRecord next = record;
        next.path = seen.file.path;
        next.inode = seen.file.inode;
        MailboxId where = current->mailbox;
        bool recorded = false;
        if (seen.mailbox != where && seen.mailbox != record.mailbox) {
            next.mailbox = seen.mailbox;   // info stays the old one until the flag change below is queued
            if (try_change("move", seen, [&](const AlsoInTransaction& also) {
                    move_messages(store_, name_of(where), std::vector<MessageId>{record.message}, name_of(seen.mailbox), now_, also);
                }, next)) {
                ++report_.moves;
                where = seen.mailbox;
                recorded = true;
            } else {
                return;
            }
        } else {
            next.mailbox = seen.mailbox == where ? where : record.mailbox;   // else the server moved it: the update follows
        }
        record_flag_change(seen, next, record.info, where, recorded);
    }

    // The info letters of the file against the letters recorded: the flags the client changed.
    void record_flag_change(const SeenFile& seen, ViewFileRecord next, const std::string& recorded_info, MailboxId where,
                            bool recorded) {
        next.info = normalized_maildir_info(seen.name.info);
        const auto add = letters_added(recorded_info, next.info);
        const auto remove = letters_added(next.info, recorded_info);
        if (add.empty() && remove.empty()) {
            if (!recorded) {
                store_.write([&](store::WriteTxn& txn) { txn.put_view_file(next); });
                files_[next.message] = next;
                ++report_.adopted;
            }
            return;
        }
        std::size_t queued = 0;
        if (try_change("flag change", seen, [&](const AlsoInTransaction& also) {
                queued = change_flags(store_, name_of(where), std::vector<MessageId>{next.message}, add, remove, now_, also)
                             .queue_entries.size();
            }, next)) {
            if (queued > 0) ++report_.flags;
            else ++report_.adopted;   // the mirror had these flags already
        }
    }

    // The same message linked (or copied) into another folder: a copy there.
    void copied_file(const SeenFile& seen, MessageId source) {
        const auto original = message(source);
        if (!original) return new_file(seen);
        ViewFileRecord copy{0, seen.mailbox, seen.file.path, maildir_info(original->flags), std::nullopt, seen.file.inode,
                            seen.file.inode == files_.at(source).inode && files_.at(source).linked};
        MessageId made = 0;
        if (!try_change("copy", seen, [&](const AlsoInTransaction& also) {
                copy_messages(store_, name_of(original->mailbox), std::vector<MessageId>{source}, name_of(seen.mailbox), now_,
                              [&](store::WriteTxn& txn, const LocalChangeResult& result) {
                                  made = result.messages.at(0);
                                  ViewFileRecord record = copy;
                                  record.message = made;
                                  txn.put_view_file(record);
                                  if (also) also(txn, result);
                              });
            }, std::nullopt)) {
            return;
        }
        ++report_.copies;
        copy.message = made;
        files_[made] = copy;
        record_flag_change(seen, copy, copy.info, seen.mailbox, true);
    }

    // A file of ours that the update wrote just before a crash, so that no record names it: the
    // mirror has that message in this folder. It is recorded as written with the mirror's flags; a
    // difference of its letters is a client's change.
    bool adopt_unrecorded(const SeenFile& seen) {
        if (!seen.name.id || files_.contains(*seen.name.id)) return false;
        const auto current = message(*seen.name.id);
        if (!current || current->mailbox != seen.mailbox) return false;
        const ViewFileRecord record{current->id, seen.mailbox, seen.file.path, maildir_info(current->flags), current->uid,
                                    seen.file.inode, true};
        record_flag_change(seen, record, record.info, seen.mailbox, false);
        return true;
    }

    // A file no record knows: a client's new message (a draft, a sent copy, an import).
    void new_file(const SeenFile& seen) {
        const fs::path path = absolute(seen.file.path);
        struct stat status {};
        if (::stat(path.c_str(), &status) != 0) return;   // gone meanwhile
        AppendRequest request;
        request.mailbox = name_of(seen.mailbox);
        request.file = path;
        request.flags = flags_of_maildir_info(seen.name.info);
        request.internaldate = status.st_mtim.tv_sec;
        const std::string info = normalized_maildir_info(seen.name.info);
        try {
            append_message(store_, request, now_, [&](store::WriteTxn& txn, const LocalChangeResult& result) {
                const MessageId id = result.messages.at(0);
                txn.put_view_file(ViewFileRecord{id, seen.mailbox, seen.file.path, info, std::nullopt, seen.file.inode, false});
            });
            ++report_.appends;
        } catch (const Error& error) {
            problem(fmt::format("{}: {}; left alone", path.string(), error.what()));
        }
    }

    // A file of ours that is gone: the client deleted (expunged) the message.
    void removed_file(const ViewFileRecord& record) {
        const auto current = message(record.message);
        if (!current) {
            store_.write([&](store::WriteTxn& txn) { txn.remove_view_file(record.message); });
            return;
        }
        SeenFile none;
        none.file.path = record.path;
        if (try_change("delete", none, [&](const AlsoInTransaction& also) {
                delete_messages(store_, name_of(current->mailbox), std::vector<MessageId>{record.message}, now_, also);
            }, std::nullopt, record.message)) {
            ++report_.deletes;
        }
    }

    // Runs one local change with the record written in its transaction (`next`; or the record of
    // `removed` removed); a refusal is a problem and the file is left alone.
    template <class Change>
    bool try_change(std::string_view what, const SeenFile& seen, Change&& change, const std::optional<ViewFileRecord>& next,
                    MessageId removed = 0) {
        try {
            change([&](store::WriteTxn& txn, const LocalChangeResult&) {
                if (next) txn.put_view_file(*next);
                if (removed != 0) txn.remove_view_file(removed);
            });
        } catch (const Error& error) {
            problem(fmt::format("{}: the {} was refused: {}; left alone", absolute(seen.file.path).string(), what, error.what()));
            return false;
        }
        if (next) files_[next->message] = *next;
        if (removed != 0) files_.erase(removed);
        return true;
    }

    // Only when they changed: a scan that finds nothing new writes nothing (no commit, no fsync).
    void save_problems(store::ViewStateRecord state) {
        if (state.problems == report_.problems) return;
        state.problems = report_.problems;
        store_.write([&](store::WriteTxn& txn) { txn.put_view_state(state); });
    }

    store::Store& store_;
    const MaildirViewSettings& settings_;
    const store::UnixTime now_;
    std::map<MessageId, ViewFileRecord> files_;
    std::map<MailboxId, ViewFolderRecord> folders_;
    std::string delimiter_;
    ViewScanReport report_;
};

}  // namespace

ViewScanReport scan_maildir_view(store::Store& store, const MaildirViewSettings& settings, store::UnixTime now) {
    return ViewScanner(store, settings, now).run();
}

}  // namespace mailsync::sync

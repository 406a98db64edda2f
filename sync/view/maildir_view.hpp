// The two-way Maildir view of an account (sync/view/README.md has the design and the rules):
// files → queued changes at the start of each sync (scan_maildir_view), mirror → files after it
// (update_maildir_view), from scratch on `view --rebuild` (rebuild_maildir_view), and checked by
// `verify` (check_maildir_view).
//
// The store must be open exclusive (the view is written by the one process that syncs the
// account). Errors: Error(cannot_create) when the root or a folder cannot be made, Error(io) for
// other failed file operations (naming the path).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "sync/view/maildir_names.hpp"

namespace mailsync::sync {

struct MaildirViewSettings {
    std::filesystem::path root;
    MaildirLayout layout = MaildirLayout::verbatim;
    std::string host;   // this machine's name, part of every file name
    // Two-way: clients' changes are scanned before each sync, so a file of ours that a client
    // renamed or removed is left for the next scan (never written again beside it). One-way (pull
    // and backup modes): the view only follows the mirror, and such a file is written again.
    bool two_way = true;
};

struct ViewUpdateReport {
    std::uint64_t created = 0;    // files written (new messages)
    std::uint64_t renamed = 0;    // files renamed (flags, UID, a move)
    std::uint64_t removed = 0;    // files unlinked (gone from the mirror)
    std::uint64_t folders_created = 0, folders_renamed = 0, folders_removed = 0;
    std::uint64_t copies = 0;     // files of the whole view that are copies, not hard links
    bool started_afresh = false;  // no view was recorded for this root and layout (or --rebuild)
    std::vector<std::string> notes;   // e.g. a folder left in place because it holds other files
    std::uint64_t changes() const { return created + renamed + removed + folders_created + folders_renamed + folders_removed; }
};

ViewUpdateReport update_maildir_view(store::Store& store, const MaildirViewSettings& settings);
// Forgets what the view recorded and writes it again from the mirror. Files a client wrote are
// left alone; files of ours are renamed over or reused.
ViewUpdateReport rebuild_maildir_view(store::Store& store, const MaildirViewSettings& settings);

struct ViewCheck {
    std::vector<std::string> damage;      // a view file whose bytes are not its message's
    std::vector<std::string> out_of_date; // what the next sync will change (client edits, lag)
};
// Compares the view with the mirror: every selectable mailbox has its folder, every message its
// file with the name the mirror gives it, the bytes of each file are its body's (sizes; with
// rehash, SHA-256), and a linked file is read-only.
ViewCheck check_maildir_view(store::Store& store, const MaildirViewSettings& settings, bool rehash);

// What a scan found clients had done (README "View → queue"), each turned into the queued change
// the matching command makes.
struct ViewScanReport {
    bool scanned = false;          // false: no view recorded yet for this root and layout
    bool view_missing = false;     // the root or INBOX's folder is gone: nothing read, nothing queued;
                                   // the view must not be updated either (only rebuilt)
    std::uint64_t flags = 0, moves = 0, copies = 0, deletes = 0, appends = 0;
    std::uint64_t folders_created = 0, folders_renamed = 0, folders_removed = 0;
    std::uint64_t adopted = 0;     // files the mirror already agreed with (an interrupted update)
    std::vector<std::string> problems;   // what was left alone, and why (also kept for `status`)
    std::uint64_t changes() const {
        return flags + moves + copies + deletes + appends + folders_created + folders_renamed + folders_removed;
    }
};
// Turns what clients did in the view since it was last written into queued changes, through the
// same functions as the commands (sync/local/), each with the view's record of it in the same
// transaction. Refuses to act (a problem, nothing queued) when the root or INBOX's folder is gone:
// an unmounted disk must not become "delete every message".
ViewScanReport scan_maildir_view(store::Store& store, const MaildirViewSettings& settings, store::UnixTime now);

// The directories whose changes mean a client changed the view (the root, each folder, its cur/
// and new/), for `watch`'s inotify. Empty when no view was written for these settings.
std::vector<std::filesystem::path> maildir_view_directories(store::Store& store, const MaildirViewSettings& settings);

// What `status` says of the view: the state the last update left.
struct ViewStatus {
    bool written = false;   // a view was written for this root and layout
    std::uint64_t files = 0;
    std::uint64_t copies = 0;
    std::vector<std::string> problems;   // files the last scan left alone, and why
    store::UnixTime updated = 0;
};
ViewStatus maildir_view_status(store::Store& store, const MaildirViewSettings& settings);

}  // namespace mailsync::sync

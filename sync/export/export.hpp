// `mailsync export`: the mirror written out in standard formats, incrementally, for backups.
//
// What is written
//   Maildir  DIR/<mailbox>/{cur,new,tmp}; one file per message in cur/, named
//            "<INTERNALDATE>.M<id>.mailsync-<tag>:2,<info>" (id: the store's local message id,
//            never reused; tag: the account name reduced to [A-Za-z0-9_-]); file mtime =
//            INTERNALDATE. Info letters: D \Draft, F \Flagged, P $Forwarded, R \Answered, S \Seen,
//            T \Deleted (other keywords are not represented). The file holds the message's exact
//            bytes (CRLF kept): a Maildir reader gets back exactly what the server sent.
//   mbox     DIR/<mailbox>, one mboxrd file per mailbox. Each message is
//              "From <sender> <INTERNALDATE in asctime format, UTC>" LF
//              "Status: O" or "Status: RO" (\Seen)                  + the message's line ending
//              "X-Status: <A \Answered, F \Flagged, T \Draft, D \Deleted>" + the same line ending
//              the message's exact bytes, lines matching ^>*From  quoted with one more '>'
//              a line ending if the message does not end with one, then an empty line (LF)
//            "Byte-identical" for mbox means: a reader that takes the bytes between From_ line and
//            separator (Python's mailbox.mbox get_bytes()), drops the two leading Status/X-Status
//            lines mailsync added and undoes the mboxrd quoting gets the server's bytes back
//            (except a message that does not end with a line break, which gets one).
//
// Mailbox names: sync/export/export_names.hpp (percent-encoded, reversible; a name too long for a
// file is shortened with a hash suffix, recorded, and reported).
//
// Incremental: one ExportStateRecord per (format, destination, mailbox) in the store records the
// highest message id written. A re-run writes only messages with a higher id (ids are never
// reused, so new mail always has one). Maildir: a message already present under its id is never
// written twice (a crash between the rename and the record is harmless) and its file name is
// renamed when its flags changed since. mbox: the record also holds the file's length after the
// last completed export; a re-run starts from that length, dropping what an interrupted run added.
//
// Atomic: every Maildir file is written to tmp/, fsynced, its mtime set, then renamed into cur/.
// An mbox file that grows is rebuilt beside itself (DIR/.<mailbox>.mailsync-tmp: a name no mailbox
// encodes to) from its committed prefix plus the new messages, fsynced, and renamed over it. A crash
// never leaves a partial file under a final name.
//
// Messages the server deleted that backup mode keeps are exported too.
//
// Damaged bodies: every body is hashed as it is read. A message whose body file is missing or does
// not have its SHA-256 is not written (its Maildir file is removed from tmp/, its mbox bytes cut
// off again), the others are; it is reported (MailboxExport::damaged), put on the store's damaged
// list so that the next sync fetches it again, and remembered in the export state so that a later
// run writes it once its body is sound.
//
// Headers first (sync/pull/body_rule.hpp): a partial message, whose body was never downloaded, is
// not written either (a header file would pass for the message in a backup); it is reported
// (MailboxExport::headers_only) and remembered like a damaged one, so that a later run writes it
// once `show` or `sync --bodies` has downloaded its body. It is no damage: nothing is marked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"
#include "store/store.hpp"
#include "sync/export/export_names.hpp"
#include "sync/export/mbox_format.hpp"
#include "sync/view/maildir_names.hpp"   // maildir_info: one letter table for export and the view

namespace mailsync::sync {

enum class ExportFormat { maildir, mbox };
std::string_view to_string(ExportFormat format);

struct ExportOptions {
    ExportFormat format = ExportFormat::maildir;
    std::filesystem::path destination;
    std::vector<std::string> mailboxes;   // exact names; empty: every mailbox of the store
    std::string tag;                      // the account name, part of Maildir file names
};

// A message left out because its body file is damaged or missing.
struct DamagedBody {
    store::MessageId id = 0;
    std::optional<store::Uid> uid;
    std::filesystem::path file;           // the body file
    bool missing = false;                 // else: present, with other bytes than its hash says
};

struct MailboxExport {
    std::string mailbox;
    std::filesystem::path path;           // the mailbox's directory or mbox file
    bool shortened = false;               // the name was too long for a file (export_names.hpp)
    std::vector<DamagedBody> damaged;     // not written by this run
    std::vector<store::MessageId> headers_only;   // not written: partial, the body not downloaded
    std::uint64_t written = 0;            // messages written by this run
    std::uint64_t renamed = 0;            // Maildir files renamed because their flags changed
    std::uint64_t bytes = 0;              // message bytes written by this run
};

struct ExportReport {
    std::vector<MailboxExport> mailboxes;
    std::uint64_t written() const;
    std::uint64_t renamed() const;
    std::uint64_t damaged() const;
    std::uint64_t headers_only() const;
};

// Exports the store's mailboxes. Error(cannot_create) when DIR or a file in it cannot be created,
// Error(bad_input) naming a mailbox the store does not have, Error(io) for failed reads and writes.
// A damaged or missing body is no error: it is in the report (the caller decides the exit code).
ExportReport export_mail(store::Store& store, const ExportOptions& options);

// The file in DIR that maps shortened mailbox file names back to the full names (one line each:
// the short name, a tab, the plain encoding of the full name).
inline constexpr const char* long_names_index = ".mailsync-long-names";

}  // namespace mailsync::sync

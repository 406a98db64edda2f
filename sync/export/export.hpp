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
// Mailbox names: the name as the server spells it (modified UTF-7 included), with '%', '/', bytes
// below 0x20, 0x7f and above, and a leading '.' percent-encoded (%2F ...): reversible, never "." or
// "..", never hidden. The hierarchy is flat: "Archive/2023" becomes "Archive%2F2023".
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

struct MailboxExport {
    std::string mailbox;
    std::filesystem::path path;           // the mailbox's directory or mbox file
    std::uint64_t written = 0;            // messages written by this run
    std::uint64_t renamed = 0;            // Maildir files renamed because their flags changed
    std::uint64_t bytes = 0;              // message bytes written by this run
};

struct ExportReport {
    std::vector<MailboxExport> mailboxes;
    std::uint64_t written() const;
    std::uint64_t renamed() const;
};

// Exports the store's mailboxes. Error(cannot_create) when DIR or a file in it cannot be created,
// Error(bad_input) naming a mailbox the store does not have, Error(io) for failed reads and writes
// (a missing body file included: run `mailsync verify`).
ExportReport export_mail(store::Store& store, const ExportOptions& options);

// ---- pieces, public for tests

// The file name a mailbox name is exported under, and back (nullopt: not one of ours).
std::string encode_mailbox_file_name(std::string_view mailbox);
std::optional<std::string> decode_mailbox_file_name(std::string_view file_name);

// The Maildir base name (without ":2,...") of a message, and the id back from a file name that
// export wrote with this tag (nullopt otherwise).
std::string maildir_base_name(const store::MessageRecord& message, std::string_view tag);
std::optional<store::MessageId> maildir_message_id(std::string_view file_name, std::string_view tag);

// "From sender Www Mmm dd hh:mm:ss yyyy\n".
std::string mbox_from_line(const store::MessageRecord& message);
// The Status: and X-Status: lines, each ending with `line_ending`.
std::string mbox_status_lines(const std::vector<std::string>& flags, std::string_view line_ending);

// Streams a message through mboxrd quoting: every line matching ^>*From  gets one more '>'.
// Memory is constant whatever the line lengths.
class MboxrdQuoter {
public:
    explicit MboxrdQuoter(std::function<void(std::string_view)> sink) : sink_(std::move(sink)) {}
    void write(std::string_view chunk);
    // Flushes what is held back; afterwards ends_with_newline() says how the message ended.
    void finish();
    bool ends_with_newline() const { return last_ == '\n'; }

private:
    void flush_prefix();
    void emit(std::string_view bytes);

    std::function<void(std::string_view)> sink_;
    bool at_line_start_ = true;
    std::uint64_t quotes_ = 0;   // '>' seen at the start of the current line
    std::size_t matched_ = 0;    // characters of "From " matched after them
    std::string buffer_;
    char last_ = '\n';
};

}  // namespace mailsync::sync

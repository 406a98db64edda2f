// What `mailsync restore` has uploaded into one target account, kept beside the source mirror so
// that a re-run uploads nothing twice and costs little, and an interrupted run resumes.
//
// One file per target account: <source store>/restore/<16 hex digits>.journal, the digits a
// SHA-256 of the target's identity ("user@host:port"), so that another target starts from nothing.
// Append-only text, one event per line, each written with one write(2) before the step it records
// goes on (a kill -9 cannot lose it; the file is fsynced at the end of each mailbox):
//
//   mailsync-restore-journal 1 <target identity, hex>
//   sending <uidvalidity> <message id> <target mailbox, hex>          before the APPEND is sent
//   placed <uidvalidity> <message id> <uid> <target mailbox, hex>     after its tagged OK (uid 0:
//                                                                     the server sent no APPENDUID)
//
// The message id is the source mirror's local id (never reused). A line cut short by a crash (no
// final newline) or one that does not parse is ignored.
//
// The journal is a cache of what is known, never the truth: the server is. A `placed` entry counts
// only while the target mailbox has the same UIDVALIDITY and still holds that UID
// (restore_plan.hpp); anything else — a `sending` left by an interrupted run (the
// APPEND whose tagged OK was lost), a `placed` without UID, a lost journal — is looked for on the
// server by size and header section before it is uploaded again. So losing lines costs header
// fetches, never a duplicate; and a target wiped again after a restore gets everything again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "store/files.hpp"
#include "store/records.hpp"

namespace mailsync::sync {

class RestoreJournal {
public:
    struct Entry {
        std::uint32_t uidvalidity = 0;
        store::Uid uid = 0;      // 0: unknown (no APPENDUID, or still in flight)
        bool placed = false;     // false: `sending` was the last word: the upload may or may not have happened
    };

    // The journal of `target_identity` in `directory` (created 0700 when missing), with what it
    // holds. `writable` false (a dry run): read when present, never created or written.
    // Error(io) when it cannot be read or created.
    static RestoreJournal open(const std::filesystem::path& directory, const std::string& target_identity,
                               bool writable);

    const std::filesystem::path& path() const { return path_; }

    // The last event of `message` in target mailbox `mailbox` (wire name), if any.
    std::optional<Entry> find(const std::string& mailbox, store::MessageId message) const;

    // Records an upload about to be sent / its tagged OK. Error(io) when the line cannot be written.
    void sending(const std::string& mailbox, store::MessageId message, std::uint32_t uidvalidity);
    void placed(const std::string& mailbox, store::MessageId message, std::uint32_t uidvalidity, store::Uid uid);

    // fsync: what was written survives a power loss too.
    void flush();

private:
    RestoreJournal(std::filesystem::path path, store::FileDescriptor fd) : path_(std::move(path)), fd_(std::move(fd)) {}
    void read_lines(const std::string& text);
    void append_line(const std::string& line);

    std::filesystem::path path_;
    store::FileDescriptor fd_;   // closed when read-only
    std::map<std::pair<std::string, store::MessageId>, Entry> entries_;
};

// The file name of a target's journal: 16 hex digits of the identity's SHA-256, ".journal".
std::string restore_journal_name(const std::string& target_identity);

}  // namespace mailsync::sync

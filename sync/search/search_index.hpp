// The full-text index of one account's mirror (a Xapian database in DIR/search/ beside the store).
// It holds nothing the mirror cannot rebuild: deleting the directory loses nothing but time.
//
// Keeping it right. The index is a cache of the store, brought up to date by comparison, never by
// replaying events: update_index() walks the store's messages, compares each with the stamps of
// its document (search_document.hpp) and adds, updates or removes documents until they agree.
// So every way the mirror changes — pull, replay, local commands, the Maildir view's scan, a
// UIDVALIDITY re-pairing, a refusal rolled back — is covered by one function, with no hook inside
// the store or the engine's transactions. cli/ calls it after `sync` (whose pull the index has
// followed meanwhile: follow_pull), each pull of `watch` and the local commands; a change made
// elsewhere (`view`, `queue --drop`) is caught by the next one, or by `search`, which checks the
// state below before it answers.
//
// Knowing it is right. The index records which store state it reflects: the LMDB transaction id
// of the snapshot it was compared with (it grows with every committed write) and the identity of
// the store's database file. index_is_current() compares that with the store's present state,
// which costs one read transaction. A kill -9 at any moment leaves either the index's last
// committed revision (Xapian commits are atomic) with an older recorded state, or no recorded
// state at all: both read as "not current", and the next update compares and repairs. Nothing is
// believed that was not compared; an index whose format differs is rebuilt.
//
// Concurrency: one writer at a time (Xapian's lock); Error(busy) when another process updates it.
// Readers never block.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace mailsync::sync::search {

std::filesystem::path index_directory(const std::filesystem::path& store_directory);

struct IndexUpdateReport {
    std::uint64_t added = 0;     // documents made (text read and indexed)
    std::uint64_t updated = 0;   // flags, mailbox or other record fields changed
    std::uint64_t removed = 0;
    // Bodies that could not be read (missing or damaged): those messages are indexed by the
    // record's From and Subject alone, and their bodies are tried again at the next update.
    std::uint64_t unreadable = 0;
    bool rebuilt = false;           // started from an empty index (new, another format, --reindex)
    bool current = false;           // the index now reflects the state of the store it compared with
    std::uint64_t changes() const { return added + updated + removed; }
};

struct IndexUpdateOptions {
    bool rebuild = false;   // throw away the index and build it again (search --reindex)
    // Documents between two commits: work done survives an interruption, and memory stays bounded.
    std::uint64_t batch = 10000;
    // Also a commit once this much text was indexed since the last one: Xapian holds the postings
    // of a batch in memory until it commits, about 8 times the text (issue 15: a first sync of 2000
    // messages, 86 MB of mail, peaked at 68 MB of heap with 10000-document batches alone). Smaller
    // batches cost less CPU too, down to about 1 MB: Xapian keeps a batch's postings in a map per
    // term, and each new posting walks one (issue 13, search --reindex, 1 MB against 4 MB: CPU
    // -10 % to -20 %, peak RSS 103 -> 56 MB for 20 000 small messages; 512 kB gained nothing more).
    std::uint64_t batch_text_bytes = 1ull << 20;
    // An update that leaves at least this many documents, twice as many as at the last compaction
    // (a first sync, a rebuild), ends with a compaction of the index.
    std::uint64_t compact_after = 1000;
    // Called after each commit with the documents done so far and the total to do.
    std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

// Brings the index to the state of the store, creating it when missing. Error(busy) when another
// process is updating it; Error(io) when it cannot be written.
IndexUpdateReport update_index(store::Store& store, const IndexUpdateOptions& options = {});

// After one write transaction of the store that changed only `messages` (a local command: its
// LocalChangeResult::messages, the ids it made, changed or removed): when the index reflected
// `state_before` (store_state() read just before the command) and the store has committed exactly
// one transaction since, only those documents are compared and the index then reflects the new
// state — milliseconds whatever the size of the mirror. Otherwise it is update_index().
IndexUpdateReport update_index_after(store::Store& store, const std::vector<store::MessageId>& messages,
                                     const std::string& state_before, const IndexUpdateOptions& options = {});

// Reads the store from a thread that does not own it (the pull's workers share it so:
// sync/pull/serialized_store.hpp): runs the function on one snapshot.
using StoreRead = std::function<void(const std::function<void(const store::ReadTxn&)>&)>;

// Indexes the messages a pull adds while it adds them, in a thread of its own (PullOptions::beside):
// the indexing's CPU overlaps the pull's waits for the network and the server, where after the
// pull it would add to the run's time. It takes only what follows the highest message id the
// index holds (ids are allocated in increasing order, so that is what the pull is adding), a
// batch at a time, until `done` is set and nothing more is there; it touches the index only once
// there is such a message, so a no-op sync leaves the index alone. It records no store state: the
// update after the pull (update_index_after) compares and records, as it would without it — this
// only makes that update find its work done. A crash meanwhile leaves an index that claims no
// state (repaired at the next update); an index another process is updating is left to it; any
// failure ends the following quietly, and the update after the pull does the work or reports it.
void follow_pull(const std::filesystem::path& store_directory, const store::Store& bodies, const StoreRead& read,
                 const std::atomic<bool>& done, const IndexUpdateOptions& options = {});

// Whether the index exists and reflects the store's state as it is now.
bool index_is_current(store::Store& store);
bool index_exists(const std::filesystem::path& store_directory);

// The store state as the index records it ("" when it cannot be told).
std::string store_state(store::Store& store);

}  // namespace mailsync::sync::search

#include "sync/search/search_index.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <lmdb.h>
#include <xapian.h>

#include "common/error.hpp"
#include "sync/search/search_document.hpp"
#include "sync/search/searchable_text.hpp"

namespace mailsync::sync::search {
namespace {

// Metadata keys of the index.
constexpr const char* format_key = "mailsync_format";
constexpr const char* state_key = "mailsync_store_state";
constexpr const char* compacted_key = "mailsync_compacted_at";   // documents at the last compaction
// Changes when documents would be built differently: an index of another format is rebuilt.
// 2: the stamps as digests (search_document.cpp).
const std::string index_format = fmt::format("2/text{}", searchable_text_version);

struct Wanted {
    store::MessageId id;
    std::string record_stamp;
};

enum class Work { add, update_record, remove };
struct Action {
    store::MessageId id;
    Work work;
};

std::string snapshot_state(const store::ReadTxn& txn, const std::filesystem::path& directory) {
    struct stat file {};
    if (::stat((directory / "data.mdb").c_str(), &file) != 0) return {};
    return fmt::format("{}:{}:{}", file.st_dev, file.st_ino, ::mdb_txn_id(txn.lmdb().handle()));
}

// Every message of the store with its record stamp, in id order, and the state they are of.
std::pair<std::vector<Wanted>, std::string> read_store(store::Store& store) {
    return store.read([&](const store::ReadTxn& txn) {
        std::vector<Wanted> wanted;
        for (const auto& mailbox : txn.mailboxes())
            txn.for_each_message(mailbox.id, [&](const store::MessageRecord& message) {
                wanted.push_back({message.id, record_stamp(message)});
            });
        std::sort(wanted.begin(), wanted.end(), [](const Wanted& a, const Wanted& b) { return a.id < b.id; });
        return std::pair(std::move(wanted), snapshot_state(txn, store.directory()));
    });
}

// What must change for the index to agree with `wanted`: a merge of two id-ordered lists.
std::vector<Action> compare(const std::vector<Wanted>& wanted, Xapian::Database& db) {
    std::vector<Action> actions;
    auto want = wanted.begin();
    for (auto have = db.valuestream_begin(slot::record_stamp); have != db.valuestream_end(slot::record_stamp); ++have) {
        const store::MessageId id = have.get_docid();
        for (; want != wanted.end() && want->id < id; ++want) actions.push_back({want->id, Work::add});
        if (want != wanted.end() && want->id == id) {
            if (want->record_stamp != *have) actions.push_back({id, Work::update_record});
            ++want;
        } else {
            actions.push_back({id, Work::remove});
        }
    }
    for (; want != wanted.end(); ++want) actions.push_back({want->id, Work::add});
    return actions;
}

// What must change for the documents of `ids` to agree with the store.
std::vector<Action> compare_some(store::Store& store, std::vector<store::MessageId> ids, Xapian::Database& db) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<Action> actions;
    store.read([&](const store::ReadTxn& txn) {
        for (const store::MessageId id : ids) {
            const auto record = txn.message(id);
            const Xapian::docid docid = docid_of(id);
            std::string have;
            try {
                have = db.get_document(docid).get_value(slot::record_stamp);
            } catch (const Xapian::DocNotFoundError&) {
                if (record) actions.push_back({id, Work::add});
                continue;
            }
            if (!record) actions.push_back({id, Work::remove});
            else if (record_stamp(*record) != have) actions.push_back({id, Work::update_record});
        }
    });
    return actions;
}

// Whether `after` is the state one write transaction after `before`, of the same database file.
bool follows(const std::string& before, const std::string& after) {
    const auto split = [](const std::string& state) -> std::optional<std::pair<std::string, std::uint64_t>> {
        const std::size_t colon = state.rfind(':');
        if (state.empty() || colon == std::string::npos) return std::nullopt;
        return std::pair(state.substr(0, colon), std::stoull(state.substr(colon + 1)));
    };
    const auto a = split(before), b = split(after);
    return a && b && a->first == b->first && a->second + 1 == b->second;
}

// Private like the rest of the store (Xapian would make it with the umask's permissions).
void make_private_directory(const std::filesystem::path& directory) {
    std::error_code ignored;
    if (std::filesystem::create_directory(directory, ignored))
        std::filesystem::permissions(directory, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ignored);
}

Xapian::WritableDatabase open_for_writing(const std::filesystem::path& directory, bool rebuild) {
    const std::string path = directory.string();
    make_private_directory(directory);
    try {
        Xapian::WritableDatabase db(path, rebuild ? Xapian::DB_CREATE_OR_OVERWRITE : Xapian::DB_CREATE_OR_OPEN);
        if (db.get_metadata(format_key) == index_format) return db;
        if (db.get_doccount() > 0 || !db.get_metadata(format_key).empty()) {
            db.close();
            db = Xapian::WritableDatabase(path, Xapian::DB_CREATE_OR_OVERWRITE);
        }
        db.set_metadata(format_key, index_format);
        return db;
    } catch (const Xapian::DatabaseLockError&) {
        throw Error(ErrorCategory::busy,
                    fmt::format("the search index {} is being updated by another mailsync process", path));
    } catch (const Xapian::DatabaseError&) {
        // Damaged (or not a Xapian database at all): it only ever holds what the mirror can give
        // again, so it is built afresh.
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
        make_private_directory(directory);
        Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OVERWRITE);
        db.set_metadata(format_key, index_format);
        return db;
    }
}

// A copy of the index beside it, being compacted (left by a crash: removed by the next compaction).
std::filesystem::path compact_directory(const std::filesystem::path& directory) {
    return directory.parent_path() / (directory.filename().string() + ".compact");
}

// Replaces the index by a compacted copy: Xapian's B-trees, filled commit by commit, are left
// partly empty (issue 13, with the smaller stamps: the index of 20 000 small messages 90 -> 65 MB,
// of 3000 mailing-list messages 47 -> 27 MB; a compaction of 30 MB takes about half a second).
// The copy is made while `db` holds the lock, then swapped in with one atomic rename (the old one
// removed after): a reader or a crash sees one whole index or the other, and both record the same
// store state. A copy that cannot be made or swapped in is given up: the index stays as it was.
void compact(Xapian::WritableDatabase& db, const std::filesystem::path& directory) {
    const std::filesystem::path copy = compact_directory(directory);
    std::error_code ignored;
    std::filesystem::remove_all(copy, ignored);
    try {
        db.compact(copy.string(), Xapian::DBCOMPACT_NO_RENUMBER);
    } catch (const Xapian::Error&) {
        std::filesystem::remove_all(copy, ignored);
        return;
    }
    std::filesystem::permissions(copy, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ignored);
    ::renameat2(AT_FDCWD, copy.c_str(), AT_FDCWD, directory.c_str(), RENAME_EXCHANGE);
    std::filesystem::remove_all(copy, ignored);   // the old index, or the copy when the swap failed
}

// Compacts once the index holds twice the documents it held at its last compaction (a first sync,
// built here or by follow_pull, or a --reindex: from none), and at least compact_after: each
// document is copied by a compaction about once, however the index grew.
void compact_when_grown(Xapian::WritableDatabase& db, const std::filesystem::path& directory, const IndexUpdateOptions& options) {
    const Xapian::doccount documents = db.get_doccount();
    const std::string last = db.get_metadata(compacted_key);
    std::uint64_t at_last = 0;
    std::from_chars(last.data(), last.data() + last.size(), at_last);   // none, or not a number: 0
    if (documents < options.compact_after || documents < 2 * at_last) return;
    db.set_metadata(compacted_key, std::to_string(documents));
    db.commit();
    compact(db, directory);
}

// Applies `actions` in batches: records are read in one short store transaction per batch, bodies
// outside it, and each batch is committed.
void apply(store::Store& store, Xapian::WritableDatabase& db, const std::vector<Action>& actions,
           const IndexUpdateOptions& options, IndexUpdateReport& report) {
    const std::size_t batch = std::max<std::uint64_t>(options.batch, 1);
    std::uint64_t text_since_commit = 0;
    for (std::size_t start = 0; start < actions.size(); start += batch) {
        const std::size_t end = std::min(actions.size(), start + batch);
        std::vector<std::optional<store::MessageRecord>> records;
        store.read([&](const store::ReadTxn& txn) {
            for (std::size_t i = start; i < end; ++i)
                records.push_back(actions[i].work == Work::remove ? std::nullopt : txn.message(actions[i].id));
        });
        for (std::size_t i = start; i < end; ++i) {
            const Action& action = actions[i];
            const auto& record = records[i - start];
            const Xapian::docid docid = docid_of(action.id);
            if (!record) {   // removed, or gone since the walk
                if (action.work != Work::add) {
                    db.delete_document(docid);
                    ++report.removed;
                }
                continue;
            }
            if (action.work == Work::update_record) {
                Xapian::Document document = db.get_document(docid);
                if (document.get_value(slot::text_stamp) == text_stamp(*record)) {
                    update_record_part(document, *record);
                    db.replace_document(docid, document);
                    ++report.updated;
                    continue;
                }
            }
            MessageDocument made = message_document(store, *record);
            db.replace_document(docid, made.document);
            if (!made.body_read) {
                ++report.unreadable;
                continue;
            }
            ++report.added;
            text_since_commit += made.text_bytes;
            if (text_since_commit >= options.batch_text_bytes) {
                db.commit();
                text_since_commit = 0;
            }
        }
        db.commit();
        text_since_commit = 0;
        if (options.progress) options.progress(end, actions.size());
    }
}

// Applies `actions`, then records `state` as the one the index reflects. Until then the index
// claims no state: a crash mid-way reads as "not current".
void apply_and_record(store::Store& store, Xapian::WritableDatabase& db, const std::vector<Action>& actions,
                      const std::string& state, const IndexUpdateOptions& options, IndexUpdateReport& report) {
    db.set_metadata(state_key, "");
    apply(store, db, actions, options, report);
    report.current = !state.empty();
    db.set_metadata(state_key, report.current ? state : "");
    db.commit();
}

// Runs an update, Xapian's errors turned into the engine's.
template <class Update>
IndexUpdateReport updating(store::Store& store, Update&& update) {
    try {
        return update();
    } catch (const Xapian::Error& error) {
        throw Error(ErrorCategory::io, fmt::format("the search index {} cannot be updated: {}",
                                                   index_directory(store.directory()).string(), error.get_description()));
    }
}

}  // namespace

std::filesystem::path index_directory(const std::filesystem::path& store_directory) { return store_directory / "search"; }

bool index_exists(const std::filesystem::path& store_directory) {
    std::error_code ignored;
    return std::filesystem::is_directory(index_directory(store_directory), ignored);
}

std::string store_state(store::Store& store) {
    return store.read([&](const store::ReadTxn& txn) { return snapshot_state(txn, store.directory()); });
}

bool index_is_current(store::Store& store) {
    if (!index_exists(store.directory())) return false;
    try {
        Xapian::Database db(index_directory(store.directory()).string());
        const std::string recorded = db.get_metadata(state_key);
        return db.get_metadata(format_key) == index_format && !recorded.empty() && recorded == store_state(store);
    } catch (const Xapian::Error&) {
        return false;
    }
}

IndexUpdateReport update_index_after(store::Store& store, const std::vector<store::MessageId>& messages,
                                     const std::string& state_before, const IndexUpdateOptions& options) {
    if (options.rebuild || !index_exists(store.directory())) return update_index(store, options);
    bool follows_before = false;
    const IndexUpdateReport some = updating(store, [&] {
        IndexUpdateReport report;
        Xapian::WritableDatabase db = open_for_writing(index_directory(store.directory()), false);
        const std::string state = store_state(store);
        const bool was_current = !state_before.empty() && db.get_metadata(state_key) == state_before;
        if (was_current && state == state_before) {   // the command wrote nothing
            follows_before = report.current = true;
            return report;
        }
        follows_before = was_current && follows(state_before, state);
        if (follows_before) apply_and_record(store, db, compare_some(store, messages, db), state, options, report);
        return report;
    });
    // Xapian's lock is released when `db` is gone: the full update takes it again.
    return follows_before ? some : update_index(store, options);
}

void follow_pull(const std::filesystem::path& store_directory, const store::Store& bodies, const StoreRead& read,
                 const std::atomic<bool>& done, const IndexUpdateOptions& options) {
    // Ids past a gap (messages removed since they were added) are looked for this far ahead.
    constexpr store::MessageId look_ahead = 64;
    const std::size_t batch = std::clamp<std::uint64_t>(options.batch, 1, 200);
    try {
        store::MessageId next = 1;
        if (index_exists(store_directory)) next = Xapian::Database(index_directory(store_directory).string()).get_lastdocid() + 1;
        std::optional<Xapian::WritableDatabase> db;
        std::uint64_t text_since_commit = 0;
        for (;;) {
            const bool last_round = done.load();   // read before the store: what the pull added is seen
            std::vector<store::MessageRecord> records;
            read([&](const store::ReadTxn& txn) {
                for (store::MessageId id = next, missing = 0; records.size() < batch && missing < look_ahead; ++id) {
                    auto record = txn.message(id);
                    if (!record) {
                        ++missing;
                        continue;
                    }
                    missing = 0;
                    records.push_back(std::move(*record));
                }
            });
            if (records.empty()) {
                if (last_round) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                continue;
            }
            if (!db) {
                db = open_for_writing(index_directory(store_directory), false);
                db->set_metadata(state_key, "");
                db->commit();
            }
            for (const auto& record : records) {
                MessageDocument made = message_document(bodies, record);
                db->replace_document(docid_of(record.id), made.document);
                text_since_commit += made.text_bytes;
                if (text_since_commit >= options.batch_text_bytes) {
                    db->commit();
                    text_since_commit = 0;
                }
            }
            next = records.back().id + 1;
        }
        if (db) db->commit();
    } catch (...) {   // a cache's helper: the update after the pull does the work, or says why not
    }
}

IndexUpdateReport update_index(store::Store& store, const IndexUpdateOptions& options) {
    return updating(store, [&] {
        IndexUpdateReport report;
        report.rebuilt = options.rebuild || !index_exists(store.directory());
        Xapian::WritableDatabase db = open_for_writing(index_directory(store.directory()), options.rebuild);
        if (db.get_doccount() == 0) report.rebuilt = true;
        auto [wanted, state] = read_store(store);
        if (!state.empty() && db.get_metadata(state_key) == state) {
            report.current = true;
            return report;
        }
        const std::vector<Action> actions = compare(wanted, db);
        wanted = {};
        apply_and_record(store, db, actions, state, options, report);
        compact_when_grown(db, index_directory(store.directory()), options);
        return report;
    });
}

}  // namespace mailsync::sync::search

#include "store/store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "store/keys.hpp"

namespace mailsync::store {
namespace fs = std::filesystem;
namespace {

constexpr unsigned max_tables = 16;
// Doubling stops here: a mail store this large is more likely a runaway bug than mail.
constexpr std::size_t max_map_size = std::size_t{1} << 40;

constexpr std::uintmax_t space_reserve_bytes = 4u << 20;

fs::path space_reserve_path(const fs::path& directory) { return directory / "space-reserve"; }

// Sets the reserve aside when it is not there (header comment); no room for it is no error: the
// run goes on without one, as it did before the disk filled.
void keep_space_reserve(const fs::path& directory) {
    const fs::path path = space_reserve_path(directory);
    std::error_code error;
    if (fs::file_size(path, error) == space_reserve_bytes && !error) return;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    const bool kept = ::posix_fallocate(fd, 0, static_cast<off_t>(space_reserve_bytes)) == 0;
    ::close(fd);
    if (!kept) fs::remove(path, error);
}

// Runs attempt() (which begins, fills and commits one write transaction) until it fits in the map;
// on a full disk, once more after giving up the space reserve.
template <class Attempt>
void with_map_growth(lmdb::Env& env, const fs::path& directory, Attempt&& attempt) {
    for (;;) {
        try {
            attempt();
            return;
        } catch (const lmdb::DiskFullError&) {
            std::error_code error;
            if (!fs::remove(space_reserve_path(directory), error)) throw;
        } catch (const lmdb::MapFullError&) {
            // The transaction has been aborted by now (its scope is gone): the map may be resized.
            std::size_t size = env.map_size();
            if (size >= max_map_size) {
                throw Error(ErrorCategory::io, fmt::format("the store in {} is full at {} bytes",
                                                           directory.string(), size));
            }
            env.set_map_size(size * 2);
        }
    }
}

std::uint32_t stored_schema_version(lmdb::Env& env) {
    lmdb::Txn txn = lmdb::Txn::begin(env, lmdb::TxnMode::read_only);
    auto meta = txn.open_table("meta", false);
    if (!meta) return 0;
    auto value = txn.get(*meta, meta_key::schema_version);
    std::uint32_t version = value ? keys::decode_u32(*value, "schema version") : 0;
    txn.commit();
    return version;
}

bool holds_bodies(const fs::path& directory) {
    std::error_code error;
    for (fs::recursive_directory_iterator it(directory / "bodies", error), end; !error && it != end; it.increment(error)) {
        if (it->is_regular_file(error)) return true;
    }
    return false;
}

[[noreturn]] void refuse_damaged(const fs::path& directory, std::string_view what) {
    throw Error(ErrorCategory::io,
                fmt::format("the database {} {} but {} holds message bodies: the store is damaged (its mirror and its "
                            "queue of offline changes are gone); restore it from a backup, or move the store aside and "
                            "sync again",
                            (directory / "data.mdb").string(), what, (directory / "bodies").string()));
}

// LMDB takes a missing or empty data.mdb for a new store. Next to body files it is a damaged one
// (the queue and the mirror's rows are gone): starting afresh would hide the loss.
void refuse_lost_database(const fs::path& directory) {
    std::error_code error;
    const auto size = fs::file_size(directory / "data.mdb", error);
    if (!error && size > 0) return;
    if (holds_bodies(directory)) refuse_damaged(directory, fs::exists(directory / "data.mdb") ? "is empty" : "is missing");
}

}  // namespace

Store::Store(fs::path directory, Access access, std::optional<AccountLock> lock, lmdb::Env env, Tables tables)
    : directory_(std::move(directory)),
      access_(access),
      lock_(std::move(lock)),
      env_(std::move(env)),
      tables_(tables),
      blobs_(directory_) {}

Store Store::open(const fs::path& directory, Access access, const OpenOptions& options) {
    make_private_directory(directory);
    std::optional<AccountLock> lock;
    if (access == Access::exclusive) lock = AccountLock::acquire(directory);
    refuse_lost_database(directory);
    if (lock) keep_space_reserve(directory);

    lmdb::Env env = lmdb::Env::open(directory, {options.initial_map_size, max_tables});
    const Schema& schema = *options.schema;
    std::uint32_t found = stored_schema_version(env);
    // No schema version: a new store, unless bodies are there (a store's first open writes the
    // version before any body): then a damaged page has taken the catalog of tables with it.
    if (found == 0 && holds_bodies(directory)) refuse_damaged(directory, "holds no schema version (none of the store's tables)");
    if (found > schema.version) {
        throw Error(ErrorCategory::io,
                    fmt::format("the store {} was written by a newer mailsync (schema {}, this one knows {})",
                                directory.string(), found, schema.version));
    }
    // Migrating rewrites records under a running sync's feet: it needs the account to itself.
    std::optional<AccountLock> migration_lock;
    if (found != 0 && found < schema.version && !lock) {
        migration_lock = AccountLock::try_acquire(directory);
        if (!migration_lock) {
            throw Error(ErrorCategory::busy,
                        fmt::format("the store {} must be upgraded (schema {} to {}), which has to wait "
                                    "until the running mailsync process ends",
                                    directory.string(), found, schema.version));
        }
    }

    Tables tables;
    with_map_growth(env, directory, [&] {
        lmdb::Txn raw = lmdb::Txn::begin(env, lmdb::TxnMode::read_write);
        tables = Tables::create(raw);
        WriteTxn txn(std::move(raw), tables);
        // Re-read inside the write transaction: another process may have created it meanwhile.
        std::uint32_t current = txn.schema_version();
        if (current == 0) {
            txn.set_schema_version(schema.version);
            txn.put_body_usage({});   // a new store: no body yet, and every one counted from here
        } else if (current < schema.version) {
            migrate(txn, schema, current);
        }
        txn.commit();
    });
    Store store(directory, access, std::move(lock), std::move(env), tables);
    // A store that does not know its bodies' figure yet gets it from a sweep of every file.
    store.sweep_everything_ =
        store.blobs_.marked() || !store.read([](const ReadTxn& txn) { return txn.body_usage().has_value(); });
    return store;
}

void Store::run_write(const std::function<void(WriteTxn&)>& body) {
    with_map_growth(env_, directory_, [&] {
        WriteTxn txn(lmdb::Txn::begin(env_, lmdb::TxnMode::read_write), tables_);
        body(txn);
        // The body files written or removed since the last write are counted in this one.
        std::int64_t files = 0, bytes = 0;
        blobs_.take_usage_delta(files, bytes);
        try {
            if (files != 0 || bytes != 0) {
                if (auto usage = txn.body_usage()) {
                    const auto add = [](std::uint64_t value, std::int64_t delta) {
                        return delta < 0 && static_cast<std::uint64_t>(-delta) > value ? 0 : value + static_cast<std::uint64_t>(delta);
                    };
                    txn.put_body_usage({add(usage->files, files), add(usage->bytes, bytes)});
                }
            }
            txn.commit();
        } catch (...) {
            blobs_.give_back_usage_delta(files, bytes);
            throw;
        }
    });
}

std::ifstream Store::open_body(const BodyHash& hash) const {
    fs::path file = blobs_.path_of(hash);
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw Error(ErrorCategory::io, fmt::format("cannot open the body file {} (run `mailsync verify`)", file.string()));
    }
    return in;
}

SweepReport Store::sweep(std::chrono::seconds min_age) {
    return read([&](const ReadTxn& txn) {
        std::set<BodyHash> queued;
        for (const auto& change : txn.queue()) {
            if (change.body_hash) queued.insert(*change.body_hash);
        }
        return blobs_.sweep(
            [&](const BodyHash& hash) { return queued.count(hash) != 0 || !txn.messages_with_body(hash).empty(); },
            min_age);
    });
}

SweepReport Store::sweep_if_due(std::chrono::seconds min_age) {
    SweepReport report;
    if (sweep_everything_) report = sweep(min_age);
    const std::vector<BodyHash> candidates = read([](const ReadTxn& txn) { return txn.sweep_candidates(); });
    SweepReport settled = read([&](const ReadTxn& txn) {
        return blobs_.sweep(candidates, [&](const BodyHash& hash) { return txn.body_is_referenced(hash); }, min_age);
    });
    report.orphan_bodies += settled.orphan_bodies;
    report.orphan_bytes += settled.orphan_bytes;
    const std::set<BodyHash> young(settled.young_orphans.begin(), settled.young_orphans.end());
    if (!candidates.empty() || !report.young_orphans.empty()) write([&](WriteTxn& txn) {
        for (const auto& hash : candidates) {
            if (young.count(hash) == 0) txn.remove_sweep_candidate(hash);
        }
        for (const auto& hash : report.young_orphans) txn.add_sweep_candidate(hash);
    });
    report.young_orphans.insert(report.young_orphans.end(), young.begin(), young.end());
    if (sweep_everything_) {
        // Every file was just listed: count them exactly (this also corrects what a process that
        // died between a body and its count left uncounted).
        const BodyUsage counted = blobs_.usage();
        std::int64_t files = 0, bytes = 0;
        blobs_.take_usage_delta(files, bytes);
        write([&](WriteTxn& txn) { txn.put_body_usage(counted); });
    }
    blobs_.clear_mark();
    sweep_everything_ = false;
    return report;
}

StoreUsage Store::usage() {
    StoreUsage usage;
    // The kept figure: listing a million body files takes seconds (`status` must not).
    const std::optional<BodyUsage> kept = read([](const ReadTxn& txn) { return txn.body_usage(); });
    usage.bodies = kept ? *kept : blobs_.usage();
    std::error_code error;
    const auto database = fs::file_size(directory_ / "data.mdb", error);
    if (!error) usage.database_bytes = database;
    return usage;
}

std::vector<std::string> Store::verify(bool rehash) {
    std::vector<BodyHash> damaged;   // bodies missing, or (rehash) not of their hash
    std::vector<std::string> found = read([&](const ReadTxn& txn) {
        std::vector<std::string> problems;
        const auto& lmdb = txn.lmdb();
        const auto& tables = txn.tables();
        auto problem = [&](std::string text) { problems.push_back(std::move(text)); };
        // A damaged record is reported and verification goes on with the next one.
        auto guarded = [&](std::string_view what, const auto& check) {
            try {
                check();
            } catch (const lmdb::DamagedError&) {
                throw;   // the transaction is dead: nothing more can be read through it
            } catch (const Error& error) {
                problem(fmt::format("{}: {}", what, error.what()));
            }
        };

        std::set<BodyHash> checked;
        auto check_body = [&](const BodyHash& hash, std::string_view named_by) {
            if (!checked.insert(hash).second) return;
            BodyCheck result = rehash ? blobs_.check(hash) : (blobs_.exists(hash) ? BodyCheck::ok : BodyCheck::missing);
            if (result != BodyCheck::ok) damaged.push_back(hash);
            if (result == BodyCheck::missing) problem(fmt::format("{}: its body {} is missing", named_by, hash.hex()));
            if (result == BodyCheck::mismatch) {
                problem(fmt::format("{}: its body file {} does not have that SHA-256", named_by, hash.hex()));
            }
        };
        auto counter = [&](const char* key) -> std::uint64_t {
            auto value = lmdb.get(tables.meta, key);
            return value ? keys::decode_u64(*value, key) : 1;
        };

        // ---- mailboxes, their name index and counters
        std::set<MailboxId> mailbox_ids;
        lmdb::for_each_with_prefix(lmdb, tables.mailboxes, {}, [&](const lmdb::Entry& entry) {
            guarded("a mailbox record", [&] {
                MailboxRecord mailbox = decode_mailbox(entry.value);
                mailbox_ids.insert(mailbox.id);
                const std::string name = fmt::format("mailbox '{}'", mailbox.name);
                if (keys::u32(mailbox.id) != entry.key) problem(name + ": stored under another id");
                auto indexed = lmdb.get(tables.mailbox_names, mailbox.name);
                if (!indexed || *indexed != keys::u32(mailbox.id)) problem(name + ": missing from the mailbox name index");
                auto stored = txn.counts(mailbox.id);
                auto actual = txn.count_by_scan(mailbox.id);
                if (!stored || *stored != actual) problem(name + ": its message counters are wrong");
            });
            return true;
        });
        lmdb::for_each_with_prefix(lmdb, tables.mailbox_names, {}, [&](const lmdb::Entry& entry) {
            guarded("the mailbox name index", [&] {
                MailboxId id = keys::decode_u32(entry.value, "mailbox name index entry");
                auto mailbox = txn.mailbox(id);
                if (!mailbox || mailbox->name != entry.key) {
                    problem(fmt::format("the mailbox name index names mailbox {} for '{}', which is not there", id, entry.key));
                }
            });
            return true;
        });
        lmdb::for_each_with_prefix(lmdb, tables.mailbox_counts, {}, [&](const lmdb::Entry& entry) {
            guarded("the mailbox counters", [&] {
                MailboxId id = keys::decode_u32(entry.key, "mailbox counters key");
                if (mailbox_ids.count(id) == 0) problem(fmt::format("counters are kept for mailbox {}, which is not there", id));
            });
            return true;
        });

        // ---- messages and their indexes
        const std::uint64_t next_message = counter(meta_key::next_message);
        lmdb::for_each_with_prefix(lmdb, tables.messages, {}, [&](const lmdb::Entry& entry) {
            guarded(fmt::format("message record {}", keys::decode_u64(entry.key, "message key")), [&] {
                MessageRecord message = decode_message(entry.value);
                std::string name = fmt::format("message {}", message.id);
                if (keys::u64(message.id) != entry.key) problem(name + ": stored under another id");
                if (message.id >= next_message) problem(name + ": its id is not below the next id to allocate (ids would be reused)");
                if (mailbox_ids.count(message.mailbox) == 0) {
                    problem(fmt::format("{}: its mailbox {} does not exist", name, message.mailbox));
                }
                auto place = lmdb.get(tables.places, keys::place_of(message));
                if (!place || *place != keys::u64(message.id)) problem(name + ": missing from its mailbox's index");
                if (!lmdb.get(tables.body_places, keys::body_place(message.body_hash, message.id))) {
                    problem(name + ": missing from the body index");
                }
                if (!message.message_id.empty() &&
                    !lmdb.get(tables.message_ids, keys::message_id_place(message.message_id, message.id))) {
                    problem(name + ": missing from the Message-ID index");
                }
                check_body(message.body_hash, name);
            });
            return true;
        });

        lmdb::for_each_with_prefix(lmdb, tables.places, {}, [&](const lmdb::Entry& entry) {
            guarded("the mailbox index", [&] {
                MessageId id = keys::decode_u64(entry.value, "place index entry");
                auto message = txn.message(id);
                if (!message || keys::place_of(*message) != entry.key) {
                    problem(fmt::format("the mailbox index names message {}, which is not there", id));
                }
            });
            return true;
        });

        lmdb::for_each_with_prefix(lmdb, tables.body_places, {}, [&](const lmdb::Entry& entry) {
            guarded("the body index", [&] {
                MessageId id = keys::message_of_index_key(entry.key);
                auto message = txn.message(id);
                if (!message || message->body_hash != keys::hash_of_body_place(entry.key)) {
                    problem(fmt::format("the body index names message {}, which does not have that body", id));
                }
            });
            return true;
        });

        lmdb::for_each_with_prefix(lmdb, tables.message_ids, {}, [&](const lmdb::Entry& entry) {
            guarded("the Message-ID index", [&] {
                MessageId id = keys::message_of_index_key(entry.key);
                auto message = txn.message(id);
                if (!message || message->message_id.empty() || keys::message_id_place(message->message_id, id) != entry.key) {
                    problem(fmt::format("the Message-ID index names message {}, which does not have that Message-ID", id));
                }
            });
            return true;
        });

        // ---- the offline queue: every record decodes and says what its kind needs
        const std::uint64_t next_queue = counter(meta_key::next_queue);
        lmdb::for_each_with_prefix(lmdb, tables.queue, {}, [&](const lmdb::Entry& entry) {
            guarded(fmt::format("queued change {}", keys::decode_u64(entry.key, "queue key")), [&] {
                QueueRecord change = decode_queue(entry.value);
                const std::string name = fmt::format("queued change {}", change.seq);
                if (keys::u64(change.seq) != entry.key) problem(name + ": stored under another number");
                if (change.seq >= next_queue) problem(name + ": its number is not below the next one to allocate");
                const auto kind = static_cast<unsigned>(change.kind);
                const auto state = static_cast<unsigned>(change.state);
                if (kind < 1 || kind > 8) problem(fmt::format("{}: unknown kind {}", name, kind));
                if (state < 1 || state > 4) problem(fmt::format("{}: unknown replay state {}", name, state));
                if (change.state == QueueState::sent && !change.sent_at) problem(name + ": sent, but with no time");
                switch (change.kind) {
                    case QueueKind::flags:
                        if (change.message == 0) problem(name + ": a flag change names no message");
                        if (change.add_flags.empty() && change.remove_flags.empty()) problem(name + ": a flag change changes nothing");
                        break;
                    case QueueKind::move:
                    case QueueKind::copy:
                        if (change.message == 0 || change.mailbox == 0 || change.target_mailbox == 0) {
                            problem(name + ": a move or copy needs a message, a mailbox and a target mailbox");
                        }
                        if (change.kind == QueueKind::copy && change.copy_message == 0) problem(name + ": a copy names no new message");
                        break;
                    case QueueKind::remove:
                        if (change.message == 0 || change.mailbox == 0) problem(name + ": a delete names no message");
                        break;
                    case QueueKind::append:
                        if (change.mailbox == 0) problem(name + ": an append names no mailbox");
                        if (!change.body_hash) problem(name + ": an append names no body");
                        break;
                    case QueueKind::create_mailbox:
                    case QueueKind::delete_mailbox:
                        if (change.name.empty()) problem(name + ": names no mailbox");
                        break;
                    case QueueKind::rename_mailbox:
                        if (change.name.empty() || change.new_name.empty()) problem(name + ": a rename needs both names");
                        break;
                }
                if (change.body_hash) check_body(*change.body_hash, name);
            });
            return true;
        });

        lmdb::for_each_with_prefix(lmdb, tables.conflicts, {}, [&](const lmdb::Entry& entry) {
            guarded("a conflict record", [&] { decode_conflict(entry.value); });
            return true;
        });
        lmdb::for_each_with_prefix(lmdb, tables.export_state, {}, [&](const lmdb::Entry& entry) {
            guarded("an export state record", [&] { decode_export_state(entry.value); });
            return true;
        });
        lmdb::for_each_with_prefix(lmdb, tables.view_files, {}, [&](const lmdb::Entry& entry) {
            guarded("a Maildir view file record", [&] { decode_view_file(entry.value); });
            return true;
        });
        lmdb::for_each_with_prefix(lmdb, tables.view_folders, {}, [&](const lmdb::Entry& entry) {
            guarded("a Maildir view folder record", [&] { decode_view_folder(entry.value); });
            return true;
        });
        lmdb::for_each_with_prefix(lmdb, tables.oauth_tokens, {}, [&](const lmdb::Entry& entry) {
            guarded("a cached OAuth2 token record", [&] { decode_oauth_token(entry.value); });
            return true;
        });
        return problems;
    });
    // What a full check found becomes the list the next sync fetches again (damaged_bodies): the
    // bodies found, and nothing else (a body listed earlier and sound now was put right meanwhile).
    if (rehash) {
        const auto listed = read([](const ReadTxn& txn) { return txn.damaged_bodies(); });
        const bool same = listed.size() == damaged.size() &&
                          std::all_of(damaged.begin(), damaged.end(),
                                      [&](const BodyHash& hash) { return std::find(listed.begin(), listed.end(), hash) != listed.end(); });
        if (!same) {
            write([&](WriteTxn& txn) {
                for (const BodyHash& hash : listed) txn.mark_body_sound(hash);
                for (const BodyHash& hash : damaged) txn.mark_body_damaged(hash);
            });
        }
    }
    return found;
}

}  // namespace mailsync::store

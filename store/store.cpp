#include "store/store.hpp"

#include <set>

#include <fmt/format.h>

#include "store/keys.hpp"

namespace mailsync::store {
namespace fs = std::filesystem;
namespace {

constexpr unsigned max_tables = 16;
// Doubling stops here: a mail store this large is more likely a runaway bug than mail.
constexpr std::size_t max_map_size = std::size_t{1} << 40;

// Runs attempt() (which begins, fills and commits one write transaction) until it fits in the map.
template <class Attempt>
void with_map_growth(lmdb::Env& env, const fs::path& directory, Attempt&& attempt) {
    for (;;) {
        try {
            attempt();
            return;
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

    lmdb::Env env = lmdb::Env::open(directory, {options.initial_map_size, max_tables});
    const Schema& schema = *options.schema;
    std::uint32_t found = stored_schema_version(env);
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
        } else if (current < schema.version) {
            migrate(txn, schema, current);
        }
        txn.commit();
    });
    return Store(directory, access, std::move(lock), std::move(env), tables);
}

void Store::run_write(const std::function<void(WriteTxn&)>& body) {
    with_map_growth(env_, directory_, [&] {
        WriteTxn txn(lmdb::Txn::begin(env_, lmdb::TxnMode::read_write), tables_);
        body(txn);
        txn.commit();
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

std::vector<std::string> Store::verify(bool rehash) {
    return read([&](const ReadTxn& txn) {
        std::vector<std::string> problems;
        const auto& lmdb = txn.lmdb();
        const auto& tables = txn.tables();
        auto problem = [&](std::string text) { problems.push_back(std::move(text)); };

        std::set<BodyHash> checked;
        auto check_body = [&](const BodyHash& hash, std::string_view named_by) {
            if (!checked.insert(hash).second) return;
            BodyCheck result = rehash ? blobs_.check(hash) : (blobs_.exists(hash) ? BodyCheck::ok : BodyCheck::missing);
            if (result == BodyCheck::missing) problem(fmt::format("{}: its body {} is missing", named_by, hash.hex()));
            if (result == BodyCheck::mismatch) {
                problem(fmt::format("{}: its body file {} does not have that SHA-256", named_by, hash.hex()));
            }
        };

        lmdb::for_each_with_prefix(lmdb, tables.messages, {}, [&](const lmdb::Entry& entry) {
            MessageRecord message = decode_message(entry.value);
            std::string name = fmt::format("message {}", message.id);
            if (keys::u64(message.id) != entry.key) problem(name + ": stored under another id");
            if (!txn.mailbox(message.mailbox)) problem(fmt::format("{}: its mailbox {} does not exist", name, message.mailbox));
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
            return true;
        });

        lmdb::for_each_with_prefix(lmdb, tables.places, {}, [&](const lmdb::Entry& entry) {
            MessageId id = keys::decode_u64(entry.value, "place index entry");
            auto message = txn.message(id);
            if (!message || keys::place_of(*message) != entry.key) {
                problem(fmt::format("the mailbox index names message {}, which is not there", id));
            }
            return true;
        });

        lmdb::for_each_with_prefix(lmdb, tables.body_places, {}, [&](const lmdb::Entry& entry) {
            MessageId id = keys::message_of_index_key(entry.key);
            auto message = txn.message(id);
            if (!message || message->body_hash != keys::hash_of_body_place(entry.key)) {
                problem(fmt::format("the body index names message {}, which does not have that body", id));
            }
            return true;
        });

        for (const auto& mailbox : txn.mailboxes()) {
            auto stored = txn.counts(mailbox.id);
            auto actual = txn.count_by_scan(mailbox.id);
            if (!stored || *stored != actual) {
                problem(fmt::format("mailbox '{}': its message counters are wrong", mailbox.name));
            }
        }

        for (const auto& change : txn.queue()) {
            if (change.body_hash) check_body(*change.body_hash, fmt::format("queued change {}", change.seq));
        }
        return problems;
    });
}

}  // namespace mailsync::store

// The store's schema version and the migrations that bring an older store up to date. Version 1
// is the first layout. A store written by a newer mailsync is refused (it may hold records this
// one would misread); an older one is migrated at open, every step in one write transaction, so
// a crash mid-way leaves the old version intact.
//
// Adding a layout change: bump `version` in schema.cpp and append a Migration from the old
// version that rewrites the affected records.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mailsync::store {

class WriteTxn;

struct Migration {
    std::uint32_t from_version;   // turns a store of this version into from_version + 1
    std::string description;
    std::function<void(WriteTxn&)> apply;
};

struct Schema {
    std::uint32_t version;
    std::vector<Migration> migrations;
};

const Schema& current_schema();

// Runs the migrations from `found` up to schema.version. Error(internal) when one is missing.
void migrate(WriteTxn& txn, const Schema& schema, std::uint32_t found);

}  // namespace mailsync::store

#include "store/schema.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.hpp"
#include "store/transaction.hpp"

namespace mailsync::store {

const Schema& current_schema() {
    // 2: the Maildir view's tables (view_files, view_folders; sync/view/README.md). A store of
    // version 1 has none: Tables::create opens them empty in the same transaction, which is all
    // the step needs; it checks that they are there.
    static const Schema schema{2, {Migration{1, "add the Maildir view's tables", [](WriteTxn& txn) {
                                       for (const char* name : {"view_files", "view_folders"}) {
                                           if (!txn.lmdb().open_table(name, true)) {
                                               throw Error(ErrorCategory::internal, fmt::format("no table {}", name));
                                           }
                                       }
                                   }}}};
    return schema;
}

void migrate(WriteTxn& txn, const Schema& schema, std::uint32_t found) {
    for (std::uint32_t version = found; version < schema.version; ++version) {
        auto step = std::find_if(schema.migrations.begin(), schema.migrations.end(),
                                 [&](const Migration& m) { return m.from_version == version; });
        if (step == schema.migrations.end()) {
            throw Error(ErrorCategory::internal,
                        fmt::format("no migration of the store from schema {} to {}", version, version + 1));
        }
        step->apply(txn);
    }
    txn.set_schema_version(schema.version);
}

}  // namespace mailsync::store

#include "store/schema.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.hpp"
#include "store/transaction.hpp"

namespace mailsync::store {

const Schema& current_schema() {
    static const Schema schema{1, {}};
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

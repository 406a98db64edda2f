#include "sync/search/search.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/search/search_document.hpp"
#include "sync/search/search_index.hpp"

namespace mailsync::sync::search {

std::vector<store::MessageId> find_messages(const std::filesystem::path& store_directory, const Xapian::Query& query,
                                            const SearchOptions& options) {
    const std::filesystem::path directory = index_directory(store_directory);
    if (!index_exists(store_directory))
        throw Error(ErrorCategory::io, fmt::format("there is no search index in {}", directory.string()));
    Xapian::Query filtered = query;
    if (options.mailbox)
        filtered = Xapian::Query(Xapian::Query::OP_FILTER, filtered, Xapian::Query(mailbox_term(*options.mailbox)));
    if (!options.deleted)
        filtered = Xapian::Query(Xapian::Query::OP_AND_NOT, filtered, Xapian::Query(std::string(prefix::gone) + "server"));
    try {
        Xapian::Database db(directory.string());
        // A writer committing twice while we read invalidates what we read: read again.
        for (int attempt = 0;; ++attempt) {
            try {
                Xapian::Enquire enquire(db);
                enquire.set_query(filtered);
                enquire.set_weighting_scheme(Xapian::BoolWeight());   // order is by date, not relevance
                enquire.set_docid_order(Xapian::Enquire::DESCENDING);
                enquire.set_sort_by_value(slot::date, true);
                const Xapian::doccount wanted = options.limit > 0 ? static_cast<Xapian::doccount>(options.limit) : db.get_doccount();
                const Xapian::MSet matches = enquire.get_mset(0, wanted);
                std::vector<store::MessageId> ids;
                ids.reserve(matches.size());
                for (auto match = matches.begin(); match != matches.end(); ++match) ids.push_back(*match);
                return ids;
            } catch (const Xapian::DatabaseModifiedError&) {
                if (attempt >= 5) throw;
                db.reopen();
            }
        }
    } catch (const Xapian::Error& error) {
        throw Error(ErrorCategory::io, fmt::format("the search index {} cannot be read: {}", directory.string(),
                                                   error.get_description()));
    }
}

}  // namespace mailsync::sync::search

#include "sync/search/search.hpp"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/search/search_document.hpp"
#include "sync/search/search_index.hpp"

namespace mailsync::sync::search {
namespace {

bool is_phrase(Xapian::Query::op type) { return type == Xapian::Query::OP_PHRASE || type == Xapian::Query::OP_NEAR; }

bool has_phrase(const Xapian::Query& query) {
    if (is_phrase(query.get_type())) return true;
    for (std::size_t i = 0; i < query.get_num_subqueries(); ++i)
        if (has_phrase(query.get_subquery(i))) return true;
    return false;
}

Xapian::Query all_words(const Xapian::Query& phrase) {
    std::vector<Xapian::Query> words;
    for (std::size_t i = 0; i < phrase.get_num_subqueries(); ++i) words.push_back(phrase.get_subquery(i));
    return Xapian::Query(Xapian::Query::OP_AND, words.begin(), words.end());
}

// `query` with each phrase replaced: `wide` true, the result matches every document `query` would
// match on an index with all positions (a superset); false, only documents it would match (a
// subset). A phrase as the index runs it proves no more than the header positions show (a subset
// of the true phrase); the AND of its words is a superset. `not` turns one into the other.
Xapian::Query bound(const Xapian::Query& query, bool wide) {
    const auto type = query.get_type();
    if (!has_phrase(query)) return query;
    if (is_phrase(type)) return wide ? all_words(query) : query;
    std::vector<Xapian::Query> parts;
    const auto each = [&](bool part_wide) {
        for (std::size_t i = 0; i < query.get_num_subqueries(); ++i) parts.push_back(bound(query.get_subquery(i), part_wide));
    };
    switch (type) {
        case Xapian::Query::OP_AND:
        case Xapian::Query::OP_OR:
        case Xapian::Query::OP_FILTER:
        case Xapian::Query::OP_SYNONYM:
        case Xapian::Query::OP_MAX:
            each(wide);
            return Xapian::Query(type, parts.begin(), parts.end());
        case Xapian::Query::OP_AND_NOT:   // the first, without any of the others
            for (std::size_t i = 0; i < query.get_num_subqueries(); ++i)
                parts.push_back(bound(query.get_subquery(i), i == 0 ? wide : !wide));
            return Xapian::Query(type, parts.begin(), parts.end());
        case Xapian::Query::OP_AND_MAYBE:   // the first decides what matches
        case Xapian::Query::OP_SCALE_WEIGHT:
            return bound(query.get_subquery(0), wide);
        default:   // XOR and what the parser does not make: the widest or the narrowest of all
            return wide ? Xapian::Query::MatchAll : Xapian::Query::MatchNothing;
    }
}

// Matches of `query` on `db`, newest first: `limit` of them (0: all).
std::vector<Xapian::docid> run(Xapian::Database& db, const Xapian::Query& query, std::size_t limit, bool by_date) {
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    enquire.set_weighting_scheme(Xapian::BoolWeight());   // order is by date, not relevance
    enquire.set_docid_order(Xapian::Enquire::DESCENDING);
    if (by_date) enquire.set_sort_by_value(slot::date, true);
    const Xapian::doccount wanted = limit > 0 ? static_cast<Xapian::doccount>(limit) : std::max<Xapian::doccount>(db.get_doccount(), 1);
    const Xapian::MSet matches = enquire.get_mset(0, wanted);
    std::vector<Xapian::docid> ids;
    ids.reserve(matches.size());
    for (auto match = matches.begin(); match != matches.end(); ++match) ids.push_back(*match);
    return ids;
}

// Whether the message `id` matches `query` when its whole text has positions: its document made
// again from the store, alone in a database in memory. A message gone from the store does not.
class PhraseCheck {
public:
    PhraseCheck(store::Store& store, const Xapian::Query& query) : store_(store), query_(query) {}

    bool matches(Xapian::docid id) {
        const auto record = store_.read([&](const store::ReadTxn& txn) { return txn.message(id); });
        if (!record) return false;
        one_.replace_document(1, message_document(store_, *record, true).document);
        return !run(one_, query_, 1, false).empty();
    }

private:
    store::Store& store_;
    const Xapian::Query& query_;
    Xapian::WritableDatabase one_{std::string(), Xapian::DB_BACKEND_INMEMORY};
};

std::vector<store::MessageId> find_in(store::Store& store, Xapian::Database& db, const Xapian::Query& query,
                                      const SearchOptions& options) {
    std::vector<store::MessageId> ids;
    if (!has_phrase(query)) {
        for (const Xapian::docid id : run(db, query, options.limit, true)) ids.push_back(id);
        return ids;
    }
    std::vector<Xapian::docid> certain = run(db, bound(query, false), 0, false);
    std::sort(certain.begin(), certain.end());
    PhraseCheck check(store, query);
    for (const Xapian::docid id : run(db, bound(query, true), 0, true)) {
        if (!std::binary_search(certain.begin(), certain.end(), id) && !check.matches(id)) continue;
        ids.push_back(id);
        if (options.limit > 0 && ids.size() >= options.limit) break;
    }
    return ids;
}

}  // namespace

std::vector<store::MessageId> find_messages(store::Store& store, const Xapian::Query& query, const SearchOptions& options) {
    const std::filesystem::path directory = index_directory(store.directory());
    if (!index_exists(store.directory()))
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
                return find_in(store, db, filtered, options);
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

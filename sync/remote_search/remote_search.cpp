#include "sync/remote_search/remote_search.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/imap/session.hpp"
#include "sync/local/local_changes.hpp"
#include "sync/pull/record_from_fetch.hpp"
#include "sync/remote_search/query.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::sync::remote_search {
namespace {

// The answers of one UID SEARCH and of the UID FETCH that describes the matches.
class Collector final : public imap::UntaggedHandler {
public:
    void on_untagged(const imap::Response& response) override {
        if (const auto* search = std::get_if<imap::SearchData>(&response)) {
            uids.insert(uids.end(), search->numbers.begin(), search->numbers.end());
        } else if (const auto* esearch = std::get_if<imap::ESearchData>(&response)) {
            if (esearch->uid && esearch->all)
                for (std::uint32_t uid : esearch->all->values()) uids.push_back(uid);
        } else if (const auto* fetch = std::get_if<imap::FetchData>(&response)) {
            if (fetch->uid) fetched.insert_or_assign(*fetch->uid, *fetch);
        }
    }

    std::vector<std::uint32_t> uids;
    std::map<std::uint32_t, imap::FetchData> fetched;
};

// The wire names to search: those the query and --mailbox name (looked up in the mirror, else
// taken as typed: the server may have mailboxes the account does not mirror), or every mailbox of
// the mirror that is on the server.
std::vector<std::string> mailboxes_to_search(store::Store& store, const std::vector<std::string>& named) {
    return store.read([&](const store::ReadTxn& txn) {
        std::vector<std::string> wire;
        if (named.empty()) {
            for (const auto& mailbox : txn.mailboxes())
                if (!mailbox.created_offline && !mailbox.deleted_on_server) wire.push_back(mailbox.name);
            return wire;
        }
        for (const auto& name : named) {
            const auto mailbox = find_mailbox(txn, name);
            wire.push_back(mailbox ? mailbox->name : mailbox_wire_name(name).value_or(name));
        }
        return wire;
    });
}

std::vector<std::uint32_t> uids_matching(imap::Session& session, const std::vector<imap::cmd::SearchKey>& criteria) {
    Collector collector;
    imap::ScopedHandler scope(session, collector);
    imap::cmd::UidSearch search;
    if (session.has_capability("ESEARCH")) search.return_options = {"ALL"};
    search.keys = criteria;
    const auto answer = session.run(std::move(search));
    if (answer.status != imap::Status::ok)
        throw Error(ErrorCategory::protocol, fmt::format("the server refused the search: {}", answer.text));
    std::sort(collector.uids.begin(), collector.uids.end());
    collector.uids.erase(std::unique(collector.uids.begin(), collector.uids.end()), collector.uids.end());
    return collector.uids;
}

std::vector<store::MessageRecord> describe(imap::Session& session, const std::vector<std::uint32_t>& uids) {
    if (uids.empty()) return {};
    Collector collector;
    imap::ScopedHandler scope(session, collector);
    imap::cmd::UidFetch fetch;
    fetch.uids = imap::SequenceSet::from_values(uids);
    fetch.items = {"UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"};
    const auto answer = session.run(std::move(fetch));
    if (answer.status != imap::Status::ok)
        throw Error(ErrorCategory::protocol, fmt::format("the server refused to describe the matches: {}", answer.text));
    std::vector<store::MessageRecord> records;
    for (const auto& [uid, data] : collector.fetched) {
        store::MessageRecord record;
        record.uid = uid;
        fill_from_fetch(record, data);
        records.push_back(std::move(record));
    }
    return records;
}

}  // namespace

std::vector<MailboxMatches> search(Connection& connection, store::Store& store, const std::vector<std::string>& mailboxes,
                                   const std::string& query_text) {
    const ServerQuery query = to_server_query(query_text);
    std::vector<std::string> named = mailboxes;
    named.insert(named.end(), query.mailboxes.begin(), query.mailboxes.end());
    imap::Session& session = *connection.session;
    std::vector<MailboxMatches> results;
    for (const std::string& wire : mailboxes_to_search(store, named)) {
        MailboxMatches& matches = results.emplace_back();
        matches.mailbox = wire;
        imap::cmd::Select examine;
        examine.mailbox = wire;
        examine.read_only = true;
        if (!session.select(examine, true)) {
            matches.error = "the server cannot open it";
            continue;
        }
        std::vector<std::uint32_t> missing;
        try {
            const std::vector<std::uint32_t> uids = uids_matching(session, query.criteria);
            store.read([&](const store::ReadTxn& txn) {
                const auto mailbox = txn.mailbox_by_name(wire);
                for (std::uint32_t uid : uids) {
                    auto record = mailbox ? txn.message_by_uid(mailbox->id, uid) : std::nullopt;
                    if (record) matches.mirrored.push_back(std::move(*record));
                    else missing.push_back(uid);
                }
            });
            matches.not_mirrored = describe(session, missing);
        } catch (const Error& error) {
            if (error.category() != ErrorCategory::protocol) throw;
            matches.error = error.what();
        }
    }
    return results;
}

}  // namespace mailsync::sync::remote_search

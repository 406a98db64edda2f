// search --server: the query language said as IMAP SEARCH keys (sync/remote_search/query.hpp).
#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "sync/imap/command.hpp"
#include "sync/remote_search/query.hpp"
#include "tests/support/expect_error.hpp"

using namespace mailsync;
using sync::remote_search::to_server_query;

namespace {

// The command as a log shows it, without "UID SEARCH ".
std::string keys_of(const std::string& query) {
    imap::cmd::UidSearch search;
    search.keys = to_server_query(query).criteria;
    return imap::describe(search).substr(std::string("UID SEARCH ").size());
}

}  // namespace

TEST_CASE("server query: each field and operator becomes its SEARCH key", "[remote_search]") {
    const std::pair<const char*, const char*> cases[] = {
        {"invoice", "TEXT \"invoice\""},
        {"\"quarterly report\"", "TEXT \"quarterly report\""},
        {"from:alice subject:\"Q3 plan\"", "FROM \"alice\" SUBJECT \"Q3 plan\""},
        {"to:bob and cc:carol", "TO \"bob\" CC \"carol\""},
        {"flag:seen flag:\\Flagged", "SEEN FLAGGED"},
        {"not flag:seen", "NOT SEEN"},
        {"-flag:seen", "NOT SEEN"},
        {"keyword:$Label1", "KEYWORD $Label1"},
        {"larger:1M smaller:2048", "LARGER 1048576 SMALLER 2048"},
        {"date:2026-11-23", "SINCE 23-Nov-2026 BEFORE 24-Nov-2026"},
        {"date:2026-11..", "SINCE 1-Nov-2026"},
        {"date:..2025", "BEFORE 1-Jan-2026"},
        {"alice or bob", "OR TEXT \"alice\" TEXT \"bob\""},
        {"alice or bob or carol", "OR OR TEXT \"alice\" TEXT \"bob\" TEXT \"carol\""},
        {"(from:alice flag:seen) or subject:x", "OR (FROM \"alice\" SEEN) SUBJECT \"x\""},
        {"not (from:alice or from:bob) invoice", "NOT OR FROM \"alice\" FROM \"bob\" TEXT \"invoice\""},
        {"not date:2026-11-23 x", "NOT (SINCE 23-Nov-2026 BEFORE 24-Nov-2026) TEXT \"x\""},
        {"a b or c", "OR (TEXT \"a\" TEXT \"b\") TEXT \"c\""},
        {"not a b or c", "OR (NOT TEXT \"a\" TEXT \"b\") TEXT \"c\""},
    };
    for (const auto& [query, keys] : cases) {
        INFO(query);
        CHECK(keys_of(query) == keys);
    }
}

TEST_CASE("server query: mailbox: narrows the whole query, and alone it asks for ALL", "[remote_search]") {
    const auto query = to_server_query("mailbox:Archive from:alice mailbox:\"Lists/rust\"");
    CHECK(query.mailboxes == std::vector<std::string>{"Archive", "Lists/rust"});
    CHECK(query.criteria.size() == 2);
    CHECK(to_server_query("mailbox:INBOX").criteria.front().text == "ALL");
}

TEST_CASE("server query: what the server cannot be asked is a usage error naming it", "[remote_search]") {
    const std::pair<const char*, const char*> cases[] = {
        {"has:attachment", "has:attachment cannot be asked of an IMAP server"},
        {"flag:unknown", "flag:unknown is not a flag"},
        {"larger:lots", "larger:lots is not a size"},
        {"date:yesterday", "date:yesterday is not a date"},
        {"mailbox:A or x", "mailbox: cannot be part of an \"or\""},
        {"not mailbox:A", "mailbox: can only narrow the whole query"},
        {"(a", "a parenthesis is not closed"},
        {"a)", "unexpected \")\""},
        {"\"open", "a quote (\") is not closed"},
        {"size:3", "size: is not a field the server can search"},
    };
    for (const auto& [query, message] : cases) {
        INFO(query);
        CHECK_THAT(test::error_of(ErrorCategory::usage, [&] { to_server_query(query); }), Catch::Contains(message));
    }
}

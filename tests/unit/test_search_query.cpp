// The query language of `mailsync search` (sync/search/search_query.hpp): each operator's
// translation into Xapian terms and value ranges, and the errors for queries that mean nothing.
#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "sync/search/search_query.hpp"
#include "tests/support/expect_error.hpp"

using namespace mailsync;
using namespace mailsync::sync::search;

namespace {

std::optional<store::MailboxId> mailboxes(std::string_view name) {
    if (name == "INBOX") return 1;
    if (name == "Archive") return 2;
    if (name == "My Box") return 7;
    return std::nullopt;
}

std::string translated(std::string_view query) { return parse_query(query, mailboxes).get_description(); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void expect_error(ErrorCategory category, const std::string& named, const std::function<void()>& action) {
    const std::string message = test::error_of(category, action);
    INFO(message);
    CHECK(contains(message, named));
}

}  // namespace

TEST_CASE("search query: fields become their prefixed terms", "[search]") {
    CHECK(contains(translated("from:alice"), "Aalice"));
    CHECK(contains(translated("to:bob"), "XTObob"));
    CHECK(contains(translated("cc:carol"), "XCCcarol"));
    CHECK(contains(translated("subject:Invoice"), "Sinvoice"));   // lower-cased like the index
    CHECK(contains(translated("flag:seen"), "XFseen"));
    CHECK(contains(translated("flag:\\Flagged"), "XFflagged"));
    CHECK(contains(translated("keyword:$Label1"), "XK$label1"));
    CHECK(contains(translated("mailbox:Archive"), "XM2"));
    CHECK(contains(translated("mailbox:\"My Box\""), "XM7"));
    CHECK(contains(translated("has:attachment"), "XHattachment"));
}

TEST_CASE("search query: phrases keep word order, bare words are and-ed", "[search]") {
    const std::string phrase = translated("\"quarterly report\"");
    CHECK(contains(phrase, "PHRASE"));
    CHECK(contains(phrase, "quarterly"));
    CHECK(contains(translated("from:\"Jane Doe\""), "(Ajane@1 PHRASE 2 Adoe@2)"));
    CHECK(contains(translated("alpha beta"), "alpha@1 AND beta@2"));
}

TEST_CASE("search query: boolean operators in any case, and a leading not", "[search]") {
    CHECK(contains(translated("alpha or beta"), "alpha@1 OR beta@2"));
    CHECK(contains(translated("alpha OR beta"), "alpha@1 OR beta@2"));
    CHECK(contains(translated("alpha and not beta"), "alpha@1 AND_NOT beta@2"));
    CHECK(contains(translated("(alpha or beta) and gamma"), "((alpha@1 OR beta@2) AND gamma@3)"));
    CHECK(contains(translated("not flag:seen"), "<alldocuments> AND_NOT XFseen"));
    CHECK(contains(translated("-foo bar"), "bar@2 AND_NOT foo@1"));
}

TEST_CASE("search query: non-ASCII words and CJK text", "[search]") {
    CHECK(contains(translated("Grüße"), "grüße"));
    // CJK text is split into characters and pairs of them, as the index splits it.
    const std::string cjk = translated("日本語");
    CHECK(contains(cjk, "日本"));
    CHECK(contains(cjk, "本語"));
}

TEST_CASE("search query: sizes and dates are value ranges", "[search]") {
    CHECK(parse_size("1M") == 1048576u);
    CHECK(parse_size("500k") == 512000u);
    CHECK(parse_size("2G") == 2147483648u);
    CHECK(parse_size("123") == 123u);
    CHECK_FALSE(parse_size("1T"));
    CHECK_FALSE(parse_size("M"));
    CHECK_FALSE(parse_size("-5"));
    CHECK(contains(translated("larger:1M"), "VALUE_GE 1"));
    CHECK(contains(translated("smaller:10k"), "VALUE_LE 1"));

    const auto day = parse_date_span("2026-11-23");
    REQUIRE(day);
    CHECK(day->first == 1795392000);   // 2026-11-23T00:00:00Z
    CHECK(day->second == 1795392000 + 86399);
    const auto month = parse_date_span("2026-02");
    REQUIRE(month);
    CHECK(month->second - month->first + 1 == 28 * 86400);
    const auto year = parse_date_span("2024");
    REQUIRE(year);
    CHECK(year->second - year->first + 1 == 366 * 86400);
    CHECK_FALSE(parse_date_span("2026-02-30"));
    CHECK_FALSE(parse_date_span("2026-13"));
    CHECK_FALSE(parse_date_span("yesterday"));
    CHECK(contains(translated("date:2026-01..2026-06"), "VALUE_RANGE 0"));
    CHECK(contains(translated("date:2026-01.."), "VALUE_GE 0"));
    CHECK(contains(translated("date:..2026"), "VALUE_RANGE 0"));
    CHECK(contains(translated("date:2026-11-23"), "VALUE_RANGE 0"));
}

TEST_CASE("search query: what means nothing is a usage error, naming the part", "[search]") {
    expect_error(ErrorCategory::usage, "empty", [] { translated("   "); });
    expect_error(ErrorCategory::usage, "foo and", [] { translated("foo and"); });
    expect_error(ErrorCategory::usage, "flag:bogus", [] { translated("flag:bogus"); });
    expect_error(ErrorCategory::usage, "has:pictures", [] { translated("has:pictures"); });
    expect_error(ErrorCategory::usage, "larger:huge", [] { translated("larger:huge"); });
    expect_error(ErrorCategory::usage, "date:2026-02-30", [] { translated("date:2026-02-30"); });
    expect_error(ErrorCategory::usage, "date:..", [] { translated("date:.."); });
    expect_error(ErrorCategory::bad_input, "Nowhere", [] { translated("mailbox:Nowhere"); });
}

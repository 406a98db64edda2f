// Responses recorded from a real Dovecot 2.3 (tests/data/dovecot/, made by capture.py there).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sync/imap/parser.hpp"
#include "tests/unit/parser_harness.hpp"
#include "tests/support/files.hpp"

using namespace mailsync::imap;
using mailsync::test::read_file;

namespace {

const std::filesystem::path data_dir = std::filesystem::path(MAILSYNC_SOURCE_DIR) / "tests/data/dovecot";

test::Outcome parse_capture(const std::string& name) {
    const std::string input = read_file(data_dir / name);
    REQUIRE_FALSE(input.empty());
    auto outcome = test::run_all_splits(input, true);
    INFO(name << ": " << outcome.error_message);
    REQUIRE_FALSE(outcome.error);
    return outcome;
}

template <class T>
std::vector<T> all_of(const test::Outcome& outcome) {
    std::vector<T> found;
    for (const auto& response : outcome.typed) {
        if (const auto* value = std::get_if<T>(&response)) found.push_back(*value);
    }
    return found;
}

const StatusResponse& last_status(const test::Outcome& outcome) {
    REQUIRE_FALSE(outcome.typed.empty());
    REQUIRE(std::holds_alternative<StatusResponse>(outcome.typed.back()));
    return std::get<StatusResponse>(outcome.typed.back());
}

}  // namespace

TEST_CASE("every recorded Dovecot response parses, whole and split anywhere", "[parser][dovecot]") {
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
        if (entry.path().extension() != ".imap") continue;
        ++files;
        const std::string name = entry.path().filename().string();
        INFO(name);
        const auto outcome = parse_capture(name);
        // One response per CRLF outside literals, at least; the last one completes the step.
        CHECK(outcome.typed.size() >= 1);
        if (name != "01-greeting.imap") CHECK(last_status(outcome).tag.has_value());
        // Without a sink the (small) bodies stay in memory and the rest is the same.
        const auto in_memory = test::run_whole(read_file(entry.path()), false);
        CHECK_FALSE(in_memory.error);
        CHECK(in_memory.typed.size() == outcome.typed.size());
    }
    CHECK(files >= 20);
}

TEST_CASE("Dovecot: greeting, capabilities, LIST-STATUS", "[parser][dovecot]") {
    const auto greeting = parse_capture("01-greeting.imap");
    CHECK(last_status(greeting).text == "Dovecot (Debian) ready.");
    const auto login = parse_capture("03-login.imap");
    const auto capabilities = all_of<CapabilityData>(login);
    REQUIRE(capabilities.size() == 1);
    const auto& names = capabilities[0].capabilities;
    CHECK(std::find(names.begin(), names.end(), "QRESYNC") != names.end());
    CHECK(std::find(names.begin(), names.end(), "STATUS=SIZE") != names.end());

    const auto list = parse_capture("10-list-status.imap");
    const auto lists = all_of<ListData>(list);
    const auto statuses = all_of<StatusData>(list);
    REQUIRE(lists.size() >= 2);
    CHECK(lists.size() == statuses.size());
    const auto archive = std::find_if(lists.begin(), lists.end(),
                                      [](const ListData& l) { return l.mailbox == "Archive"; });
    REQUIRE(archive != lists.end());
    CHECK(archive->attributes == std::vector<std::string>{"\\SUBSCRIBED", "\\HASNOCHILDREN", "\\ARCHIVE"});
    CHECK(archive->delimiter == '/');
    const auto inbox = std::find_if(statuses.begin(), statuses.end(),
                                    [](const StatusData& s) { return s.mailbox == "INBOX"; });
    REQUIRE(inbox != statuses.end());
    CHECK(inbox->messages == 3u);
    CHECK(inbox->uidnext == 4u);
    CHECK(inbox->highestmodseq.has_value());
    CHECK(inbox->size.has_value());
}

TEST_CASE("Dovecot: SELECT with QRESYNC, VANISHED (EARLIER), UIDPLUS codes", "[parser][dovecot]") {
    const auto select = parse_capture("19-select-qresync.imap");
    const auto vanished = all_of<VanishedData>(select);
    REQUIRE(vanished.size() == 1);
    CHECK(vanished[0].earlier);
    CHECK(vanished[0].uids.to_string() == "2");
    const auto fetches = all_of<FetchData>(select);
    REQUIRE(fetches.size() == 1);
    CHECK(fetches[0].modseq.has_value());
    std::size_t codes = 0;
    for (const auto& status : all_of<StatusResponse>(select)) {
        if (status.code) ++codes;
    }
    CHECK(codes >= 5);  // PERMANENTFLAGS, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, READ-WRITE

    const auto append_outcome = parse_capture("07-append-1.imap");
    const auto& append = last_status(append_outcome);
    REQUIRE(append.code);
    CHECK(std::get<code::AppendUid>(*append.code).uids.to_string() == "1");
    const auto copy_outcome = parse_capture("15-copy.imap");
    const auto& copy = last_status(copy_outcome);
    REQUIRE(copy.code);
    CHECK(std::get<code::CopyUid>(*copy.code).source.to_string() == "1:2");
    const auto modified_outcome = parse_capture("14-store-unchanged.imap");
    const auto& modified = last_status(modified_outcome);
    REQUIRE(modified.code);
    CHECK(std::holds_alternative<code::Modified>(*modified.code));
    const auto expunge = parse_capture("17-expunge.imap");
    CHECK(all_of<VanishedData>(expunge).size() == 1);
}

TEST_CASE("Dovecot: FETCH with ENVELOPE and streamed BODY[]", "[parser][dovecot]") {
    const std::string input = read_file(data_dir / "20-fetch.imap");
    Parser parser;
    test::RecordingSink sink;
    parser.set_body_sink(&sink);
    parser.feed(input);
    std::vector<FetchData> fetches;
    while (auto response = parser.next()) {
        if (auto* fetch = std::get_if<FetchData>(&*response)) fetches.push_back(*fetch);
    }
    REQUIRE(fetches.size() == 2);
    REQUIRE(sink.contexts.size() == 2);
    for (std::size_t i = 0; i < fetches.size(); ++i) {
        const FetchData& fetch = fetches[i];
        REQUIRE(fetch.envelope);
        CHECK(fetch.envelope->from.at(0).mailbox == "alice");
        REQUIRE(fetch.envelope->to.size() == 2);
        CHECK(fetch.envelope->to[1].name == "Carol \"C\" Doe");  // sent as a literal
        CHECK(fetch.envelope->cc.size() == 2);                  // a group: start and end markers
        REQUIRE(fetch.sections.size() == 1);
        CHECK(fetch.sections[0].streamed);
        CHECK(fetch.sections[0].size == fetch.rfc822_size);
        CHECK(sink.contexts[i].uid == fetch.uid);
        CHECK(sink.bodies[i].size() == fetch.rfc822_size);
        CHECK(sink.bodies[i].rfind("From: \"Alice Example\"", 0) == 0);
    }
    CHECK(fetches[1].envelope->subject == "Third \"quoted\"");
}

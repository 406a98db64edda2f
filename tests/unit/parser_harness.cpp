#include "tests/unit/parser_harness.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/unit/response_dump.hpp"

namespace mailsync::imap::test {

void RecordingSink::begin(const BodyContext& context) {
    if (open) protocol_violations.push_back("begin while open");
    open = true;
    contexts.push_back(context);
    bodies.emplace_back();
}

void RecordingSink::write(std::string_view chunk) {
    if (!open) protocol_violations.push_back("write while closed");
    if (chunk.empty()) protocol_violations.push_back("empty write");
    ++writes;
    if (!bodies.empty()) bodies.back().append(chunk);
}

void RecordingSink::finish() {
    if (!open) protocol_violations.push_back("finish while closed");
    open = false;
    if (!bodies.empty() && bodies.back().size() != contexts.back().size) {
        protocol_violations.push_back("body size differs from announced size");
    }
}

std::string RecordingSink::log() const {
    std::string out;
    for (std::size_t i = 0; i < contexts.size(); ++i) {
        const BodyContext& c = contexts[i];
        out += fmt::format("[seq={} uid={} {}[{}] size={} binary={} body=<{}>]", c.seq,
                           c.uid ? fmt::format("{}", *c.uid) : "nil", c.item, c.section, c.size,
                           c.binary, bodies[i]);
    }
    for (const auto& violation : protocol_violations) out += " VIOLATION: " + violation;
    if (open) out += " (open)";
    return out;
}

Outcome run_parser(std::string_view input, const std::vector<std::size_t>& cuts, bool with_sink,
                   ParserLimits limits) {
    Parser parser(limits);
    RecordingSink sink;
    if (with_sink) parser.set_body_sink(&sink);
    Outcome outcome;
    std::size_t start = 0;
    auto pieces = cuts;
    pieces.push_back(input.size());
    try {
        for (std::size_t end : pieces) {
            parser.feed(input.substr(start, end - start));
            start = end;
            while (auto response = parser.next()) {
                outcome.responses.push_back(dump(*response));
                outcome.typed.push_back(std::move(*response));
            }
            outcome.max_buffered = std::max(outcome.max_buffered, parser.buffered());
        }
    } catch (const Error& error) {
        outcome.error = error.category();
        outcome.error_message = error.what();
    }
    outcome.sink_log = sink.log();
    return outcome;
}

Outcome run_whole(std::string_view input, bool with_sink, ParserLimits limits) {
    return run_parser(input, {}, with_sink, limits);
}

Outcome run_bytewise(std::string_view input, bool with_sink, ParserLimits limits) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
    return run_parser(input, cuts, with_sink, limits);
}

namespace {

void require_same(const Outcome& expected, const Outcome& actual, std::string_view how) {
    INFO("feeding " << how);
    REQUIRE(actual.responses == expected.responses);
    REQUIRE(actual.sink_log == expected.sink_log);
    REQUIRE(actual.error == expected.error);
}

}  // namespace

Outcome run_all_splits(std::string_view input, bool with_sink, ParserLimits limits) {
    Outcome whole = run_whole(input, with_sink, limits);
    for (std::size_t cut = 1; cut < input.size(); ++cut) {
        require_same(whole, run_parser(input, {cut}, with_sink, limits),
                     fmt::format("split at byte {}", cut));
    }
    require_same(whole, run_bytewise(input, with_sink, limits), "one byte at a time");
    return whole;
}

}  // namespace mailsync::imap::test

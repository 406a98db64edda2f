// Drives a Parser over an input cut at chosen points, recording every response, every body-sink
// event and the error if any, in canonical text so that different cuts can be compared.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "sync/imap/parser.hpp"

namespace mailsync::imap::test {

// Records body literals; checks that begin/write/finish come in order.
class RecordingSink : public BodySink {
public:
    void begin(const BodyContext& context) override;
    void write(std::string_view chunk) override;
    void finish() override;

    std::vector<BodyContext> contexts;
    std::vector<std::string> bodies;
    std::vector<std::string> protocol_violations;  // of the begin/write/finish order
    std::size_t writes = 0;
    bool open = false;

    std::string log() const;
};

struct Outcome {
    std::vector<std::string> responses;  // dump() of each
    std::vector<Response> typed;
    std::string sink_log;
    std::optional<ErrorCategory> error;
    std::string error_message;
    std::size_t max_buffered = 0;
};

// Feeds `input` in pieces ending at each of `cuts` (ascending offsets) and then the rest, calling
// next() until nullopt after each piece.
Outcome run_parser(std::string_view input, const std::vector<std::size_t>& cuts, bool with_sink,
                   ParserLimits limits = {});
Outcome run_whole(std::string_view input, bool with_sink = true, ParserLimits limits = {});
Outcome run_bytewise(std::string_view input, bool with_sink = true, ParserLimits limits = {});

// Outcome of the whole input, after checking (with Catch2) that every single cut position and
// byte-at-a-time feeding give exactly the same outcome.
Outcome run_all_splits(std::string_view input, bool with_sink = true, ParserLimits limits = {});

}  // namespace mailsync::imap::test

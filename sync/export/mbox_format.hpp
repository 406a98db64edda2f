// The mboxrd form of a message, as `export --format mbox` writes it (sync/export/export.hpp):
// the From_ line, the Status:/X-Status: lines, and the quoting of lines matching ^>*From .
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"

namespace mailsync::sync {

// "From sender Www Mmm dd hh:mm:ss yyyy\n".
std::string mbox_from_line(const store::MessageRecord& message);
// The Status: and X-Status: lines, each ending with `line_ending`.
std::string mbox_status_lines(const std::vector<std::string>& flags, std::string_view line_ending);

// Streams a message through mboxrd quoting: every line matching ^>*From  gets one more '>'.
// Memory is constant whatever the line lengths.
class MboxrdQuoter {
public:
    explicit MboxrdQuoter(std::function<void(std::string_view)> sink) : sink_(std::move(sink)) {}
    void write(std::string_view chunk);
    // Flushes what is held back; afterwards ends_with_newline() says how the message ended.
    void finish();
    bool ends_with_newline() const { return last_ == '\n'; }

private:
    void flush_prefix();
    void emit(std::string_view bytes);

    std::function<void(std::string_view)> sink_;
    bool at_line_start_ = true;
    std::uint64_t quotes_ = 0;   // '>' seen at the start of the current line
    std::size_t matched_ = 0;    // characters of "From " matched after them
    std::string buffer_;
    char last_ = '\n';
};

}  // namespace mailsync::sync

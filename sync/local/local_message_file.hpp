// A message file given to `append`, turned into the exact bytes that will be uploaded and stored.
//
// The stored body is the file with every line end made CRLF (servers require it, and storing what
// will be uploaded keeps the mirror byte-identical to the server after replay), a leading mbox
// "From " envelope line dropped, and — when the header has no Message-ID — a line
// "Message-ID: <mailsync.HEX@mailsync.invalid>" put first, so that an APPEND which may have reached
// the server before a crash can be found again by Message-ID. The user's file is not changed.
//
// A file is a message when it starts with a header block (field lines "Name: value" and their
// folded continuations) that holds at least one of From, Date, Subject, Message-ID and ends with a
// blank line. NUL bytes are refused: APPEND cannot carry them without the BINARY extension.
// Memory stays bounded: the header (at most max_local_header_bytes) is held, the rest streamed.
#pragma once

#include <cstddef>
#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace mailsync::sync {

inline constexpr std::size_t max_local_header_bytes = 1u << 20;

// The header fields `list` shows, unfolded and trimmed, encoded words left as they are.
struct MessageHeader {
    std::string message_id;
    std::string from;
    std::string subject;
    std::string date;
};

// Parses a header block (CRLF or LF line ends, up to and including the blank line, or the whole
// message). nullopt when it is not a header block as described above.
std::optional<MessageHeader> parse_message_header(std::string_view header_block);

// Reads the header of a stored body (e.g. for replay to find a possibly-duplicated APPEND).
// nullopt when it has none.
std::optional<MessageHeader> read_message_header(std::istream& body);

// Turns bare LF and bare CR into CRLF, across chunk boundaries.
class CrlfNormalizer {
public:
    // Appends the normalised form of `chunk` to `out`. Error(bad_input) on a NUL byte.
    void feed(std::string_view chunk, std::string& out);
    // Appends what a final bare CR stands for.
    void finish(std::string& out);

private:
    bool pending_cr_ = false;
};

struct PreparedMessage {
    store::StoredBody body;
    MessageHeader header;          // message_id is the one stored (possibly added)
    bool message_id_added = false;
};

// Reads `file`, checks that it is a message and writes the body to the store (committed, so that a
// row may name it). Error(bad_input) naming the file when it is missing or not a message;
// Error(io) when it cannot be read.
PreparedMessage store_message_file(const store::Store& store, const std::filesystem::path& file);

// A fresh Message-ID, "<mailsync.32-hex-digits@mailsync.invalid>".
std::string generate_message_id();

}  // namespace mailsync::sync

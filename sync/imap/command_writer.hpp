// The writer under the command encoder (command.cpp): the checks of what a command may carry
// (atoms, flags, fetch items, date-time, base64) and Writer, which turns tokens, strings (quoted, or
// literals with LITERAL+/LITERAL-), secrets, sequence sets, flag lists and message files into the
// parts of an EncodedCommand, or into a one-line rendering for logs. Internal to the encoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "sync/imap/command.hpp"

namespace mailsync::imap::encoding {

[[noreturn]] void fail(ErrorCategory category, std::string message);

// RFC 9051: ASTRING-CHAR = ATOM-CHAR / resp-specials
bool is_astring_char(unsigned char c);
bool all_of(std::string_view text, bool (*predicate)(unsigned char));
bool is_atom(std::string_view text);
// flag = "\" atom / atom (system flags, flag-extension and flag-keyword all have this shape).
bool is_flag(std::string_view text);
bool is_base64_char(unsigned char c);
// fetch-att as the engine writes it, e.g. "BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.1024>".
bool is_fetch_item(std::string_view text);
// date-time without its quotes, e.g. "17-Jul-1996 02:44:25 -0700".
bool is_date_time(std::string_view text);

// Encoding for the wire, or a one-line rendering for logs that hides secrets and never throws
// on content (a log line must be written even for the command that could not be encoded).
enum class Mode { wire, log };

class Writer {
public:
    Writer(const EncoderOptions& options, Mode mode) : options_(options), mode_(mode) {}

    void raw(std::string_view text);
    void space();

    // A token the encoder builds itself or checks with `valid` (atoms, flags, fetch items).
    void token(std::string_view text, bool valid, ErrorCategory category, std::string_view what);
    void number(std::uint64_t value);
    void astring(std::string_view text);

    // string = quoted / literal: never an atom.
    void string(std::string_view text);

    // RFC 3501 §5.1: INBOX is case-insensitive; sending it canonically avoids servers that
    // would otherwise create a second, differently cased mailbox.
    void mailbox(std::string_view name);
    void secret(std::string_view text);
    void sequence_set(const SequenceSet& set, std::string_view what, bool to_star = false);
    void flag_list(const std::vector<std::string>& flags);
    void file(const std::string& path, std::uint64_t size);
    void end_line();
    std::vector<Part> take();
    std::string text() const;

private:
    bool quotable(std::string_view text) const;
    void quoted(std::string_view text);
    void literal(std::string_view text);

    // Writes "{n}" or "{n+}" and ends the line; returns whether the server must send "+" first.
    bool literal_header(std::uint64_t size);
    void check_line_length();
    void quoted_for_log(std::string_view text);
    static std::string escaped_byte(unsigned char c);
    static std::string printable(std::string_view text);

    // Adjacent bytes are merged so that the session writes few, large buffers.
    void append_bytes(std::string_view text);

    const EncoderOptions& options_;
    Mode mode_;
    std::vector<Part> parts_;
    std::size_t line_length_ = 0;
};

// Throws Error(internal) in wire mode when a mod-sequence exceeds 2^63-1 (RFC 7162).
void check_mod_sequence(std::uint64_t value, Mode mode);
// The items separated by spaces, each checked to be an atom.
void atoms(Writer& w, const std::vector<std::string>& items, std::string_view what);
// In wire mode, Error(internal) with `message` unless `condition` holds.
void require(bool condition, Mode mode, std::string_view message);

}  // namespace mailsync::imap::encoding

// How commands talk to the user: results on stdout (text, or one JSON document with --json), and
// notes, warnings and progress on stderr, as much as -q / -v and the terminal call for. A cron job
// (stdout not a terminal) hears nothing but results and errors unless -v is given.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailsync::cli {

enum class Verbosity { quiet, normal, verbose };

class Output {
public:
    Output(std::ostream& out, std::ostream& err, Verbosity verbosity, bool json, bool interactive);
    // Output on the process's stdout/stderr; `interactive` is whether stdout is a terminal.
    static Output for_process(Verbosity verbosity, bool json);

    bool json() const { return json_; }
    Verbosity verbosity() const { return verbosity_; }
    bool interactive() const { return interactive_; }
    // Worth drawing a progress bar: a person is watching and did not ask for silence or JSON.
    bool shows_progress() const;

    // What the command was asked for (a listing, a message): always written, to stdout.
    void result(std::string_view text);
    // A summary ("3 mailboxes synced"): on a terminal, or with -v; never with -q.
    void note(std::string_view text);
    // Detail for -v only.
    void detail(std::string_view text);
    // Something the user should fix, though the command goes on: stderr, unless -q.
    void warning(std::string_view text);

    std::ostream& out() { return out_; }
    std::ostream& err() { return err_; }

private:
    std::ostream& out_;
    std::ostream& err_;
    Verbosity verbosity_;
    bool json_;
    bool interactive_;
};

// "text" as a JSON string literal; bytes that are not UTF-8 become U+FFFD, so the document stays
// valid whatever a message header contained.
std::string json_quote(std::string_view text);

// Builds one JSON document; commas and nesting are tracked so callers cannot get them wrong.
class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view name);
    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(std::int64_t number);
    JsonWriter& value(std::uint64_t number);
    JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
    JsonWriter& value(unsigned number) { return value(static_cast<std::uint64_t>(number)); }
    JsonWriter& value(bool flag);
    JsonWriter& null();
    // A value already encoded as JSON by another JsonWriter (e.g. one that `watch` sent).
    JsonWriter& encoded(std::string_view document);
    template <typename T>
    JsonWriter& value(const std::optional<T>& maybe) {
        return maybe ? value(*maybe) : null();
    }
    // The finished document; every container must be closed.
    const std::string& str() const;

private:
    void before_value();
    std::string text_;
    std::vector<bool> container_has_items_;  // per open container
    bool after_key_ = false;
};

}  // namespace mailsync::cli

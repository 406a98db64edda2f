// Whole lines to a shared stream. A LineStream collects what is written to it and hands each
// finished line to its target at once, under a mutex that every LineStream of that target shares,
// with an optional prefix (a timestamp) in front. So the accounts `sync` runs in parallel never
// interleave mid-line on stderr, and each line of watch's log carries its time.
//
// A line is handed over when its '\n' is written; flushing does not cut a line in two. What is left
// unfinished is handed over (with a '\n') when the stream is destroyed. A progress bar's '\r' is
// not a line end: no LineStream is given to a progress bar.
#pragma once

#include <functional>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>

namespace mailsync::cli {

class LineBuffer final : public std::streambuf {
public:
    using Prefix = std::function<std::string()>;
    LineBuffer(std::ostream& target, std::mutex& target_mutex, Prefix prefix);
    ~LineBuffer() override;
    LineBuffer(const LineBuffer&) = delete;
    LineBuffer& operator=(const LineBuffer&) = delete;

protected:
    int_type overflow(int_type ch) override;
    std::streamsize xsputn(const char* text, std::streamsize size) override;

private:
    void hand_over();   // the line collected so far, with its '\n'

    std::ostream& target_;
    std::mutex& target_mutex_;
    Prefix prefix_;
    std::string line_;
};

class LineStream final : public std::ostream {
public:
    // `prefix`, when given, is called for each line as it is handed over.
    LineStream(std::ostream& target, std::mutex& target_mutex, LineBuffer::Prefix prefix = {})
        : std::ostream(nullptr), buffer_(target, target_mutex, std::move(prefix)) {
        rdbuf(&buffer_);
    }

private:
    LineBuffer buffer_;
};

// "2026-12-02T07:10:00+01:00 ": the local time in RFC 3339, to start a line of a log.
std::string log_timestamp();

// The mutex of the process's stderr, for every LineStream writing there.
std::mutex& stderr_mutex();

}  // namespace mailsync::cli

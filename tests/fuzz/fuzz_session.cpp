// libFuzzer target for the IMAP session: a fake server whose bytes come from the fuzzer, behind a
// MemoryTransport, while a Session runs what a sync does — greeting, login (AUTHENTICATE PLAIN or
// LOGIN, as the capabilities say), ENABLE QRESYNC, SELECT with QRESYNC parameters, a UID FETCH of
// bodies into a sink, pipelined commands, IDLE, LOGOUT.
//
// Input layout: byte 0 the chunk size the server's bytes are delivered in (reads never cross a
// chunk), byte 1 options (bit 0: small parser limits, bit 1: the stream ends with EOF rather than
// silence, bit 2: a pipeline depth of 1). The rest is the server's byte stream; the client's tags
// are m1, m2, ... in the order above.
//
// Besides "no crash, no UB, no leak": every failure is a mailsync::Error of a category a server can
// cause (protocol, unavailable, auth) — never internal, never another exception type — and the
// body sink sees begin/write/finish in order with at most the announced bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "sync/imap/memory_transport.hpp"
#include "sync/imap/session.hpp"

namespace {

using namespace mailsync;
using namespace mailsync::imap;

[[noreturn]] void broken_promise(const char* what) {
    std::fprintf(stderr, "fuzz_session: %s\n", what);
    std::abort();
}

class CheckingSink : public BodySink {
public:
    void begin(const BodyContext& context) override {
        if (open_) broken_promise("begin() while a body is open");
        open_ = true;
        expected_ = context.size;
        received_ = 0;
    }
    void write(std::string_view chunk) override {
        if (!open_) broken_promise("write() without begin()");
        if (chunk.empty()) broken_promise("empty write()");
        received_ += chunk.size();
        if (received_ > expected_) broken_promise("more body bytes than announced");
    }
    void finish() override {
        if (!open_) broken_promise("finish() without begin()");
        if (received_ != expected_) broken_promise("fewer body bytes than announced");
        open_ = false;
    }

private:
    bool open_ = false;
    std::uint64_t expected_ = 0;
    std::uint64_t received_ = 0;
};

struct Recorder : UntaggedHandler {
    std::size_t seen = 0;
    void on_untagged(const Response&) override { ++seen; }
};

void drive(Session& session, CheckingSink& sink) {
    session.read_greeting();
    if (session.state() == SessionState::not_authenticated) {
        if (session.has_capability("AUTH=PLAIN")) session.authenticate_plain("user", "secret");
        else session.login("user", "secret");
    }
    const bool qresync = session.has_capability("QRESYNC") && session.has_capability("ENABLE");
    if (qresync) session.enable({"QRESYNC"});

    cmd::Select select;
    select.mailbox = "INBOX";
    if (session.is_enabled("QRESYNC")) {
        cmd::QresyncParams params;
        params.uidvalidity = 7;
        params.modseq = 100;
        params.known_uids = SequenceSet::parse("1:20");
        select.qresync = params;
    }
    if (!session.select(select, true)) return;

    session.set_body_sink(&sink);
    cmd::UidFetch fetch;
    fetch.uids.add(1);
    fetch.to_star = true;
    fetch.items = {"UID", "FLAGS", "MODSEQ", "BODY.PEEK[]"};
    if (session.is_enabled("QRESYNC")) {
        fetch.changed_since = 50;
        fetch.vanished = true;
    }
    session.run(fetch);
    session.set_body_sink(nullptr);

    // Pipelined: several commands in flight, answered in any order the server likes.
    cmd::UidStore store;
    store.uids.add(3);
    store.unchanged_since = 90;
    store.flags = {"\\Seen"};
    const std::string a = session.send(store);
    const std::string b = session.send(cmd::Noop{});
    cmd::UidSearch search;
    search.return_options = {"ALL"};
    search.criteria = "UID 1:*";
    const std::string c = session.send(search);
    session.wait(b);
    session.wait(a);
    session.wait(c);

    if (session.has_capability("IDLE")) {
        session.idle_start();
        session.idle_wait(Clock::now());
        session.idle_done();
    }
    session.logout();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t chunk = 1 + data[0] % 97;
    const bool small_limits = (data[1] & 1) != 0;
    const bool eof = (data[1] & 2) != 0;
    const bool serial = (data[1] & 4) != 0;
    const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

    auto transport = std::make_unique<MemoryTransport>();
    for (std::size_t offset = 0; offset < stream.size(); offset += chunk)
        transport->push_incoming(std::string(stream.substr(offset, chunk)));
    if (eof) transport->close_incoming();

    SessionOptions options;
    options.timeout = std::chrono::milliseconds(100);
    options.max_in_flight = serial ? 1 : 8;
    if (small_limits) {
        options.limits.max_response_bytes = 4096;
        options.limits.max_inline_literal = 512;
        options.limits.max_body_literal = 1u << 16;
    }
    Session session(std::move(transport), options);
    Recorder recorder;
    session.set_handler(&recorder);
    CheckingSink sink;
    try {
        drive(session, sink);
    } catch (const Error& error) {
        switch (error.category()) {
        case ErrorCategory::protocol:
        case ErrorCategory::unavailable:
        case ErrorCategory::auth:
            break;
        case ErrorCategory::usage:
        case ErrorCategory::bad_input:
        case ErrorCategory::cannot_create:
        case ErrorCategory::io:
        case ErrorCategory::config:
        case ErrorCategory::busy:
        case ErrorCategory::internal:
            std::fprintf(stderr, "fuzz_session: error of an unexpected category: %s\n", error.what());
            std::abort();
        }
    }
    // Whatever happened, logout() and destruction must be safe.
    session.set_body_sink(nullptr);
    session.logout();
    return 0;
}

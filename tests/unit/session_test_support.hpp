// The session's unit tests (test_session*.cpp): a scripted server behind a MemoryTransport, and a
// fixture holding a session that reads the given greeting first.
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "sync/imap/memory_transport.hpp"
#include "sync/imap/session.hpp"

namespace mailsync::imap::test {

// Answers each complete command line by its verb; "$TAG" in a reply is the command's tag.
// Commands it has no answer for stay unanswered, so pipelining can be observed.
class ScriptedServer {
public:
    explicit ScriptedServer(MemoryTransport& transport) {
        transport.set_responder([this](std::string_view written, MemoryTransport& t) {
            buffer_ += written;
            std::size_t end;
            while ((end = buffer_.find("\r\n")) != std::string::npos) {
                std::string line = buffer_.substr(0, end);
                buffer_.erase(0, end + 2);
                lines.push_back(line);
                const auto space = line.find(' ');
                if (space == std::string::npos) continue;
                const std::string tag = line.substr(0, space);
                std::string rest = line.substr(space + 1);
                for (auto& [prefix, reply] : replies) {
                    if (rest.rfind(prefix, 0) == 0) {
                        t.push_incoming(std::regex_replace(reply, std::regex("\\$TAG"), tag));
                        break;
                    }
                }
            }
        });
    }
    std::vector<std::pair<std::string, std::string>> replies;  // command prefix → reply
    std::vector<std::string> lines;                            // every line the client sent

private:
    std::string buffer_;
};

struct Recorder : UntaggedHandler {
    std::vector<Response> seen;
    void on_untagged(const Response& response) override { seen.push_back(response); }
};

struct Fixture {
    MemoryTransport* transport;
    std::unique_ptr<Session> session;
    std::unique_ptr<ScriptedServer> server;

    explicit Fixture(std::string greeting, SessionOptions options = {}) {
        auto owned = std::make_unique<MemoryTransport>();
        transport = owned.get();
        server = std::make_unique<ScriptedServer>(*transport);
        transport->push_incoming(std::move(greeting));
        session = std::make_unique<Session>(std::move(owned), options);
    }
};

inline const char* kGreeting = "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE ENABLE QRESYNC CONDSTORE AUTH=PLAIN] ready\r\n";

inline ErrorCategory category_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& error) {
        return error.category();
    }
    FAIL("no error was thrown");
    return ErrorCategory::internal;
}


}  // namespace mailsync::imap::test

// A Dovecot of one test's own (tests/integration/dovecot-fixture.sh), so that stopping it and
// starting it again disturbs no other test. Unlike masked_dovecot.hpp it leaves
// $MAILSYNC_TEST_DOVECOT alone: the test speaks to it through its port.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

namespace mailsync::test {

struct PrivateDovecot {
    std::filesystem::path dir;
    int imap_port = 0, imaps_port = 0;
    PrivateDovecot() {
        std::string pattern = "/tmp/msw-XXXXXX";
        REQUIRE(::mkdtemp(pattern.data()));
        dir = pattern;
        start("");
    }
    ~PrivateDovecot() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
    static std::string script() { return MAILSYNC_SOURCE_DIR "/tests/integration/dovecot-fixture.sh"; }
    void start(const std::string& ports) {
        const std::string env = ports.empty() ? "" : "DOVECOT_FIXTURE_FIRST_PORTS='" + ports + "' ";
        REQUIRE(std::system((env + script() + " start " + dir.string() + " >/dev/null").c_str()) == 0);
        std::ifstream in(dir / "env");
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("IMAP_PORT=", 0) == 0) imap_port = std::stoi(line.substr(10));
            if (line.rfind("IMAPS_PORT=", 0) == 0) imaps_port = std::stoi(line.substr(11));
        }
    }
    void stop() { [[maybe_unused]] int ignored = std::system((script() + " stop " + dir.string() + " >/dev/null 2>&1").c_str()); }
    void restart() {
        const std::string ports = std::to_string(imap_port) + " " + std::to_string(imaps_port);
        start(ports);
    }
};

}  // namespace mailsync::test

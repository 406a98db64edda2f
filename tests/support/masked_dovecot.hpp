// A private Dovecot (tests/integration/dovecot-fixture.sh, a throwaway instance of one test) that
// advertises only the capabilities the test names, through Dovecot's `imap_capability` setting: for
// mailsync's behaviour on servers without QRESYNC, CONDSTORE, MOVE, UIDPLUS ... Dovecot would still
// execute a masked command, but mailsync sends only what the server advertises, so the test sees
// what such a server would get.
//
// Start it FIRST in the test (before anything calls DovecotFixture::get()): it points
// $MAILSYNC_TEST_DOVECOT at itself, so that DovecotFixture::get() and every helper of
// tests/support/dovecot.hpp (doveadm, seed, status, ...) speak to it for the rest of the process (CTest
// runs each TEST_CASE in a process of its own).
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace mailsync::test {

// Capability lists of the offline scenarios (Dovecot 2.3's own list, pruned).
inline const std::string capabilities_condstore_only =
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UNSELECT CHILDREN NAMESPACE UIDPLUS MOVE "
    "LIST-EXTENDED ESEARCH LIST-STATUS SPECIAL-USE CONDSTORE";
inline const std::string capabilities_without_move_uidplus =
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UNSELECT CHILDREN NAMESPACE LIST-EXTENDED "
    "ESEARCH LIST-STATUS SPECIAL-USE CONDSTORE QRESYNC";
inline const std::string capabilities_bare = "IMAP4rev1";

class MaskedDovecot {
public:
    // `capabilities`: the list to advertise after login, e.g. "IMAP4rev1 CONDSTORE"; empty: Dovecot's own.
    // `extra_conf`: more dovecot.conf lines. `offer_compress`: false leaves imap_zlib out (COMPRESS
    // is masked by any `capabilities` list without COMPRESS=DEFLATE anyway).
    explicit MaskedDovecot(const std::string& capabilities, const std::string& extra_conf = {}, bool offer_compress = true) {
        std::string pattern = (std::filesystem::temp_directory_path() / "msmask-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        parent_ = pattern;
        dir_ = parent_ / "dovecot";
        const auto extra = parent_ / "extra.conf";
        {
            std::ofstream out(extra);
            if (!capabilities.empty()) out << "imap_capability = " << capabilities << "\n";
            out << extra_conf;
        }
        const std::string command = "DOVECOT_FIXTURE_EXTRA_CONF='" + extra.string() + "' DOVECOT_FIXTURE_COMPRESS=" +
                                    (offer_compress ? "yes " : "no ") + script() + " start '" + dir_.string() + "' >/dev/null";
        if (std::system(command.c_str()) != 0) throw std::runtime_error("cannot start a private Dovecot: " + command);
        ::setenv("MAILSYNC_TEST_DOVECOT", dir_.c_str(), 1);
    }
    ~MaskedDovecot() {
        [[maybe_unused]] const int ignored =
            std::system((script() + " stop '" + dir_.string() + "' >/dev/null 2>&1").c_str());
        std::error_code error;
        std::filesystem::remove_all(parent_, error);
    }
    MaskedDovecot(const MaskedDovecot&) = delete;
    MaskedDovecot& operator=(const MaskedDovecot&) = delete;

    // Its plaintext IMAP port (from the fixture's env file), for a test that also speaks to the
    // shared fixture (whose DovecotFixture::get() it called before starting this one).
    std::uint16_t imap_port() const {
        std::ifstream env(dir_ / "env");
        for (std::string line; std::getline(env, line);)
            if (line.starts_with("IMAP_PORT=")) return static_cast<std::uint16_t>(std::stoi(line.substr(10)));
        throw std::runtime_error("no IMAP_PORT in " + (dir_ / "env").string());
    }

private:
    static std::string script() { return MAILSYNC_SOURCE_DIR "/tests/integration/dovecot-fixture.sh"; }
    std::filesystem::path parent_;
    std::filesystem::path dir_;
};

}  // namespace mailsync::test

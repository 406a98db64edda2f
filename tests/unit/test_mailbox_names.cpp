// The engine's mailbox names for cli/ (sync/server/mailbox_names.hpp): the wire form of a typed
// name, and display names that cannot drive a terminal.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "sync/server/mailbox_names.hpp"

using namespace mailsync;

TEST_CASE("mailbox names: a typed name has the wire form the store keeps, or none") {
    CHECK(sync::mailbox_wire_name("Caf\xc3\xa9") == std::optional<std::string>("Caf&AOk-"));
    CHECK(sync::mailbox_wire_name("A&B") == std::optional<std::string>("A&-B"));
    CHECK(sync::mailbox_wire_name("INBOX") == std::optional<std::string>("INBOX"));
    CHECK_FALSE(sync::mailbox_wire_name("Caf\xe9"));                    // Latin-1, not UTF-8
    CHECK_FALSE(sync::mailbox_wire_name(std::string("a\0b", 3)));       // U+0000: no name holds it
}

TEST_CASE("mailbox names: shown decoded, with anything unprintable escaped") {
    CHECK(sync::mailbox_display_name("Caf&AOk-") == "Caf\xc3\xa9");
    CHECK(sync::mailbox_display_name("Caf&AOk") == "Caf&AOk");          // not valid modified UTF-7: as sent
    CHECK(sync::mailbox_display_name("a\x1b[2Jb") == "a\\x1B[2Jb");
}

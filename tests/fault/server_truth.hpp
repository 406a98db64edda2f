// The fault campaign's view of the server, read by an independent client: server_truth.py
// (Python's imaplib), never mailsync's own session or parser, so that a bug there cannot hide
// itself. One Python process serves every read of a test program.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace mailsync::test::campaign {

// Every selectable mailbox of the account (also empty ones): mailbox → UID → "sha256|flags", the
// flags sorted and comma-joined, \Recent left out. Throws std::runtime_error if the server cannot
// be read.
std::map<std::string, std::map<std::uint32_t, std::string>> read_server_truth(std::uint16_t port, const std::string& user,
                                                                            const std::string& password);

}  // namespace mailsync::test::campaign

// From an account of the configuration to what the engine needs to reach its server.
#pragma once

#include "cli/config.hpp"
#include "sync/connect.hpp"

namespace mailsync::cli {

sync::ServerSettings server_settings(const Account& account);
// The password (run lazily: a password_command runs only when the server asks for it).
sync::SecretProvider secret_provider(const Account& account);

}  // namespace mailsync::cli

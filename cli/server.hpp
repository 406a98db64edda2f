// From an account of the configuration to what the engine needs to reach its server.
#pragma once

#include <set>
#include <string>

#include "cli/config.hpp"
#include "store/store.hpp"
#include "sync/server/connect.hpp"

namespace mailsync::cli {

sync::ServerSettings server_settings(const Account& account);

// The capabilities the account's server listed after the last login, which sync keeps in the
// store so that the next login can pipeline what follows it (ServerSettings::expected_capabilities).
// Empty when none are kept or they were another server's or user's.
std::set<std::string> remembered_capabilities(const Account& account, store::Store& store);
// Keeps them (writes only when they changed; an empty list is not kept). A failure to write is
// ignored: the next login then waits for its answer, as without them.
void remember_capabilities(const Account& account, store::Store& store, const std::set<std::string>& capabilities);

// The secret the server asks for, produced lazily (a password_command runs only when the server
// asks for it):
//   plain, login          the password (password, password_command or password_file); a refresh
//                         gives the same answer, read again.
//   xoauth2, oauthbearer  with oauth2.token_command: its output, run again on refresh.
//                         with oauth2.token_endpoint: the access token cached in the store while it
//                         is good (sync/auth/oauth2.hpp), else a new one from the refresh-token grant,
//                         cached; refresh=true (the server refused the token) always asks the
//                         endpoint. A rotated refresh token is written back to refresh_token_file.
// `store`: the account's store when the caller holds it open (the sync engine must pass it: LMDB
// must not be opened twice in one process). Without it the store is opened shared for each token
// lookup, and the token is not cached when it cannot be opened.
// Errors: Error(config) for a failing command or unreadable file, Error(auth) when the token
// endpoint refuses, Error(unavailable) when it cannot be reached; no message contains a secret.
sync::SecretProvider secret_provider(const Account& account, store::Store* store = nullptr);

}  // namespace mailsync::cli

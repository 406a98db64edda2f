// OAuth2 access tokens for XOAUTH2 / OAUTHBEARER: the refresh-token grant (RFC 6749 §6) over HTTPS
// with libcurl, and a cache of the access token in the account's store (OAuthTokenRecord; the
// store's files are 0600) reused until shortly before it expires.
//
// Secrets (refresh token, client secret, access token) never appear in an Error message: errors
// quote the endpoint URL, the HTTP status and the server's `error` / `error_description` only.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "store/records.hpp"
#include "store/store.hpp"

namespace mailsync::sync {

struct TokenEndpoint {
    std::string url;                    // https:// (http:// only to loopback: checked by the config)
    std::string client_id;
    std::string ca_file;                // PEM of trusted CAs instead of the system store; empty: system
    std::chrono::milliseconds timeout{30000};
};

struct AccessToken {
    std::string token;
    store::UnixTime expires_at = 0;
    std::optional<std::string> new_refresh_token;   // when the server rotates it
};

// A token without expires_in is taken to last this long.
inline constexpr std::chrono::seconds default_token_lifetime{600};
// A cached token is not used when it expires within this margin.
inline constexpr std::chrono::seconds token_expiry_margin{60};

// POSTs grant_type=refresh_token. Errors: Error(auth) when the endpoint refuses the grant (a 4xx with
// an OAuth2 error; its `error` and `error_description` are quoted), Error(unavailable) when it
// cannot be reached or answers 5xx, Error(protocol) for a TLS verification failure or an answer
// that is not a token response.
AccessToken refresh_access_token(const TokenEndpoint& endpoint, const std::string& refresh_token,
                                 const std::optional<std::string>& client_secret, store::UnixTime now);

// The token response (pure, for tests): status 200 with access_token (token_type Bearer when
// given, expires_in optional), or an error document.
AccessToken parse_token_response(long http_status, std::string_view body, std::string_view url, store::UnixTime now);

// The cache key of an account's token: identifies endpoint, client and user without a secret.
std::string token_cache_key(const TokenEndpoint& endpoint, std::string_view user);

// The cached token when it is still good at `now` (beyond the margin).
std::optional<std::string> cached_access_token(store::Store& store, const std::string& key, store::UnixTime now);
void cache_access_token(store::Store& store, const std::string& key, const AccessToken& token);

}  // namespace mailsync::sync

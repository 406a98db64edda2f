#include "cli/server.hpp"

#include "cli/credentials.hpp"
#include "common/error.hpp"

namespace mailsync::cli {

sync::ServerSettings server_settings(const Account& account) {
    sync::ServerSettings settings;
    settings.endpoint = account.endpoint;
    settings.user = account.user;
    settings.auth = account.auth;
    settings.timeout = account.timeout;
    return settings;
}

sync::SecretProvider secret_provider(const Account& account) {
    return [&account, cached = std::string()](bool refresh) mutable {
        if (account.auth == AuthMethod::xoauth2 || account.auth == AuthMethod::oauthbearer)
            throw Error(ErrorCategory::config, "OAuth2 token retrieval is not implemented yet");
        // A password does not change by asking again: a refresh is the same answer.
        if (cached.empty() || refresh) cached = resolve_password(account);
        return cached;
    };
}

}  // namespace mailsync::cli

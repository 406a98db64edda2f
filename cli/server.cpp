#include "cli/server.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "cli/credentials.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "sync/auth/oauth2.hpp"

namespace mailsync::cli {

namespace {

// Replaces the refresh token file with the rotated token: a 0600 file beside it, fsynced, renamed.
void rewrite_refresh_token_file(const std::filesystem::path& path, const std::string& token, std::string_view what) {
    const std::filesystem::path temporary = path.string() + ".mailsync-tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        throw Error(ErrorCategory::config, fmt::format("{}: the server issued a new refresh token, but {} cannot be written: {}",
                                                       what, temporary.string(), std::strerror(errno)));
    }
    const std::string content = token + "\n";
    bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
              ::fsync(fd) == 0;
    ok = (::close(fd) == 0) && ok;
    if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        throw Error(ErrorCategory::config, fmt::format("{}: the server issued a new refresh token, but {} cannot be replaced: {}",
                                                       what, path.string(), std::strerror(error)));
    }
}

class OAuth2Tokens {
public:
    OAuth2Tokens(const Account& account, store::Store* store) : account_(account), store_(store) {
        endpoint_.url = account.oauth2.token_endpoint;
        endpoint_.client_id = account.oauth2.client_id;
        if (account.oauth2.ca_file) endpoint_.ca_file = account.oauth2.ca_file->string();
        endpoint_.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(account.timeout);
        key_ = sync::token_cache_key(endpoint_, account.user);
    }

    std::string get(bool refresh) {
        const std::string where = "accounts." + account_.name + ".oauth2";
        if (account_.oauth2.token_command) return run_secret_command(*account_.oauth2.token_command, where + ".token_command");

        if (!refresh) {
            std::optional<std::string> cached;
            with_store([&](store::Store& store) { cached = sync::cached_access_token(store, key_, unix_time_now()); });
            if (cached) return *cached;
        }
        const std::string refresh_token =
            account_.oauth2.refresh_token_command
                ? run_secret_command(*account_.oauth2.refresh_token_command, where + ".refresh_token_command")
                : read_secret_file(*account_.oauth2.refresh_token_file, where + ".refresh_token_file");
        std::optional<std::string> client_secret;
        if (account_.oauth2.client_secret_command) {
            client_secret = run_secret_command(*account_.oauth2.client_secret_command, where + ".client_secret_command");
        }
        const sync::AccessToken token = sync::refresh_access_token(endpoint_, refresh_token, client_secret, unix_time_now());
        if (token.new_refresh_token && *token.new_refresh_token != refresh_token && account_.oauth2.refresh_token_file) {
            rewrite_refresh_token_file(*account_.oauth2.refresh_token_file, *token.new_refresh_token, where + ".refresh_token_file");
        }
        with_store([&](store::Store& store) { sync::cache_access_token(store, key_, token); });
        return token.token;
    }

private:
    template <class Use>
    void with_store(Use&& use) {
        if (store_ != nullptr) {
            use(*store_);
            return;
        }
        std::optional<store::Store> opened;
        try {
            opened.emplace(store::Store::open(account_.store, store::Access::shared));
        } catch (const Error&) {
            return;   // no cache then: the token is fetched each time
        }
        use(*opened);
    }

    const Account& account_;
    store::Store* store_;
    sync::TokenEndpoint endpoint_;
    std::string key_;
};

}  // namespace

sync::ServerSettings server_settings(const Account& account) {
    sync::ServerSettings settings;
    settings.endpoint = account.endpoint;
    settings.user = account.user;
    settings.auth = account.auth;
    settings.timeout = account.timeout;
    settings.compress = account.compress;
    // compress: auto skips loopback: there the link is not the limit and deflating costs CPU on
    // both ends (README, "compress"; measured with bench/compress-loopback.sh).
    if (settings.compress == sync::CompressMode::automatic && is_loopback_host(account.endpoint.host))
        settings.compress = sync::CompressMode::never;
    return settings;
}

namespace {

// "host port user": capabilities kept for another server or user are not used.
std::string capabilities_owner(const Account& account) {
    return fmt::format("{} {} {}", account.endpoint.host, account.endpoint.port, account.user);
}

}  // namespace

std::set<std::string> remembered_capabilities(const Account& account, store::Store& store) {
    const std::optional<std::string> kept = store.read([](const store::ReadTxn& txn) { return txn.server_capabilities(); });
    std::set<std::string> capabilities;
    if (!kept) return capabilities;
    const std::string owner = capabilities_owner(account) + "\n";
    if (kept->compare(0, owner.size(), owner) != 0) return capabilities;
    std::string name;
    for (std::size_t i = owner.size(); i <= kept->size(); ++i) {
        if (i == kept->size() || (*kept)[i] == ' ') {
            if (!name.empty()) capabilities.insert(name);
            name.clear();
        } else {
            name += (*kept)[i];
        }
    }
    return capabilities;
}

void remember_capabilities(const Account& account, store::Store& store, const std::set<std::string>& capabilities) {
    if (capabilities.empty() || capabilities == remembered_capabilities(account, store)) return;
    std::string value = capabilities_owner(account) + "\n";
    for (const auto& name : capabilities) value += name + " ";
    value.pop_back();
    try {
        store.write([&](store::WriteTxn& txn) { txn.put_server_capabilities(value); });
    } catch (const Error&) {
        // Only an optimisation of the next login is lost.
    }
}

sync::SecretProvider secret_provider(const Account& account, store::Store* store) {
    if (account.auth == AuthMethod::xoauth2 || account.auth == AuthMethod::oauthbearer) {
        auto tokens = std::make_shared<OAuth2Tokens>(account, store);
        return [tokens](bool refresh) { return tokens->get(refresh); };
    }
    return [&account, cached = std::string()](bool refresh) mutable {
        // A password does not change by asking again: a refresh is the same answer.
        if (cached.empty() || refresh) cached = resolve_password(account);
        return cached;
    };
}

}  // namespace mailsync::cli

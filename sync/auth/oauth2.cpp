#include "sync/auth/oauth2.hpp"

#include <memory>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/ascii.hpp"
#include "common/error.hpp"
#include "store/body_hash.hpp"
#include "sync/auth/curl_library.hpp"

namespace mailsync::sync {

namespace {

constexpr std::size_t max_response_bytes = 256 * 1024;

struct CurlDeleter {
    void operator()(CURL* handle) const { libcurl().easy_cleanup(handle); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const { libcurl().slist_free_all(list); }
};
struct CurlFree {
    void operator()(char* text) const { libcurl().free(text); }
};

struct Response {
    std::string body;
    bool too_large = false;
};

extern "C" std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
    auto* response = static_cast<Response*>(user);
    const std::size_t bytes = size * count;
    if (response->body.size() + bytes > max_response_bytes) {
        response->too_large = true;
        return 0;   // aborts the transfer
    }
    response->body.append(data, bytes);
    return bytes;
}

std::string form_value(CURL* handle, const std::string& value) {
    const std::unique_ptr<char, CurlFree> escaped(libcurl().easy_escape(handle, value.data(), static_cast<int>(value.size())));
    if (!escaped) throw Error(ErrorCategory::internal, "curl_easy_escape failed");
    return escaped.get();
}

// A printable, bounded rendering of a server-supplied text for messages.
std::string printable(std::string_view text, std::size_t limit = 200) {
    std::string out;
    for (char c : text.substr(0, limit)) {
        const auto byte = static_cast<unsigned char>(c);
        out.push_back(byte >= 0x20 && byte < 0x7f ? c : '?');
    }
    if (text.size() > limit) out += "...";
    return out;
}

std::optional<std::string> scalar(const YAML::Node& document, const char* key) {
    const YAML::Node node = document[key];
    if (!node || !node.IsScalar()) return std::nullopt;
    return node.Scalar();
}

}  // namespace

AccessToken parse_token_response(long http_status, std::string_view body, std::string_view url, store::UnixTime now) {
    YAML::Node document;
    try {
        document = YAML::Load(std::string(body));
    } catch (const YAML::Exception&) {
        document = YAML::Node();
    }
    const bool is_object = document.IsMap();
    if (http_status != 200) {
        const auto error = is_object ? scalar(document, "error") : std::nullopt;
        if (error && http_status >= 400 && http_status < 500) {
            const auto description = scalar(document, "error_description");
            throw Error(ErrorCategory::auth,
                        fmt::format("the token endpoint {} refused to refresh the access token: {}{} (HTTP {}){}", url,
                                    printable(*error), description ? " — " + printable(*description) : std::string(),
                                    http_status,
                                    *error == "invalid_grant" ? "; the refresh token is no longer valid: get a new one" : ""));
        }
        if (http_status >= 500) {
            throw Error(ErrorCategory::unavailable,
                        fmt::format("the token endpoint {} failed with HTTP {}; try again later", url, http_status));
        }
        throw Error(ErrorCategory::protocol, fmt::format("the token endpoint {} answered HTTP {} without an OAuth2 error", url, http_status));
    }
    if (!is_object) throw Error(ErrorCategory::protocol, fmt::format("the token endpoint {} did not answer with a JSON object", url));
    AccessToken token;
    const auto access_token = scalar(document, "access_token");
    if (!access_token || access_token->empty()) {
        throw Error(ErrorCategory::protocol, fmt::format("the token endpoint {} answered without an access_token", url));
    }
    token.token = *access_token;
    if (const auto type = scalar(document, "token_type")) {
        if (!ascii::iequals(*type, "bearer")) {
            throw Error(ErrorCategory::protocol,
                        fmt::format("the token endpoint {} issued a \"{}\" token; XOAUTH2 and OAUTHBEARER need a Bearer token", url,
                                    printable(*type)));
        }
    }
    std::int64_t lifetime = default_token_lifetime.count();
    if (const auto expires_in = scalar(document, "expires_in")) {
        try {
            std::size_t used = 0;
            lifetime = std::stoll(*expires_in, &used);
            if (used != expires_in->size() || lifetime < 0) throw std::invalid_argument("expires_in");
        } catch (const std::exception&) {
            throw Error(ErrorCategory::protocol,
                        fmt::format("the token endpoint {} sent expires_in \"{}\", not a number of seconds", url, printable(*expires_in)));
        }
        lifetime = std::min<std::int64_t>(lifetime, 366LL * 24 * 3600);
    }
    token.expires_at = now + lifetime;
    if (const auto rotated = scalar(document, "refresh_token"); rotated && !rotated->empty()) token.new_refresh_token = *rotated;
    return token;
}

AccessToken refresh_access_token(const TokenEndpoint& endpoint, const std::string& refresh_token,
                                 const std::optional<std::string>& client_secret, store::UnixTime now) {
    const CurlApi& curl_api = libcurl();   // loaded here, on the first token request of the run
    std::unique_ptr<CURL, CurlDeleter> handle(curl_api.easy_init());
    if (!handle) throw Error(ErrorCategory::internal, "curl_easy_init failed");
    CURL* curl = handle.get();

    std::string form = "grant_type=refresh_token&refresh_token=" + form_value(curl, refresh_token) +
                       "&client_id=" + form_value(curl, endpoint.client_id);
    if (client_secret) form += "&client_secret=" + form_value(curl, *client_secret);

    Response response;
    char error_buffer[CURL_ERROR_SIZE] = {};
    std::unique_ptr<curl_slist, SlistDeleter> headers(curl_api.slist_append(nullptr, "Accept: application/json"));
    curl_api.easy_setopt(curl, CURLOPT_URL, endpoint.url.c_str());
    curl_api.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_api.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_api.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_api.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_api.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!endpoint.ca_file.empty()) curl_api.easy_setopt(curl, CURLOPT_CAINFO, endpoint.ca_file.c_str());
    curl_api.easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(endpoint.timeout.count()));
    curl_api.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(endpoint.timeout.count()));
    curl_api.easy_setopt(curl, CURLOPT_POSTFIELDS, form.c_str());
    curl_api.easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(form.size()));
    curl_api.easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_api.easy_setopt(curl, CURLOPT_USERAGENT, "mailsync");
    curl_api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_api.easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    curl_api.easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);

    const CURLcode result = curl_api.easy_perform(curl);
    // The form holds secrets: wipe it before anything else can look.
    std::fill(form.begin(), form.end(), '\0');
    if (result != CURLE_OK) {
        const std::string detail = error_buffer[0] != '\0' ? printable(error_buffer) : curl_api.easy_strerror(result);
        if (response.too_large) {
            throw Error(ErrorCategory::protocol, fmt::format("the token endpoint {} sent more than {} KiB", endpoint.url, max_response_bytes / 1024));
        }
        switch (result) {
            case CURLE_PEER_FAILED_VERIFICATION:
            case CURLE_SSL_CACERT_BADFILE:
            case CURLE_SSL_CONNECT_ERROR:
            case CURLE_SSL_CERTPROBLEM:
            case CURLE_UNSUPPORTED_PROTOCOL:
                throw Error(ErrorCategory::protocol, fmt::format("cannot talk securely to the token endpoint {}: {}", endpoint.url, detail));
            default:
                throw Error(ErrorCategory::unavailable, fmt::format("cannot reach the token endpoint {}: {}", endpoint.url, detail));
        }
    }
    long status = 0;
    curl_api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return parse_token_response(status, response.body, endpoint.url, now);
}

std::string token_cache_key(const TokenEndpoint& endpoint, std::string_view user) {
    std::string identity = endpoint.url;
    identity.push_back('\0');
    identity += endpoint.client_id;
    identity.push_back('\0');
    identity += user;
    return "oauth2:" + store::Sha256::of(identity).hex();
}

std::optional<std::string> cached_access_token(store::Store& store, const std::string& key, store::UnixTime now) {
    const auto record = store.read([&](const store::ReadTxn& txn) { return txn.oauth_token(key); });
    if (!record || record->access_token.empty() || record->expires_at - token_expiry_margin.count() <= now) return std::nullopt;
    return record->access_token;
}

void cache_access_token(store::Store& store, const std::string& key, const AccessToken& token) {
    store.write([&](store::WriteTxn& txn) { txn.put_oauth_token(key, store::OAuthTokenRecord{token.token, token.expires_at}); });
}

}  // namespace mailsync::sync

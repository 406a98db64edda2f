#include "sync/auth/curl_library.hpp"

#include <dlfcn.h>

#include <atomic>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "common/error.hpp"

namespace mailsync::sync {

namespace {

std::mutex load_mutex;
const CurlApi* loaded = nullptr;   // guarded by load_mutex; set once, never reset
bool initialized = false;          // curl_global_init done; guarded by load_mutex
std::string library_name = libcurl_soname;
std::atomic<unsigned> attempts{0};

[[noreturn]] void cannot_load(const std::string& name, const std::string& why) {
    throw Error(ErrorCategory::config,
                fmt::format("cannot load libcurl ({}), which the OAuth2 token endpoint needs: {}; install the libcurl4 "
                            "package, or get access tokens from oauth2.token_command instead",
                            name, why));
}

template <class Function>
void resolve(void* library, const std::string& name, const char* symbol, Function& function) {
    ::dlerror();
    void* address = ::dlsym(library, symbol);
    if (address == nullptr) cannot_load(name, fmt::format("it has no {}", symbol));
    function = reinterpret_cast<Function>(address);
}

// The library and its functions, without curl_global_init. Called with load_mutex held.
const CurlApi& load_locked() {
    if (loaded != nullptr) return *loaded;
    const std::string name = library_name;
    void* library = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        const char* why = ::dlerror();
        cannot_load(name, why != nullptr ? why : "dlopen failed");
    }
    auto api = std::make_unique<CurlApi>();
    try {
        resolve(library, name, "curl_global_init", api->global_init);
        resolve(library, name, "curl_easy_init", api->easy_init);
        resolve(library, name, "curl_easy_cleanup", api->easy_cleanup);
        resolve(library, name, "curl_easy_setopt", api->easy_setopt);
        resolve(library, name, "curl_easy_perform", api->easy_perform);
        resolve(library, name, "curl_easy_getinfo", api->easy_getinfo);
        resolve(library, name, "curl_easy_strerror", api->easy_strerror);
        resolve(library, name, "curl_easy_escape", api->easy_escape);
        resolve(library, name, "curl_free", api->free);
        resolve(library, name, "curl_slist_append", api->slist_append);
        resolve(library, name, "curl_slist_free_all", api->slist_free_all);
        resolve(library, name, "curl_version_info", api->version_info);
        const curl_version_info_data* version = api->version_info(CURLVERSION_NOW);
        if (version == nullptr || version->version_num < libcurl_minimum_version) {
            cannot_load(name, fmt::format("it is version {}, and mailsync needs {}.{}.{} or later",
                                          version != nullptr ? version->version : "unknown", libcurl_minimum_version >> 16,
                                          (libcurl_minimum_version >> 8) & 0xff, libcurl_minimum_version & 0xff));
        }
    } catch (...) {
        ::dlclose(library);
        throw;
    }
    // The handle stays open for the life of the process: libcurl keeps global state.
    loaded = api.release();
    return *loaded;
}

}  // namespace

const CurlApi& libcurl() {
    attempts.fetch_add(1, std::memory_order_relaxed);
    const std::lock_guard<std::mutex> lock(load_mutex);
    const CurlApi& api = load_locked();
    if (!initialized) {
        if (const CURLcode code = api.global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
            cannot_load(library_name, fmt::format("curl_global_init failed: {}", api.easy_strerror(code)));
        }
        initialized = true;
    }
    return api;
}

std::string libcurl_version() {
    attempts.fetch_add(1, std::memory_order_relaxed);
    const std::lock_guard<std::mutex> lock(load_mutex);
    return load_locked().version_info(CURLVERSION_NOW)->version;
}

unsigned libcurl_load_attempts() noexcept { return attempts.load(std::memory_order_relaxed); }

void set_libcurl_name_for_testing(std::string name) {
    const std::lock_guard<std::mutex> lock(load_mutex);
    library_name = std::move(name);
}

}  // namespace mailsync::sync

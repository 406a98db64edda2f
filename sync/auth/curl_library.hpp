// libcurl, loaded with dlopen on first use rather than linked.
//
// mailsync needs libcurl only to refresh an OAuth2 access token at a token endpoint (and to name
// its version in `--version`). Linked, its dependency tree (nghttp2, rtmp, gnutls, krb5, ldap,
// sasl2, ssh2, psl, idn2, brotli, p11-kit, ...) is mapped by every run, a sync with a password
// included: 4 MB of RSS and 3 ms of CPU at start-up (bench/results/2026-12-02-lazylib-memory.md).
// Loaded here, only a run that really asks a token endpoint pays for it. The header still gives the types and constants; the
// functions come from a small typed table resolved with dlsym from the library's soname.
#pragma once

#include <curl/curl.h>

#include <string>

namespace mailsync::sync {

// The soname loaded: that of Debian's libcurl4 (OpenSSL flavour), which the .deb depends on.
inline constexpr const char* libcurl_soname = "libcurl.so.4";

// Oldest libcurl accepted: CURLOPT_PROTOCOLS_STR (which limits the token request to HTTP(S)) is 7.85.0's.
inline constexpr unsigned libcurl_minimum_version = 0x075500;   // 7.85.0

// The libcurl functions mailsync calls, with the header's own types.
struct CurlApi {
    decltype(&::curl_global_init) global_init = nullptr;
    decltype(&::curl_easy_init) easy_init = nullptr;
    decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
    decltype(&::curl_easy_setopt) easy_setopt = nullptr;
    decltype(&::curl_easy_perform) easy_perform = nullptr;
    decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
    decltype(&::curl_easy_strerror) easy_strerror = nullptr;
    decltype(&::curl_easy_escape) easy_escape = nullptr;
    decltype(&::curl_free) free = nullptr;
    decltype(&::curl_slist_append) slist_append = nullptr;
    decltype(&::curl_slist_free_all) slist_free_all = nullptr;
    decltype(&::curl_version_info) version_info = nullptr;
};

// libcurl, loaded (and curl_global_init'ed) on the first call; thread-safe; never unloaded.
// Throws Error(config) — exit 78, the installation lacks what the configuration asks for —
// naming the library and what the loader said, when it cannot be loaded, lacks one of the
// functions, or is older than libcurl_minimum_version. A failed load is tried again on the next
// call.
const CurlApi& libcurl();

// The loaded library's version ("7.88.1"), for `--version`: loads it like libcurl() (and throws
// the same errors) but does not curl_global_init it, which would initialize its TLS library for
// nothing (about 2 MB more peak RSS).
std::string libcurl_version();

// How many times libcurl() or libcurl_version() was called in this process (loaded or not): 0 after a run that never
// needed it. For tests.
unsigned libcurl_load_attempts() noexcept;

// FOR TESTS ONLY: the name handed to dlopen by the next load instead of libcurl_soname, so that a
// test can see the error of a library that cannot be loaded. Has no effect once libcurl is loaded.
// Nothing outside tests calls it; no option, key or environment variable reaches it.
void set_libcurl_name_for_testing(std::string name);

}  // namespace mailsync::sync

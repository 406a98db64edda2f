#include "cli/version.hpp"

#include <CLI/Version.hpp>
#include <curl/curl.h>
#include <fmt/core.h>
#include <lmdb.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <zlib.h>

#include "common/error.hpp"
#include "sync/auth/curl_library.hpp"

#ifndef MAILSYNC_VERSION
#define MAILSYNC_VERSION "unknown"
#endif
#ifndef MAILSYNC_YAML_CPP_VERSION
#define MAILSYNC_YAML_CPP_VERSION "unknown"  // yaml-cpp's headers carry no version; CMake knows it
#endif

namespace mailsync::cli {

namespace {

// "3.0.15", or "3.0.15 (built with 3.0.11)" when the library loaded is not the one compiled against.
std::string loaded_and_built(const std::string& loaded, const std::string& built) {
    return loaded == built ? loaded : fmt::format("{} (built with {})", loaded, built);
}

}  // namespace

std::string version_text() {
    int lmdb_major = 0, lmdb_minor = 0, lmdb_patch = 0;
    mdb_version(&lmdb_major, &lmdb_minor, &lmdb_patch);
    // libcurl is dlopen'ed (sync/auth/curl_library.hpp): loaded here only to ask its version.
    std::string curl;
    try {
        curl = loaded_and_built(sync::libcurl_version(), LIBCURL_VERSION);
    } catch (const Error& error) {
        curl = fmt::format("not loadable (built with {}): {}", LIBCURL_VERSION, error.what());
    }
    return fmt::format(
        "mailsync {}\n"
        "OpenSSL {}\n"
        "LMDB {}\n"
        "zlib {}\n"
        "libcurl {}\n"
        "yaml-cpp {}\n"
        "fmt {}.{}.{}\n"
        "CLI11 {}",
        MAILSYNC_VERSION,
        loaded_and_built(OpenSSL_version(OPENSSL_FULL_VERSION_STRING), OPENSSL_FULL_VERSION_STR),
        loaded_and_built(fmt::format("{}.{}.{}", lmdb_major, lmdb_minor, lmdb_patch),
                         fmt::format("{}.{}.{}", MDB_VERSION_MAJOR, MDB_VERSION_MINOR, MDB_VERSION_PATCH)),
        loaded_and_built(zlibVersion(), ZLIB_VERSION),
        curl,
        MAILSYNC_YAML_CPP_VERSION,
        FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100,
        CLI11_VERSION);
}

}  // namespace mailsync::cli

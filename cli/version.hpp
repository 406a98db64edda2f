// `mailsync --version`: the program's version and the libraries it was built with, so that a bug
// report says which OpenSSL, LMDB, zlib ... the binary really uses.
#pragma once

#include <string>

namespace mailsync::cli {

// Several lines: "mailsync X.Y.Z", then one line per library. For a library that can say its
// version at run time (OpenSSL, LMDB, zlib, libcurl) that is the one loaded now, followed by the
// headers' version when the two differ (libcurl, not linked, is loaded for this: "not loadable"
// and why when it cannot be); the header-only or C++ ones (fmt, CLI11, yaml-cpp) give
// the version they were compiled from.
std::string version_text();

}  // namespace mailsync::cli

// What the room's files share to use GMime safely from C++: the one-time library set-up, the
// parser options every parse uses, and owners for GObject references and g_malloc'd strings so
// that no path (an exception included) leaks or double-frees them. Internal to sync/mime/.
#pragma once

#include <gmime/gmime.h>

#include <memory>
#include <string>

namespace mailsync::mime::detail {

// g_mime_init() once per process, thread-safe; every entry point of the room calls it first.
void ensure_gmime();

// The options every parse and header decode uses: RFC 2047 read loosely (encoded words inside
// words, as real mail has them), and 8-bit header text that is not UTF-8 read as windows-1252.
// Owned by the room; valid after ensure_gmime().
GMimeParserOptions* parser_options();

struct ObjectUnref {
    void operator()(void* object) const noexcept {
        if (object) g_object_unref(object);
    }
};
template <typename T>
using Ref = std::unique_ptr<T, ObjectUnref>;

struct GFree {
    void operator()(void* pointer) const noexcept { g_free(pointer); }
};
using GString = std::unique_ptr<char, GFree>;

// The text of a g_malloc'd string, freed; "" for null.
inline std::string take_string(char* text) {
    const GString owner(text);
    return owner ? std::string(owner.get()) : std::string();
}

}  // namespace mailsync::mime::detail

// text/html reduced to its text, crudely: enough for the search index and for `show` of a message
// that has no text/plain part. Not a renderer: tags are dropped (block tags become line breaks),
// <script>, <style> and <head> are skipped with their content, comments are skipped, and the
// common character references are decoded.
#pragma once

#include <string>
#include <string_view>

namespace mailsync::mime {

// `html` must be UTF-8 (to_utf8 first); the result is UTF-8.
std::string html_to_text(std::string_view html);

}  // namespace mailsync::mime

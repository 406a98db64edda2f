#include "sync/mime/gmime_support.hpp"

#include <mutex>

namespace mailsync::mime::detail {
namespace {

GMimeParserOptions* options = nullptr;

}  // namespace

void ensure_gmime() {
    static std::once_flag once;
    std::call_once(once, [] {
        g_mime_init();
        options = g_mime_parser_options_new();
        g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
        g_mime_parser_options_set_address_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
        g_mime_parser_options_set_parameter_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
        static const char* fallback_charsets[] = {"UTF-8", "windows-1252", nullptr};
        g_mime_parser_options_set_fallback_charsets(options, fallback_charsets);
    });
}

GMimeParserOptions* parser_options() {
    ensure_gmime();
    return options;
}

}  // namespace mailsync::mime::detail

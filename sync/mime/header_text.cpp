#include "sync/mime/header_text.hpp"

#include "sync/mime/charset.hpp"
#include "sync/mime/gmime_support.hpp"

namespace mailsync::mime {

using detail::GString;
using detail::Ref;
using detail::take_string;

std::string decode_header_text(std::string_view raw_value) {
    detail::ensure_gmime();
    const std::string raw(raw_value);
    const GString unfolded(g_mime_utils_header_unfold(raw.c_str()));
    std::string decoded = take_string(g_mime_utils_header_decode_text(detail::parser_options(), unfolded.get()));
    return to_utf8(decoded, "utf-8");   // GMime's output is UTF-8; this makes sure of it
}

namespace {

void collect(InternetAddressList* list, std::vector<Address>& out, int depth) {
    if (!list || depth > 4) return;
    const int count = internet_address_list_length(list);
    for (int i = 0; i < count; ++i) {
        InternetAddress* address = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_GROUP(address)) {
            collect(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), out, depth + 1);
            continue;
        }
        if (!INTERNET_ADDRESS_IS_MAILBOX(address)) continue;
        const char* name = internet_address_get_name(address);
        const char* spec = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
        out.push_back(Address{to_utf8(name ? name : "", "utf-8"), to_utf8(spec ? spec : "", "utf-8")});
    }
}

}  // namespace

std::vector<Address> parse_addresses(std::string_view raw_value) {
    detail::ensure_gmime();
    const std::string raw(raw_value);
    const Ref<InternetAddressList> list(internet_address_list_parse(detail::parser_options(), raw.c_str()));
    std::vector<Address> out;
    collect(list.get(), out, 0);
    return out;
}

std::string address_text(const Address& address) {
    if (address.name.empty()) return address.address;
    if (address.address.empty()) return address.name;
    return address.name + " <" + address.address + ">";
}

std::optional<HeaderDate> parse_date(std::string_view raw_value) {
    detail::ensure_gmime();
    const std::string raw(raw_value);
    GDateTime* date = g_mime_utils_header_decode_date(raw.c_str());
    if (!date) return std::nullopt;
    const HeaderDate result{g_date_time_to_unix(date),
                            static_cast<int>(g_date_time_get_utc_offset(date) / G_TIME_SPAN_MINUTE)};
    g_date_time_unref(date);
    return result;
}

}  // namespace mailsync::mime

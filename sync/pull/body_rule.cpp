#include "sync/pull/body_rule.hpp"

#include <fmt/format.h>

namespace mailsync::sync {

std::string BodyRule::fingerprint() const {
    std::string words;
    switch (bodies) {
        case Bodies::all: words = "all"; break;
        case Bodies::headers: words = "headers"; break;
        case Bodies::newer_than: words = fmt::format("newer-than {}s", newer_than_seconds); break;
    }
    if (max_size && bodies != Bodies::headers) words += fmt::format(", max {} bytes", *max_size);
    return words;
}

bool wants_body(const BodyRule& rule, const store::MessageRecord& message, store::UnixTime now) {
    if (rule.max_size && message.size > *rule.max_size) return false;
    switch (rule.bodies) {
        case BodyRule::Bodies::all: return true;
        case BodyRule::Bodies::headers: return false;
        case BodyRule::Bodies::newer_than: return message.internaldate >= now - rule.newer_than_seconds;
    }
    return true;
}

}  // namespace mailsync::sync

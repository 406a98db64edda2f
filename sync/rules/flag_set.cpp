#include "sync/rules/flag_set.hpp"

#include <algorithm>

#include "common/ascii.hpp"

namespace mailsync::sync {
namespace {

std::string folded(std::string_view flag) { return ascii::to_lower(flag); }

}  // namespace

bool has_flag(const FlagList& flags, std::string_view flag) {
    const std::string key = folded(flag);
    return std::any_of(flags.begin(), flags.end(), [&](const std::string& f) { return folded(f) == key; });
}

FlagList normalize_flags(FlagList flags) {
    FlagList result;
    for (auto& flag : flags) {
        if (flag.empty() || folded(flag) == "\\recent" || has_flag(result, flag)) continue;
        result.push_back(std::move(flag));
    }
    std::sort(result.begin(), result.end(), [](const std::string& a, const std::string& b) { return folded(a) < folded(b); });
    return result;
}

bool same_flags(const FlagList& a, const FlagList& b) {
    const auto left = normalize_flags(a);
    const auto right = normalize_flags(b);
    return std::equal(left.begin(), left.end(), right.begin(), right.end(),
                      [](const std::string& x, const std::string& y) { return folded(x) == folded(y); });
}

FlagList flags_missing_from(const FlagList& a, const FlagList& b) {
    FlagList out;
    for (const auto& flag : a)
        if (!has_flag(b, flag) && !has_flag(out, flag)) out.push_back(flag);
    return out;
}

FlagList with_flag_change(FlagList flags, const FlagList& add, const FlagList& remove) {
    std::erase_if(flags, [&](const std::string& f) { return has_flag(remove, f); });
    for (const auto& flag : add)
        if (!has_flag(flags, flag)) flags.push_back(flag);
    return flags;
}

FlagList apply_change(const FlagList& server, const FlagList& add, const FlagList& remove) {
    return normalize_flags(with_flag_change(server, add, remove));
}

}  // namespace mailsync::sync

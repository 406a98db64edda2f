#include "sync/pull/mailbox_filter.hpp"

#include <cstddef>
#include <vector>

#include "common/inbox.hpp"

namespace mailsync::sync {

bool mailbox_pattern_matches(std::string_view pattern, std::string_view name, char delimiter) {
    if (is_inbox(pattern) && is_inbox(name)) return true;
    // Dynamic programming over (pattern prefix, name prefix): `*` and `%` may both occur, so the
    // usual backtrack-to-the-last-star trick is not enough. Names are short (LMDB keys), so the
    // O(pattern x name) time and O(name) memory are nothing.
    // matched[j]: the pattern read so far matches name[0, j).
    std::vector<bool> matched(name.size() + 1, false);
    matched[0] = true;
    for (const char p : pattern) {
        std::vector<bool> next(name.size() + 1, false);
        if (p == '*' || p == '%') {
            next[0] = matched[0];
            for (std::size_t j = 1; j <= name.size(); ++j) {
                const bool may_take = p == '*' || delimiter == 0 || name[j - 1] != delimiter;
                next[j] = matched[j] || (may_take && next[j - 1]);
            }
        } else {
            for (std::size_t j = 1; j <= name.size(); ++j) next[j] = matched[j - 1] && name[j - 1] == p;
        }
        matched = std::move(next);
    }
    return matched[name.size()];
}

MailboxFilter::MailboxFilter(const std::vector<std::string>& patterns) {
    for (const std::string& pattern : patterns) {
        if (!pattern.empty() && pattern.front() == '!') excludes_.push_back(pattern.substr(1));
        else includes_.push_back(pattern);
    }
    if (includes_.empty()) includes_.push_back("*");
}

bool MailboxFilter::selects(std::string_view name, char delimiter) const {
    bool included = false;
    for (const auto& pattern : includes_) included = included || mailbox_pattern_matches(pattern, name, delimiter);
    if (!included) return false;
    for (const auto& pattern : excludes_)
        if (mailbox_pattern_matches(pattern, name, delimiter)) return false;
    return true;
}

}  // namespace mailsync::sync

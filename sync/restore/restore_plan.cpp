#include "sync/restore/restore_plan.hpp"

#include <algorithm>
#include <string_view>

#include "common/inbox.hpp"

namespace mailsync::sync {

std::optional<std::string> target_mailbox_name(const std::string& name, const std::string& source_delimiter,
                                               std::optional<char> target_delimiter) {
    std::vector<std::string_view> levels;
    std::string_view rest = name;
    if (source_delimiter.empty()) {
        levels.push_back(rest);
    } else {
        while (true) {
            const auto at = rest.find(source_delimiter);
            levels.push_back(rest.substr(0, at));
            if (at == std::string_view::npos) break;
            rest.remove_prefix(at + source_delimiter.size());
        }
    }
    if (levels.size() > 1 && !target_delimiter) return std::nullopt;
    std::string target;
    for (std::size_t i = 0; i < levels.size(); ++i) {
        const std::string_view level = levels[i];
        if (target_delimiter && level.find(*target_delimiter) != std::string_view::npos) return std::nullopt;
        if (i > 0) target += *target_delimiter;
        // INBOX is one name in any case (RFC 3501 §5.1), also as the parent of other mailboxes.
        target += i == 0 && is_inbox(level) ? std::string(inbox_name) : std::string(level);
    }
    return target;
}

MatchPlan plan_matches(const std::vector<SourceMessage>& sources, const TargetMailbox& target) {
    MatchPlan plan;
    plan.matches.resize(sources.size());
    for (std::size_t i = 0; i < sources.size(); ++i) {
        const auto& journal = sources[i].journal;
        if (!journal || !journal->placed || journal->uid == 0 || journal->uidvalidity != target.uidvalidity) continue;
        const auto held = target.sizes.find(journal->uid);
        // A UID is never given twice under one UIDVALIDITY (RFC 3501 §2.3.1.1): held, it is ours.
        if (held == target.sizes.end() || plan.claimed.contains(journal->uid)) continue;
        plan.claimed.insert(journal->uid);
        plan.matches[i] = Match{Verdict::restored_before, journal->uid};
    }
    std::map<std::uint64_t, std::vector<store::Uid>> unclaimed_by_size;
    for (const auto& [uid, size] : target.sizes)
        if (!plan.claimed.contains(uid)) unclaimed_by_size[size].push_back(uid);
    std::set<std::uint64_t> sizes_checked;
    for (std::size_t i = 0; i < sources.size(); ++i) {
        if (plan.matches[i].verdict != Verdict::upload) continue;
        const auto same_size = unclaimed_by_size.find(sources[i].size);
        if (same_size == unclaimed_by_size.end()) continue;
        plan.sources_to_check.push_back(i);
        if (sizes_checked.insert(sources[i].size).second)
            plan.targets_to_check.insert(plan.targets_to_check.end(), same_size->second.begin(), same_size->second.end());
    }
    std::sort(plan.targets_to_check.begin(), plan.targets_to_check.end());
    return plan;
}

void match_headers(MatchPlan& plan, const std::vector<SourceMessage>& sources, const TargetMailbox& target,
                   const std::map<std::size_t, std::optional<HeaderDigest>>& source_headers,
                   const std::map<store::Uid, std::optional<HeaderDigest>>& target_headers) {
    for (const std::size_t i : plan.sources_to_check) {
        const auto source_header = source_headers.find(i);
        if (source_header == source_headers.end() || !source_header->second) continue;
        for (const auto& [uid, size] : target.sizes) {
            if (size != sources[i].size || plan.claimed.contains(uid)) continue;
            const auto target_header = target_headers.find(uid);
            if (target_header == target_headers.end() || target_header->second != source_header->second) continue;
            plan.claimed.insert(uid);
            const bool in_flight = sources[i].journal && !sources[i].journal->placed;
            plan.matches[i] = Match{in_flight ? Verdict::recovered : Verdict::already_there, uid};
            break;
        }
    }
}

}  // namespace mailsync::sync

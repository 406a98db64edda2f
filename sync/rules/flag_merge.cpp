#include "sync/rules/flag_merge.hpp"

#include <algorithm>

namespace mailsync::sync {
namespace {

std::string folded(const std::string& flag) {
    std::string result = flag;
    for (char& c : result)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return result;
}

bool contains(const std::vector<std::string>& flags, const std::string& flag) {
    const std::string key = folded(flag);
    return std::any_of(flags.begin(), flags.end(), [&](const std::string& f) { return folded(f) == key; });
}

}  // namespace

std::vector<std::string> normalize_flags(std::vector<std::string> flags) {
    std::vector<std::string> result;
    for (auto& flag : flags) {
        if (flag.empty() || folded(flag) == "\\recent" || contains(result, flag)) continue;
        result.push_back(std::move(flag));
    }
    std::sort(result.begin(), result.end(), [](const std::string& a, const std::string& b) { return folded(a) < folded(b); });
    return result;
}

bool same_flags(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    const auto left = normalize_flags(a);
    const auto right = normalize_flags(b);
    return std::equal(left.begin(), left.end(), right.begin(), right.end(),
                      [](const std::string& x, const std::string& y) { return folded(x) == folded(y); });
}

std::vector<std::string> merge_flags(const std::vector<std::string>& local, const std::vector<std::string>& synced,
                                     const std::vector<std::string>& server) {
    std::vector<std::string> merged;
    // Flags the server has: kept unless the local side removed them since the last sync.
    for (const auto& flag : server) {
        const bool removed_locally = contains(synced, flag) && !contains(local, flag);
        if (!removed_locally) merged.push_back(flag);
    }
    // Flags the local side added since the last sync survive whatever the server did.
    for (const auto& flag : local) {
        const bool added_locally = !contains(synced, flag);
        if (added_locally) merged.push_back(flag);
    }
    return normalize_flags(std::move(merged));
}

bool take_server_flags(store::MessageRecord& message, const std::vector<std::string>& server_flags,
                       std::uint64_t server_modseq) {
    const auto server = normalize_flags(server_flags);
    auto merged = merge_flags(message.flags, message.synced_flags, server);
    bool changed = false;
    if (!same_flags(merged, message.flags) || merged.size() != message.flags.size()) {
        message.flags = std::move(merged);
        changed = true;
    }
    if (!same_flags(server, message.synced_flags)) {
        message.synced_flags = server;
        changed = true;
    }
    if (server_modseq != 0 && server_modseq != message.modseq) {
        message.modseq = server_modseq;
        changed = true;
    }
    return changed;
}

}  // namespace mailsync::sync

#include "sync/rules/flag_merge.hpp"

namespace mailsync::sync {

std::vector<std::string> merge_flags(const std::vector<std::string>& local, const std::vector<std::string>& synced,
                                     const std::vector<std::string>& server) {
    std::vector<std::string> merged;
    // Flags the server has: kept unless the local side removed them since the last sync.
    for (const auto& flag : server) {
        const bool removed_locally = has_flag(synced, flag) && !has_flag(local, flag);
        if (!removed_locally) merged.push_back(flag);
    }
    // Flags the local side added since the last sync survive whatever the server did.
    for (const auto& flag : local) {
        const bool added_locally = !has_flag(synced, flag);
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

#include "sync/pull/mailbox_plan.hpp"

#include <map>

#include "common/ascii.hpp"

namespace mailsync::sync {
namespace {

char delimiter_of(const store::MailboxRecord& record) { return record.delimiter.empty() ? '\0' : record.delimiter[0]; }

}  // namespace

std::string special_use_of(const std::vector<std::string>& attributes) {
    static const char* const known[] = {"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"};
    for (const auto& attribute : attributes) {
        for (const char* use : known)
            if (ascii::iequals(attribute, use)) return use;
    }
    return {};
}

bool is_unchanged(const store::MailboxRecord& local, const ServerMailbox& server) {
    if (local.last_sync_method == store::SyncMethod::never || local.deleted_on_server || !server.has_status) return false;
    if (server.uidvalidity != local.uidvalidity || server.uidnext != local.uidnext || server.messages != local.server_messages)
        return false;
    // Empty then and now, and no UID given out since: there is no message whose flags could have
    // changed, so HIGHESTMODSEQ (missing without CONDSTORE) is not needed to know it.
    if (server.messages == 0) return true;
    return server.highestmodseq && *server.highestmodseq != 0 && *server.highestmodseq == local.highestmodseq;
}

bool only_changes_known(const store::MailboxRecord& local, const ServerMailbox& server) {
    if (local.last_sync_method == store::SyncMethod::never || local.deleted_on_server || !server.has_status) return false;
    if (server.uidvalidity != local.uidvalidity || local.highestmodseq == 0 || !server.highestmodseq) return false;
    return server.uidnext <= local.uidnext;
}

bool settles_from_status(const store::MailboxRecord& local, std::uint32_t mirrored, const ServerMailbox& server) {
    if (local.last_sync_method != store::SyncMethod::never || local.deleted_on_server || mirrored != 0) return false;
    if (!server.has_status || server.messages != 0 || server.uidvalidity == 0 || server.uidnext == 0) return false;
    return local.uidvalidity == 0 || local.uidvalidity == server.uidvalidity;
}

MailboxPlan plan_mailboxes(const std::vector<ServerMailbox>& server, const std::vector<store::MailboxRecord>& local,
                           const MailboxSelector& selects, PullMode mode) {
    MailboxPlan plan;
    std::map<std::string, const store::MailboxRecord*> local_by_name;
    for (const auto& record : local) {
        if (record.created_offline || !selects(record.name, delimiter_of(record))) continue;
        local_by_name.emplace(record.name, &record);
    }

    std::vector<const ServerMailbox*> unmatched_server;
    std::map<std::string, bool> on_server;
    for (const auto& mailbox : server) {
        if (!selects(mailbox.name, mailbox.delimiter)) continue;
        on_server[mailbox.name] = true;
        auto it = local_by_name.find(mailbox.name);
        if (it != local_by_name.end()) plan.present.emplace_back(it->second->id, mailbox);
        else unmatched_server.push_back(&mailbox);
    }
    std::vector<const store::MailboxRecord*> missing_local;
    for (const auto& [name, record] : local_by_name)
        if (!on_server.count(name)) missing_local.push_back(record);

    // Renames: a UIDVALIDITY that is unique among the missing and among the new on each side.
    std::map<std::uint32_t, int> missing_count, new_count;
    for (const auto* record : missing_local) ++missing_count[record->uidvalidity];
    for (const auto* mailbox : unmatched_server) ++new_count[mailbox->uidvalidity];
    std::vector<const store::MailboxRecord*> still_missing;
    for (const auto* record : missing_local) {
        const ServerMailbox* target = nullptr;
        if (record->uidvalidity != 0 && missing_count[record->uidvalidity] == 1 && new_count[record->uidvalidity] == 1) {
            for (auto*& candidate : unmatched_server) {
                if (candidate && candidate->uidvalidity == record->uidvalidity) {
                    target = candidate;
                    candidate = nullptr;
                    break;
                }
            }
        }
        if (target) {
            plan.rename.push_back({record->id, record->name, target->name});
            plan.present.emplace_back(record->id, *target);
        } else {
            still_missing.push_back(record);
        }
    }
    for (const auto* mailbox : unmatched_server)
        if (mailbox) plan.create.push_back(*mailbox);
    for (const auto* record : still_missing) {
        if (mode == PullMode::backup) {
            if (!record->deleted_on_server) plan.mark_deleted.push_back(record->id);
        } else {
            plan.remove.push_back(record->id);
        }
    }
    return plan;
}

}  // namespace mailsync::sync

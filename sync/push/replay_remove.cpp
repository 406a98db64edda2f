// The remove executor (executors.hpp): a group of deletes in one mailbox, expunged by UID.
#include <map>

#include <fmt/format.h>

#include "sync/push/executors.hpp"

namespace mailsync::sync {

using store::QueueKind;
using store::QueueRecord;
using store::Uid;

namespace {

// Without UIDPLUS there is no UID EXPUNGE: only an EXPUNGE of every message marked \Deleted. It is
// used only when UID SEARCH DELETED shows that no other message of the mailbox is marked so (a
// bystander's \Deleted mail must survive); else the delete is refused, saying why, and tried
// again at the next sync. The race left: another client marking a message \Deleted between the
// SEARCH and the EXPUNGE (a few milliseconds) has it expunged with ours.
void expunge_without_uidplus(PushServer& server, const std::string& mailbox, const imap::SequenceSet& doomed) {
    auto others = server.search_deleted();
    if (!others) throw Refused{"the server answered NO to UID SEARCH DELETED"};
    others->remove(doomed);
    if (!others->empty())
        throw Refused{fmt::format("the server does not offer UIDPLUS (UID EXPUNGE), and {} other message{} in {} "
                                  "marked \\Deleted by another client would be expunged with it",
                                  others->count(), others->count() == 1 ? "" : "s", quoted_display_name(mailbox))};
    server.store_flags(doomed, {"\\Deleted"}, imap::cmd::StoreMode::add, std::nullopt);
    server.expunge_all_deleted_and_leave();
}

}  // namespace

void replay_remove(ReplayContext& context, std::vector<MarkedRecord>& group) {
    PushServer& server = context.server;
    const QueueRecord& lead = group.front().record;
    const auto settle = [&](const QueueRecord& record, ServerFinding finding, std::string words) {
        return send_or_settle(context, record, {decide(QueueKind::remove, finding), std::move(words)});
    };
    try {
        if (!server.select(lead.name)) {
            for (const auto& marked : group) settle(marked.record, ServerFinding::message_gone, "the server deleted the mailbox");
            return;
        }
        const auto by_uid = records_by_current_uid(context, group);
        if (by_uid.empty()) return;
        imap::SequenceSet uids;
        for (const auto& [uid, marked] : by_uid) uids.add(uid);
        const auto before = server.fetch_flags(uids);
        imap::SequenceSet doomed;
        std::map<Uid, Outcome> outcomes;
        for (const auto& [uid, marked] : by_uid) {
            const QueueRecord& record = marked->record;
            const auto found = before.find(uid);
            if (found == before.end()) {
                settle(record, ServerFinding::message_gone, "the server deleted the message");
                continue;
            }
            const bool changed = server_changed_flags(found->second.flags, record.base_flags, {}, {}, false);
            Outcome outcome{decide(QueueKind::remove, changed ? ServerFinding::flags_changed : ServerFinding::as_before),
                            flags_change_words(record.base_flags, found->second.flags)};
            if (!send_or_settle(context, record, outcome)) continue;
            doomed.add(uid);
            outcomes.emplace(uid, std::move(outcome));
        }
        if (doomed.empty()) return;
        if (server.has("UIDPLUS")) {
            server.store_flags(doomed, {"\\Deleted"}, imap::cmd::StoreMode::add, std::nullopt);
            server.expunge_exactly(doomed);
        } else {
            expunge_without_uidplus(server, lead.name, doomed);
        }
        for (Uid uid : doomed.values()) context.ledger.confirm(by_uid.at(uid)->record, outcomes.at(uid));
    } catch (const Refused& refused) {
        for (const auto& marked : group)
            if (!context.ledger.settled_in_this_run(marked.record.seq)) context.ledger.refuse(marked.record, refused.why, refused.retrying_can_help);
    }
}

}  // namespace mailsync::sync

#include "sync/pull/mailbox_list.hpp"

#include <map>
#include <string>

#include <fmt/format.h>

#include "common/error.hpp"

namespace mailsync::sync {
namespace {

struct ListCollector final : imap::UntaggedHandler {
    std::vector<imap::ListData> lists;
    std::map<std::string, imap::StatusData> statuses;
    void on_untagged(const imap::Response& response) override {
        if (const auto* list = std::get_if<imap::ListData>(&response); list && !list->lsub) lists.push_back(*list);
        if (const auto* status = std::get_if<imap::StatusData>(&response)) statuses[status->mailbox] = *status;
    }
};

bool has_attribute(const imap::ListData& list, std::string_view attribute) {
    for (const auto& a : list.attributes)
        if (a == attribute) return true;
    return false;
}

}  // namespace

std::vector<ServerMailbox> list_mailboxes(imap::Session& session, const MailboxSelector& wanted) {
    const bool list_status = session.has_capability("LIST-STATUS");
    const bool modseq = session.has_capability("CONDSTORE") || session.is_enabled("QRESYNC");
    // What the plan compares (mailbox_plan.hpp); UNSEEN is not asked: ~10 bytes a mailbox on every
    // sync for a count the mirror has of its own.
    std::vector<std::string> items = {"MESSAGES", "UIDNEXT", "UIDVALIDITY"};
    if (modseq) items.emplace_back("HIGHESTMODSEQ");

    ListCollector collector;
    const imap::ScopedHandler scope(session, collector);

    imap::cmd::List list;
    list.reference = "";
    list.pattern = "*";
    list.return_special_use = session.has_capability("SPECIAL-USE");
    if (list_status) list.return_status = items;
    const imap::StatusResponse answer = session.run(list);
    if (answer.status != imap::Status::ok) {
        // Chosen from the capabilities expected of a login still in flight (open_pipelined), the
        // LIST may ask what the server lacks; its real list is known now: ask again by that.
        const bool real_modseq = session.has_capability("CONDSTORE") || session.is_enabled("QRESYNC");
        if (list_status != session.has_capability("LIST-STATUS") || modseq != real_modseq)
            return list_mailboxes(session, wanted);
        throw Error(ErrorCategory::protocol, fmt::format("server refused {}: {}", imap::describe(list), answer.text));
    }

    std::vector<ServerMailbox> mailboxes;
    for (const auto& data : collector.lists) {
        if (has_attribute(data, "\\NOSELECT") || has_attribute(data, "\\NONEXISTENT")) continue;
        ServerMailbox mailbox;
        mailbox.name = data.mailbox;
        mailbox.delimiter = data.delimiter.value_or('\0');
        mailbox.attributes = data.attributes;
        mailbox.special_use = special_use_of(data.attributes);
        mailboxes.push_back(std::move(mailbox));
    }
    if (!list_status) {
        std::vector<std::string> tags;
        for (const auto& mailbox : mailboxes)
            if (wanted(mailbox.name, mailbox.delimiter)) tags.push_back(session.send(imap::cmd::Status{mailbox.name, items}));
        for (const auto& tag : tags) session.wait(tag);   // a NO leaves that mailbox without status
    }
    for (auto& mailbox : mailboxes) {
        auto it = collector.statuses.find(mailbox.name);
        if (it == collector.statuses.end()) continue;
        const imap::StatusData& status = it->second;
        mailbox.has_status = status.messages && status.uidnext && status.uidvalidity;
        mailbox.messages = status.messages.value_or(0);
        mailbox.uidnext = status.uidnext.value_or(0);
        mailbox.uidvalidity = status.uidvalidity.value_or(0);
        mailbox.highestmodseq = status.highestmodseq;
    }
    return mailboxes;
}

}  // namespace mailsync::sync

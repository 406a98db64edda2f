#include "sync/pull/body_repair.hpp"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "common/error.hpp"
#include "sync/imap/mutf7.hpp"
#include "sync/pull/blob_sink.hpp"
#include "sync/pull/selected_mailbox_listener.hpp"

namespace mailsync::sync {
namespace {

class Repairer {
public:
    Repairer(imap::Session& session, store::Store& store) : session_(session), store_(store), events_(session, false) {}

    // The hash of the bytes the server has for this message now (of its header section only, for a
    // partial message: that is what its file holds); nullopt when it has none.
    std::optional<store::BodyHash> fetch(const store::MailboxRecord& mailbox, store::Uid uid, bool header_only) {
        if (!examine(mailbox)) return std::nullopt;
        BlobSink sink([this] { return store_.begin_body(); }, header_only ? "HEADER" : "");
        SinkScope scope(session_, sink);
        std::optional<store::BodyHash> got;
        events_.on_fetch = [&](const imap::FetchData& fetch) {
            if (fetch.uid != uid) return;
            if (auto stored = sink.take(fetch)) got = stored->hash;
        };
        imap::cmd::UidFetch command;
        command.uids.add(uid);
        command.items = {"UID", header_only ? "BODY.PEEK[HEADER]" : "BODY.PEEK[]"};
        imap::StatusResponse response;
        try {
            response = session_.wait(session_.send(std::move(command)));
        } catch (...) {
            events_.on_fetch = nullptr;
            throw;
        }
        events_.on_fetch = nullptr;
        if (response.status != imap::Status::ok) return std::nullopt;
        return got;
    }

private:
    // EXAMINE, once per mailbox; false when the server refuses it or has renumbered it.
    bool examine(const store::MailboxRecord& mailbox) {
        if (examined_ && *examined_ == mailbox.id) return usable_;
        imap::cmd::Select select;
        select.mailbox = mailbox.name;
        select.read_only = true;
        const auto selected = session_.select(select, true);
        examined_ = mailbox.id;
        usable_ = selected && selected->uidvalidity == mailbox.uidvalidity;
        return usable_;
    }

    imap::Session& session_;
    store::Store& store_;
    SelectedMailboxListener events_;
    std::optional<store::MailboxId> examined_;
    bool usable_ = false;
};

struct Holder {
    store::MessageRecord message;
    std::optional<store::MailboxRecord> mailbox;
};

}  // namespace

std::vector<BodyRepair> repair_bodies(imap::Session& session, store::Store& store) {
    const std::vector<store::BodyHash> listed = store.read([](const store::ReadTxn& txn) { return txn.damaged_bodies(); });
    std::vector<BodyRepair> outcomes;
    if (listed.empty()) return outcomes;
    Repairer repairer(session, store);
    for (const store::BodyHash& hash : listed) {
        const std::vector<Holder> holders = store.read([&](const store::ReadTxn& txn) {
            std::vector<Holder> out;
            for (store::MessageId id : txn.messages_with_body(hash)) {
                if (auto message = txn.message(id)) out.push_back({*message, txn.mailbox(message->mailbox)});
            }
            return out;
        });
        const bool sound_now = store.check_body(hash) == store::BodyCheck::ok;
        std::map<store::MessageId, RepairResult> results;
        std::optional<RepairResult> for_all = sound_now ? std::optional(RepairResult::already_sound) : std::nullopt;
        for (const Holder& holder : holders) {
            if (for_all) break;
            RepairResult& result = results[holder.message.id];
            const bool on_server = holder.message.uid && !holder.message.deleted_on_server && holder.mailbox &&
                                   !holder.mailbox->deleted_on_server && !holder.mailbox->created_offline;
            if (!on_server) {
                result = holder.message.uid ? RepairResult::gone_from_server : RepairResult::local_only;
                continue;
            }
            const std::optional<store::BodyHash> got = repairer.fetch(*holder.mailbox, *holder.message.uid, holder.message.partial);
            if (!got) result = RepairResult::gone_from_server;
            else if (*got != hash) result = RepairResult::differs;
            else for_all = RepairResult::repaired;   // renamed over the damaged file: every holder is sound
        }
        if (for_all || holders.empty()) store.write([&](store::WriteTxn& txn) { txn.mark_body_sound(hash); });
        for (const Holder& holder : holders) {
            BodyRepair repair;
            repair.message = holder.message.id;
            repair.mailbox = holder.mailbox ? holder.mailbox->name : std::string();
            repair.uid = holder.message.uid;
            repair.body = hash.hex();
            repair.result = for_all ? *for_all : results.at(holder.message.id);
            repair.kept_by_backup = repair.result == RepairResult::gone_from_server &&
                                    (holder.message.deleted_on_server || (holder.mailbox && holder.mailbox->deleted_on_server));
            outcomes.push_back(std::move(repair));
        }
    }
    return outcomes;
}

std::string describe(const BodyRepair& repair) {
    const std::string message = fmt::format("message {}{} in '{}'", repair.message,
                                            repair.uid ? fmt::format(" (UID {})", *repair.uid) : std::string(),
                                            imap::mailbox_display_name(repair.mailbox));
    switch (repair.result) {
        case RepairResult::repaired: return message + ": its body was fetched again from the server and is sound";
        case RepairResult::already_sound: return message + ": its body is sound again";
        case RepairResult::gone_from_server:
            return repair.kept_by_backup
                       ? message + fmt::format(": the server no longer has it, so its damaged body {} cannot be fetched again; "
                                               "backup mode keeps the message (restore the body file from another backup)",
                                               repair.body)
                       : message + fmt::format(": the server no longer has it (or renumbered its mailbox), so its damaged body "
                                               "{} cannot be fetched again; the next sync drops or re-pairs it",
                                               repair.body);
        case RepairResult::differs:
            return message + fmt::format(": the server sent other bytes than the body {} it had: the damaged file is kept as it is",
                                         repair.body);
        case RepairResult::local_only:
            return message + fmt::format(": it was added offline and is not on the server yet, so its damaged body {} "
                                         "exists nowhere else", repair.body);
    }
    return message;
}

}  // namespace mailsync::sync

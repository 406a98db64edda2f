#include "sync/pull/selected_mailbox_listener.hpp"

namespace mailsync::sync {

SelectedMailboxListener::SelectedMailboxListener(imap::Session& session, bool qresync_enabled) : session_(session), qresync_(qresync_enabled) {
    session_.set_handler(this);
}

SelectedMailboxListener::~SelectedMailboxListener() { session_.set_handler(nullptr); }

void SelectedMailboxListener::on_untagged(const imap::Response& response) {
    if (const auto* fetch = std::get_if<imap::FetchData>(&response)) {
        if (!fetch->uid && qresync_) {
            misbehaved = true;
            misbehaviour = "the server sent a FETCH without UID while QRESYNC was enabled";
        }
        if (fetch->uid == 0u) ++zero_uids;
        if (on_fetch) on_fetch(*fetch);
    } else if (const auto* esearch = std::get_if<imap::ESearchData>(&response)) {
        if (esearch->all) searched.add(*esearch->all);
    } else if (const auto* search = std::get_if<imap::SearchData>(&response)) {
        for (std::uint32_t uid : search->numbers) {
            if (uid != 0) searched.add(uid);
            else ++zero_uids;
        }
    } else if (const auto* vanished = std::get_if<imap::VanishedData>(&response)) {
        if (vanished->earlier) vanished_earlier.add(vanished->uids);
        else mailbox_changed = true;
    } else if (std::holds_alternative<imap::ExpungeData>(response)) {
        mailbox_changed = true;
        if (qresync_) {
            misbehaved = true;
            misbehaviour = "the server sent EXPUNGE while QRESYNC was enabled";
        }
    } else if (std::holds_alternative<imap::ExistsData>(response)) {
        mailbox_changed = true;
    }
}

}  // namespace mailsync::sync

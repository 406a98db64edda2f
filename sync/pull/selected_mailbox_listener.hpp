// Listens to a selected mailbox's untagged responses while the engine works in it: hands FETCH
// data to whoever asked for it, and keeps what tells whether the server behaves under QRESYNC
// (RFC 7162 §3.2.10: with QRESYNC enabled, a server reports expunges with VANISHED, never EXPUNGE,
// and every FETCH carries the UID).
#pragma once

#include <functional>

#include "sync/imap/response.hpp"
#include "sync/imap/session.hpp"

namespace mailsync::sync {

class SelectedMailboxListener final : public imap::UntaggedHandler {
public:
    SelectedMailboxListener(imap::Session& session, bool qresync_enabled);
    ~SelectedMailboxListener() override;
    SelectedMailboxListener(const SelectedMailboxListener&) = delete;
    SelectedMailboxListener& operator=(const SelectedMailboxListener&) = delete;

    void on_untagged(const imap::Response& response) override;

    // Receives every FETCH while set.
    std::function<void(const imap::FetchData&)> on_fetch;

    imap::SequenceSet searched;           // UIDs from SEARCH / ESEARCH results
    imap::SequenceSet vanished_earlier;   // VANISHED (EARLIER): expunged since the given MODSEQ
    bool misbehaved = false;              // a protocol rule of QRESYNC was broken
    std::string misbehaviour;             // in words, for the report
    std::uint64_t zero_uids = 0;          // FETCH or SEARCH data naming UID 0, which no message has
    bool mailbox_changed = false;         // EXISTS / EXPUNGE / VANISHED arrived: the mailbox moved on

    // Forgets what was seen (between phases), keeping the handler installed.
    void reset_flags() { misbehaved = false; misbehaviour.clear(); mailbox_changed = false; }

private:
    imap::Session& session_;
    bool qresync_;
};

}  // namespace mailsync::sync

// The words people read about queued changes, composed in one place: a change as a noun phrase, a
// conflict (ConflictRecord) and a refusal each as one plain sentence. The parts come from where
// their rules live — the resolution from the conflict table (conflict_rules.cpp), what the server
// did from the executor that found it (sync/push/) — worded so that they fit these sentences:
//   server_change  a past-tense clause: "the server deleted the message"
//   resolution     a past-tense clause: "the message was uploaded again from the mirror into the destination"
//   why (refusal)  a clause that follows "because": "the server answered NO to UID MOVE, saying ..."
#pragma once

#include <cstdint>
#include <string>

#include "store/records.hpp"

namespace mailsync::sync {

// The record as a noun phrase, without article ("flag change +\Seen on message 12 (UID 7) in
// 'INBOX'", "move of message 3 from 'INBOX' to 'Archive'", "creation of mailbox 'Work'"). Names
// are shown decoded.
std::string describe_change(const store::QueueRecord& record);

// "While the <local change> was queued, <server change>, so <resolution> (rule <rule>)."
std::string conflict_sentence(const store::ConflictRecord& record);

// Where a refused record stands: refused for good (not tried again), or `refusals` of `limit`.
struct RefusalState {
    bool for_good = false;
    std::uint32_t refusals = 0;
    std::uint32_t limit = 0;
};

// "The <change> was refused because <why>; <what next>." — the line a sync prints on stderr.
std::string refusal_sentence(const store::QueueRecord& record, const std::string& why, const RefusalState& state);

// "the server answered NO to <command>, saying \"<text>\"": the `why` of a refusal by the server.
std::string server_said_no(const std::string& command, const std::string& text);

}  // namespace mailsync::sync

// Typed IMAP commands and their encoding to bytes. A command is built without a tag; the session
// assigns the tag when it sends it.
//
// Encoding rules: an astring is sent as an atom when it is one, else as a quoted string when it
// has no CR/LF/NUL/8-bit bytes and is short, else as a literal: non-synchronizing ({n+}) when the
// server has LITERAL+ (or LITERAL- and n <= 4096), else synchronizing ({n}), where the session
// must wait for "+" before sending the rest. A message body given as a file is always a literal,
// read from the file while sending (never loaded whole).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sync/imap/sequence_set.hpp"

namespace mailsync::imap {

// ---- the commands ----------------------------------------------------------------------------
namespace cmd {
struct Capability {};
struct Noop {};
struct Logout {};
struct StartTls {};
struct CompressDeflate {};  // RFC 4978
struct Login { std::string user, password; };
// AUTHENTICATE mechanism [initial-response]; the initial response is already base64 ("=" for an
// empty one). Without SASL-IR the session sends it after the first "+".
struct Authenticate { std::string mechanism; std::optional<std::string> initial_response; };
struct Enable { std::vector<std::string> capabilities; };
struct Id { std::vector<std::pair<std::string, std::string>> fields; };  // RFC 2971; empty: NIL

struct QresyncParams {
    std::uint32_t uidvalidity = 0;
    std::uint64_t modseq = 0;
    std::optional<SequenceSet> known_uids;
    // (known sequence numbers, matching UIDs) of RFC 7162 §3.2.5.2, optional.
    std::optional<std::pair<SequenceSet, SequenceSet>> seq_match;
};
struct Select {
    std::string mailbox;          // wire bytes
    bool read_only = false;       // EXAMINE
    bool condstore = false;       // (CONDSTORE)
    std::optional<QresyncParams> qresync;
};
struct Unselect {};
struct Close {};
struct Create { std::string mailbox; std::optional<std::string> special_use; };  // "\Sent" (RFC 6154 CREATE-SPECIAL-USE)
struct Delete { std::string mailbox; };
struct Rename { std::string from, to; };
struct Subscribe { std::string mailbox; };
// LIST "" pattern [RETURN (SPECIAL-USE STATUS (items))] — RFC 5258/5819/6154.
struct List {
    std::string reference;
    std::string pattern = "*";
    bool return_special_use = false;
    std::vector<std::string> return_status;  // e.g. {"MESSAGES","UIDNEXT","UIDVALIDITY","HIGHESTMODSEQ"}
};
struct Status { std::string mailbox; std::vector<std::string> items; };

// UID FETCH set (items) [(CHANGEDSINCE n [VANISHED])]. Items are trusted fetch-att syntax, e.g.
// "UID", "FLAGS", "MODSEQ", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY.PEEK[]".
struct UidFetch {
    SequenceSet uids;
    bool to_star = false;  // the last range ends in '*' (e.g. "1:*")
    std::vector<std::string> items;
    std::optional<std::uint64_t> changed_since;
    bool vanished = false;  // requires changed_since and QRESYNC
};
enum class StoreMode { add, remove, replace };
struct UidStore {
    SequenceSet uids;
    std::optional<std::uint64_t> unchanged_since;
    StoreMode mode = StoreMode::add;
    bool silent = true;
    std::vector<std::string> flags;  // as on the wire: "\Seen", "$Label1"
};
struct UidCopy { SequenceSet uids; std::string mailbox; };
struct UidMove { SequenceSet uids; std::string mailbox; };
struct UidExpunge { SequenceSet uids; };
// UID SEARCH [RETURN (...)] criteria — criteria are trusted syntax built by the engine, e.g.
// "UID 1:500", "HEADER Message-ID <x@y>" is NOT trusted: use search_header below.
// A search key or argument of `keys`: an atom the engine built ("FROM", "(", "OR", "1024"), or a
// user's string (encoded quoted or as a literal; 8-bit ones make the command say CHARSET UTF-8).
struct SearchKey {
    std::string text;
    bool is_string = false;
};
struct UidSearch {
    std::vector<std::string> return_options;  // ESEARCH: {"ALL"}, {"MIN","COUNT"}; empty: plain SEARCH
    std::string criteria;                     // trusted
    std::optional<std::pair<std::string, std::string>> header;  // HEADER field value, encoded as strings
    std::vector<SearchKey> keys;              // after criteria and header
};
struct Idle {};
struct Done {};  // not a tagged command: the "DONE" line that ends IDLE

// NOTIFY (RFC 5465): NOTIFY NONE when `groups` is empty, else
//   NOTIFY SET [STATUS] (filter [mailboxes] (events)) ...
// e.g. NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) (personal (MessageNew ...)).
// MessageNew carries no fetch attributes here: the engine fetches what it needs itself.
enum class NotifyEvent { message_new, message_expunge, flag_change, mailbox_name, subscription_change };
enum class NotifyFilter { selected, selected_delayed, inboxes, personal, subscribed, subtree, mailboxes };
struct NotifyGroup {
    NotifyFilter filter = NotifyFilter::personal;
    std::vector<std::string> mailboxes;  // wire bytes; one or more for subtree and mailboxes, else none
    std::vector<NotifyEvent> events;     // empty: NONE (no events for these mailboxes)
};
struct Notify {
    bool status = false;  // SET STATUS: a STATUS of every watched mailbox before the tagged OK
    std::vector<NotifyGroup> groups;
};
// APPEND mailbox [(flags)] [date-time] literal, the message read from `path` (size bytes).
struct Append {
    std::string mailbox;
    std::vector<std::string> flags;
    std::optional<std::string> internal_date;  // "17-Jul-1996 02:44:25 -0700"
    std::string path;
    std::uint64_t size = 0;
};
}  // namespace cmd

using Command = std::variant<cmd::Capability, cmd::Noop, cmd::Logout, cmd::StartTls, cmd::CompressDeflate, cmd::Login,
    cmd::Authenticate, cmd::Enable, cmd::Id, cmd::Select, cmd::Unselect, cmd::Close, cmd::Create,
    cmd::Delete, cmd::Rename, cmd::Subscribe, cmd::List, cmd::Status, cmd::UidFetch, cmd::UidStore,
    cmd::UidCopy, cmd::UidMove, cmd::UidExpunge, cmd::UidSearch, cmd::Idle, cmd::Done, cmd::Append,
    cmd::Notify>;

// ---- encoding --------------------------------------------------------------------------------
struct EncoderOptions {
    bool literal_plus = false;   // LITERAL+ (RFC 7888): every literal may be non-synchronizing
    bool literal_minus = false;  // LITERAL-: non-synchronizing up to 4096 bytes
    bool utf8_accept = false;    // UTF8=ACCEPT enabled: 8-bit allowed in quoted strings
    std::size_t max_line = 8000; // longest command line we send (servers cap at ~8-64 KB)
};

namespace part {
struct Bytes { std::string bytes; };                       // send as is
struct AwaitContinuation {};                              // wait for "+" (synchronizing literal)
struct FileContent { std::string path; std::uint64_t size = 0; };  // stream the file's bytes
}  // namespace part
using Part = std::variant<part::Bytes, part::AwaitContinuation, part::FileContent>;

struct EncodedCommand {
    std::string tag;            // empty for Done
    std::vector<Part> parts;    // ends with the CRLF that finishes the command
};

// Throws Error(internal) when the command cannot be encoded because the caller built it wrong (an
// empty UID set, an invalid tag, fetch item, status item or capability, VANISHED without
// CHANGEDSINCE, a mod-sequence over 2^63-1, a line over max_line: split UID sets with
// SequenceSet::split first). Throws Error(bad_input) for bad user data: a NUL byte in a string,
// a flag that is not "\atom" or an atom, an APPEND date that is not IMAP date-time, an empty
// message. Details:
// - max_line counts every line of the command including its CRLF (a literal's header ends a
//   line; literal data counts for no line).
// - Quoted strings are used up to 1024 bytes; 8-bit bytes only with utf8_accept and valid UTF-8.
// - A mailbox named "inbox" in any case is sent as INBOX. LIST patterns are always quoted.
// - Select: qresync wins over condstore (QRESYNC implies CONDSTORE, RFC 7162 §3.2.5).
// - UidFetch::to_star replaces the end of the last range: {1} -> "1:*", {1:3,10:20} -> "1:3,10:*".
// - UidSearch adds "CHARSET UTF-8" when the header field or value, or a string key, has 8-bit bytes;
//   keys are spaced as SEARCH wants them (none inside parentheses: "NOT (FROM \"a\" SEEN)").
// - Done: the tag is ignored and EncodedCommand::tag is empty.
// - Notify: Error(internal) for what RFC 5465 forbids: STATUS without groups, more than one
//   selected/selected-delayed group, a mailbox event (MailboxName, SubscriptionChange) for the
//   selected mailbox, MessageNew without MessageExpunge or the reverse, FlagChange without both,
//   subtree/mailboxes without a mailbox or another filter with one. Mailbox names are encoded as
//   for every other command (INBOX canonical; atom, quoted string or literal).
EncodedCommand encode(const std::string& tag, const Command& command, const EncoderOptions& options);

// For logs: the command without tag or CRLF, on one line, with secrets (LOGIN password,
// AUTHENTICATE data) replaced by "***", non-printable bytes as \xNN, a message file as
// "{size} <path>". Never throws for bad content, so even a command encode refused can be logged.
std::string describe(const Command& command);

}  // namespace mailsync::imap

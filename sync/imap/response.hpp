// Typed IMAP responses, as the codec produces them (RFC 3501 / 9051, 7162, 4315, 5258, 5819, 4731,
// 5465).
// Everything here owns its data: nothing points into the codec's receive buffer.
//
// Strings are the wire bytes after un-quoting / literal decoding (so a mailbox name is still
// modified UTF-7). Atoms that are case-insensitive on the wire (capabilities, status keywords,
// response-code names, LIST attributes) are upper-cased ASCII; flags and keywords keep their case,
// as servers expect them back verbatim.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sync/imap/sequence_set.hpp"

namespace mailsync::imap {

// ---- response codes: "[" resp-text-code "]" -------------------------------------------------
namespace code {
struct Alert {};
struct Capability { std::vector<std::string> capabilities; };
struct PermanentFlags { std::vector<std::string> flags; };  // may contain "\*"
struct UidValidity { std::uint32_t value = 0; };
struct UidNext { std::uint32_t value = 0; };
struct Unseen { std::uint32_t seq = 0; };
struct HighestModSeq { std::uint64_t value = 0; };
struct NoModSeq {};
struct AppendUid { std::uint32_t uidvalidity = 0; SequenceSet uids; };      // RFC 4315
struct CopyUid { std::uint32_t uidvalidity = 0; SequenceSet source, destination; };
struct UidNotSticky {};
struct Modified { SequenceSet set; };                                      // RFC 7162
struct Closed {};
struct ReadOnly {};
struct ReadWrite {};
struct TryCreate {};
struct Nonexistent {};  // RFC 5530; other 5530 codes arrive as Other
// RFC 5465: tagged NO to NOTIFY (too expensive), or untagged OK: the server stopped notifying and
// behaves as after NOTIFY NONE. (BADEVENT arrives as Other.)
struct NotificationOverflow {};
struct Other { std::string name; std::string arguments; };  // unknown: kept for messages/logs
}  // namespace code

using ResponseCode = std::variant<code::Alert, code::Capability, code::PermanentFlags,
    code::UidValidity, code::UidNext, code::Unseen, code::HighestModSeq, code::NoModSeq,
    code::AppendUid, code::CopyUid, code::UidNotSticky, code::Modified, code::Closed,
    code::ReadOnly, code::ReadWrite, code::TryCreate, code::Nonexistent, code::NotificationOverflow,
    code::Other>;

enum class Status { ok, no, bad, bye, preauth };

// "tag OK [code] text" (tag set), or "* OK/NO/BAD/BYE/PREAUTH [code] text" (tag empty).
struct StatusResponse {
    std::optional<std::string> tag;
    Status status = Status::ok;
    std::optional<ResponseCode> code;
    std::string text;
};

// "+ text" — the text is kept raw (it is base64 during AUTHENTICATE).
struct Continuation { std::string text; };

struct CapabilityData { std::vector<std::string> capabilities; };
struct EnabledData { std::vector<std::string> capabilities; };

// LIST / LSUB. delimiter is nullopt for NIL (a flat namespace).
struct ListData {
    bool lsub = false;
    std::vector<std::string> attributes;  // "\HASCHILDREN", "\NOSELECT", "\SENT", ...
    std::optional<char> delimiter;
    std::string mailbox;                  // wire bytes (modified UTF-7)
};

// STATUS mailbox (items). Absent items are nullopt.
struct StatusData {
    std::string mailbox;
    std::optional<std::uint32_t> messages, uidnext, uidvalidity, unseen, recent;
    std::optional<std::uint64_t> highestmodseq, size;
};

struct ExistsData { std::uint32_t count = 0; };
struct RecentData { std::uint32_t count = 0; };
struct ExpungeData { std::uint32_t seq = 0; };
struct VanishedData { bool earlier = false; SequenceSet uids; };
struct FlagsData { std::vector<std::string> flags; };

struct Address {
    std::optional<std::string> name, adl, mailbox, host;
};

struct Envelope {
    std::optional<std::string> date, subject;
    std::vector<Address> from, sender, reply_to, to, cc, bcc;
    std::optional<std::string> in_reply_to, message_id;
};

// One BODY[section]<origin> / BINARY[section] / RFC822[.HEADER|.TEXT] item of a FETCH.
struct BodySection {
    std::string item;                  // "BODY", "BINARY", "RFC822", "RFC822.HEADER", "RFC822.TEXT"
    std::string section;               // text between the brackets, e.g. "", "HEADER", "1.2.MIME"
    std::optional<std::uint32_t> origin;
    bool nil = false;                  // the server answered NIL
    std::uint64_t size = 0;            // bytes of the literal or quoted string
    bool streamed = false;             // the bytes went to the BodySink, not into `data`
    std::string data;                  // the bytes, when not streamed
};

struct FetchData {
    std::uint32_t seq = 0;
    std::optional<std::uint32_t> uid;
    std::optional<std::vector<std::string>> flags;
    std::optional<std::uint64_t> modseq;
    std::optional<std::string> internal_date;   // raw date-time, see parse_internal_date()
    std::optional<std::uint64_t> rfc822_size;
    std::optional<Envelope> envelope;
    // BODYSTRUCTURE as the server sent it (wire text, not interpreted; a literal inside it keeps its
    // {n} prefix), for a message mirrored as headers only; nullopt when absent.
    std::optional<std::string> body_structure;
    std::vector<BodySection> sections;
};

// SEARCH (RFC 3501; "(MODSEQ n)" of RFC 7162).
struct SearchData { std::vector<std::uint32_t> numbers; std::optional<std::uint64_t> modseq; };

// ESEARCH (RFC 4731).
struct ESearchData {
    std::optional<std::string> tag;
    bool uid = false;
    std::optional<std::uint32_t> min, max, count;
    std::optional<SequenceSet> all;
    std::optional<std::uint64_t> modseq;
};

// An untagged response this codec has no type for (ID, NAMESPACE, QUOTA, ...). The line is kept
// (literals replaced by their size) so that it can be logged.
struct OtherData { std::string keyword; std::string line; };

using Response = std::variant<StatusResponse, Continuation, CapabilityData, EnabledData, ListData,
    StatusData, ExistsData, RecentData, ExpungeData, VanishedData, FlagsData, FetchData, SearchData,
    ESearchData, OtherData>;

}  // namespace mailsync::imap

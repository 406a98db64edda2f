// Headers first (issue 13): which messages the mirror holds whole, and which as headers and
// structure only ("partial": BODY[HEADER] as its body file, BODYSTRUCTURE and RFC822.SIZE in its
// record; store/records.hpp). The account's `bodies:` and `max_size:` keys become a BodyRule:
//
//   bodies: all          every body (the default; with max_size, those up to it)
//   bodies: headers      no body: every new message is partial
//   bodies: {newer-than: 90d}   bodies of messages whose INTERNALDATE is at most 90 days old
//   max_size: 10MB       no body larger than this (RFC822.SIZE), whatever `bodies` says
//
// A partial message gets its body when `show` asks for it online, when `sync --bodies` completes
// the mirror, or when the rule changes so that it qualifies (partial_bodies.hpp). Bodies already
// downloaded are never dropped when the rule narrows. Backup mode downloads every body.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/records.hpp"

namespace mailsync::sync {

struct BodyRule {
    enum class Bodies { all, headers, newer_than };
    Bodies bodies = Bodies::all;
    std::int64_t newer_than_seconds = 0;        // with Bodies::newer_than
    std::optional<std::uint64_t> max_size;      // bytes; nullopt: no limit

    // Whether every body is wanted (today's behaviour, and backup mode).
    bool downloads_everything() const { return bodies == Bodies::all && !max_size; }
    // The rule in words that stay the same while it does ("all", "headers",
    // "newer-than 7776000s, max 10485760 bytes"): recorded in the store when a sync has applied it,
    // so that a sync notices a changed rule without reading every record.
    std::string fingerprint() const;
    friend bool operator==(const BodyRule&, const BodyRule&) = default;
};

// Whether the message's body is downloaded under the rule at `now` (seconds since the epoch).
bool wants_body(const BodyRule& rule, const store::MessageRecord& message, store::UnixTime now);

// A BODYSTRUCTURE longer than this is not kept (the message is still mirrored, headers only).
inline constexpr std::size_t max_structure_bytes = 64u << 10;

}  // namespace mailsync::sync

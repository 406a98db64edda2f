// Recognising a message the mirror already holds without downloading it.
//
// Identity: what the server tells before the body — Message-ID, RFC822.SIZE, and the envelope's
// Date and Subject. The body hash cannot be known without the bytes, so the identity only proposes
// candidates, for
//   - re-pairing after a UIDVALIDITY change (the same mailbox, new UIDs), and
//   - reusing a stored body for a new message (a move or copy on the server).
// A message without a Message-ID is never matched: it is downloaded.
//
// Check, for both uses: a candidate is taken only when the server's header section (UID FETCH
// BODY.PEEK[HEADER], pipelined, for a whole chunk of candidates) is byte-identical to the stored
// body's (its bytes up to and including the first CRLF CRLF), compared by SHA-256 and length, and
// RFC822.SIZE is equal; otherwise the message is downloaded. When several stored bodies share an
// identity, each (up to BodyCatalog's bound) is tried. So two deliveries of one mail (different
// Received: lines), a resent or re-edited message, or anything else whose header differs in a
// single byte is stored with its own exact bytes. A header section over max_header_bytes is not
// compared: downloaded. A server whose BODY[HEADER] is not the prefix of its BODY[] (one that
// rebuilds MIME) never matches: it costs the headers, then downloads as before.
//
// Cost: the header section once per candidate, plus under 100 bytes of framing (the FETCH line, a
// share of the tagged reply), and one short command per 500 candidates. Measured: a moved 100 kB
// test message with a 216-byte header cost 301 bytes more received and 40 more sent than the
// unchecked reuse. Over the demo's generated mail (scripts/generate-mail.py, 505 messages)
// headers are 669 bytes at the median against 5.7 kB messages (mean 50 kB): 1.4% of the bytes a
// download would take. The stored side is read locally, header only.
//
// The body after the header is not compared. A text prefix (BODY.PEEK[TEXT]<0.4096>, in the same
// command) was weighed and left out: over the same mail it raises the check from 1.4% to 8.1% of the
// download, and for 55% of the messages the check would fetch three quarters of the message or more
// — recognising a move would hardly pay — while catching little: the header already carries what
// differs between two deliveries or a resend (Received, Resent-*, DKIM-Signature's bh= hash of the
// body, MIME boundaries), and an edit past the first 4 KiB (an attachment) would pass it anyway.
// The limit that remains: two messages whose header sections are byte-identical, with bodies of
// the same size that differ, are taken as one. `mailsync verify` re-hashes every body file but
// cannot tell such a pair apart.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/body_hash.hpp"
#include "store/records.hpp"

namespace mailsync::sync {

struct MessageIdentity {
    std::string message_id;
    std::uint64_t size = 0;
    std::string date;
    std::string subject;

    bool usable() const { return !message_id.empty(); }
    friend bool operator==(const MessageIdentity&, const MessageIdentity&) = default;
};

MessageIdentity identity_of(const store::MessageRecord& record);

// The header section of a message (RFC 5322 §2.1): its bytes up to and including the empty line
// that ends the header — the first CRLF CRLF — or all of them when there is none; what an IMAP
// server answers to BODY[HEADER]. Known by SHA-256 and length, so that two header sections are
// compared without holding either.
struct HeaderDigest {
    store::BodyHash sha256;
    std::uint64_t size = 0;
    friend bool operator==(const HeaderDigest&, const HeaderDigest&) = default;
};

// A header section longer than this is not compared: its message is downloaded.
inline constexpr std::uint64_t max_header_bytes = 256u << 10;

// Digests a header section given on its own (the server's BODY[HEADER]), chunk by chunk.
class HeaderHasher {
public:
    void update(std::string_view chunk);
    // nullopt when longer than max_header_bytes. The hasher is spent afterwards.
    std::optional<HeaderDigest> finish();

private:
    store::Sha256 sha256_;
    std::uint64_t size_ = 0;
};

// Digests the header section at the start of a whole message, fed chunk by chunk.
class HeaderScanner {
public:
    // Takes the next bytes of the message; false once the header section is complete or over the
    // bound (what follows is not needed).
    bool feed(std::string_view chunk);
    // The header section: complete, or the whole message if it ended without an empty line.
    // nullopt when longer than max_header_bytes. The scanner is spent afterwards.
    std::optional<HeaderDigest> finish();

private:
    HeaderHasher hasher_;
    std::uint64_t size_ = 0;
    unsigned matched_ = 0;   // bytes of CRLF CRLF matched so far
    bool done_ = false;
};

// The header section of the message `in` reads (a stored body file), reading at most
// max_header_bytes + 1 bytes of it. nullopt when over the bound or when the stream fails.
std::optional<HeaderDigest> header_of(std::istream& in);

struct StoredMessage {
    store::MessageId id = 0;
    MessageIdentity identity;
    store::BodyHash body;
};
struct ServerMessage {
    store::Uid uid = 0;
    MessageIdentity identity;
};

// Whether a stored and a server message of the same identity really are one (the header check);
// empty: the identity is taken as enough.
using PairCheck = std::function<bool(const StoredMessage&, const ServerMessage&)>;

// Pairs each server message with a stored one of the same identity, each used at most once, in
// UID order then id order (so duplicates pair up in their order on both sides); with `check`, a
// server message takes the first unused stored candidate that passes it. Returns (stored id,
// server UID) pairs in UID order.
std::vector<std::pair<store::MessageId, store::Uid>> pair_messages(const std::vector<StoredMessage>& stored,
                                                                     const std::vector<ServerMessage>& server,
                                                                     const PairCheck& check = {});

}  // namespace mailsync::sync

// One message as the index keeps it: a Xapian document whose docid is the message's local id
// (store::MessageId: allocated once, never reused, kept through moves, UID changes and UIDVALIDITY
// re-pairing), with
//   - free-text terms (with positions, for phrases) of the decoded headers and text parts, the
//     headers also under their field's prefix (from:, to:, cc:, subject:). The positions of body
//     text are most of the index (issue 13: two thirds of it on small text-only mail, four fifths
//     on mailing-list text); without them a phrase must be checked against each candidate's text,
//     which was measured at 1.3 s (mailing-list text) to 19 s (mail with attachments) for one
//     phrase of common words: bench/results/2026-12-02-search-*-nopos.md;
//   - boolean terms for what the store says of it: mailbox (by local id, so a rename changes
//     nothing here), flags, keywords, has:attachment, deleted on the server (backup mode);
//   - values: the INTERNALDATE and size (ranges, newest-first order), and two stamps that say
//     which state of the message the document was built from: the text stamp (body hash and
//     decoder version: the text must be read again only when it changes) and the record stamp
//     (everything else the document holds: a flag change or a move is a cheap update).
// The query parser (search_query.hpp) uses the same prefixes and slots.
#pragma once

#include <string>
#include <string_view>

#include <xapian.h>

#include "store/records.hpp"
#include "store/store.hpp"
#include "sync/search/searchable_text.hpp"

namespace mailsync::sync::search {

namespace prefix {
inline constexpr const char* from = "A";
inline constexpr const char* to = "XTO";
inline constexpr const char* cc = "XCC";
inline constexpr const char* subject = "S";
inline constexpr const char* mailbox = "XM";    // + decimal MailboxId
inline constexpr const char* flag = "XF";       // + system flag name, lower case: "XFseen"
inline constexpr const char* keyword = "XK";    // + keyword, lower case: "XK$label1"
inline constexpr const char* has = "XH";        // "XHattachment"
inline constexpr const char* gone = "XG";       // "XGserver": deleted on the server, kept (backup mode)
}  // namespace prefix

namespace slot {
inline constexpr Xapian::valueno date = 0;          // sortable_serialise(INTERNALDATE)
inline constexpr Xapian::valueno size = 1;          // sortable_serialise(RFC822.SIZE)
inline constexpr Xapian::valueno text_stamp = 2;
inline constexpr Xapian::valueno record_stamp = 3;
}  // namespace slot

// "XFseen" for "\Seen", "XK$label1" for "$Label1": flags compare without regard to case.
std::string flag_term(std::string_view flag);
std::string mailbox_term(store::MailboxId mailbox);

std::string text_stamp(const store::MessageRecord& message);
// Covers the text stamp too: equal record stamps mean an equal document.
std::string record_stamp(const store::MessageRecord& message);

// The whole document of a message whose text is `text`.
Xapian::Document make_document(const store::MessageRecord& message, const SearchableText& text);

// The document of a message of `store`, its body read and decoded (at most max_indexed_bytes).
// A body missing or damaged (`verify` says which): the message is found by what the store's
// record holds, and its stamps differ from the record's, so that the next update reads the body
// again (it may have been restored).
struct MessageDocument {
    Xapian::Document document;
    std::uint64_t text_bytes = 0;   // of decoded text: what the index holds in memory until a commit
    bool body_read = false;
};
MessageDocument message_document(const store::Store& store, const store::MessageRecord& message);

// Brings the record's part of an existing document (boolean terms, values, record stamp) to
// `message`, leaving its text alone: what a flag change, a move or a new UID needs.
void update_record_part(Xapian::Document& document, const store::MessageRecord& message);

// Xapian's docid for a message id; Error(internal) beyond Xapian's 32-bit docids.
Xapian::docid docid_of(store::MessageId id);

}  // namespace mailsync::sync::search

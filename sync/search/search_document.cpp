#include "sync/search/search_document.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "common/ascii.hpp"
#include "common/error.hpp"
#include "store/body_hash.hpp"
#include "sync/search/term_indexer.hpp"

namespace mailsync::sync::search {
namespace {

// Bytes of a body read for indexing: enough for any text part people write; beyond it is
// attachment data, and memory stays bounded whatever the message.
constexpr std::size_t max_indexed_bytes = 16u << 20;

// Terms longer than this are dropped by Xapian anyway; a keyword that long is not worth a term.
constexpr std::size_t max_term_bytes = 200;

// The prefixes of the record's part of a document: what update_record_part() replaces.
constexpr const char* record_prefixes[] = {prefix::mailbox, prefix::flag, prefix::keyword, prefix::gone};

bool is_record_term(const std::string& term) {
    return std::any_of(std::begin(record_prefixes), std::end(record_prefixes), [&](const char* p) {
        const std::string_view prefix(p);
        // The record prefixes are all "X" + one capital letter; what follows is never a capital
        // (lower-cased flag names, digits), so "XF..." cannot be another prefix's term.
        return term.size() > prefix.size() && term.compare(0, prefix.size(), prefix) == 0;
    });
}

void add_record_part(Xapian::Document& document, const store::MessageRecord& message) {
    document.add_boolean_term(mailbox_term(message.mailbox));
    for (const auto& flag : message.flags) {
        std::string term = flag_term(flag);
        if (term.size() <= max_term_bytes) document.add_boolean_term(term);
    }
    if (message.deleted_on_server) document.add_boolean_term(std::string(prefix::gone) + "server");
    document.add_value(slot::date, Xapian::sortable_serialise(static_cast<double>(message.internaldate)));
    document.add_value(slot::size, Xapian::sortable_serialise(static_cast<double>(message.size)));
    document.add_value(slot::record_stamp, record_stamp(message));
}

std::optional<std::string> read_body(const store::Store& store, const store::BodyHash& hash) {
    try {
        std::ifstream file = store.open_body(hash);
        file.seekg(0, std::ios::end);
        const auto size = static_cast<std::size_t>(std::max<std::streamoff>(file.tellg(), 0));
        file.seekg(0);
        std::string bytes(std::min(size, max_indexed_bytes), '\0');
        file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (file.bad()) return std::nullopt;
        bytes.resize(static_cast<std::size_t>(file.gcount()));
        return bytes;
    } catch (const Error&) {
        return std::nullopt;   // swept since the record was read, or damaged: `verify` reports it
    }
}

}  // namespace

std::string flag_term(std::string_view flag) {
    if (!flag.empty() && flag.front() == '\\') return prefix::flag + ascii::to_lower(flag.substr(1));
    return prefix::keyword + ascii::to_lower(flag);
}

std::string mailbox_term(store::MailboxId mailbox) { return fmt::format("{}{}", prefix::mailbox, mailbox); }

// The stamps are compared, never read: a digest is enough. Spelt out they took ~150 bytes a
// document (3 MB of the index of 20 000 small messages, issue 13). 16 bytes of SHA-256 make a
// chance collision (a document believed current when it is not) negligible beside a disk's errors.
std::string text_stamp(const store::MessageRecord& message) {
    return std::string(1, static_cast<char>(searchable_text_version)) + std::string(message.body_hash.view().substr(0, 16));
}

std::string record_stamp(const store::MessageRecord& message) {
    std::vector<std::string> flags;
    for (const auto& flag : message.flags) flags.push_back(ascii::to_lower(flag));
    std::sort(flags.begin(), flags.end());
    std::string stamp = fmt::format("{}:{} {} {} {} {} {}", searchable_text_version, message.body_hash.hex(),
                                    message.mailbox, message.internaldate, message.size,
                                    message.deleted_on_server ? 1 : 0, flags.size());
    for (const auto& flag : flags) stamp += " " + flag;
    return std::string(store::Sha256::of(stamp).view().substr(0, 16));
}

Xapian::Document make_document(const store::MessageRecord& message, const SearchableText& text) {
    Xapian::Document document;
    TermIndexer terms(document);
    // Each field is indexed twice: under its prefix (from:smith) and bare (smith), as a user
    // typing a name expects to find the mail from that person.
    static const std::string field_prefixes[] = {prefix::from, prefix::to, prefix::cc, prefix::subject};
    const std::string* values[] = {&text.from, &text.to, &text.cc, &text.subject};
    for (std::size_t field = 0; field < std::size(values); ++field) {
        terms.index_text(*values[field], field_prefixes[field]);
        terms.index_text(*values[field]);
        terms.increase_termpos();   // no phrase spans two fields
    }
    terms.index_text(text.body);
    if (text.has_attachment || (message.partial && structure_has_attachment(message.structure)))
        document.add_boolean_term(std::string(prefix::has) + "attachment");
    document.add_value(slot::text_stamp, text_stamp(message));
    add_record_part(document, message);
    return document;
}

MessageDocument message_document(const store::Store& store, const store::MessageRecord& message) {
    MessageDocument made;
    if (const auto body = read_body(store, message.body_hash)) {
        const SearchableText text = searchable_text(*body);
        made.document = make_document(message, text);
        made.text_bytes = text.body.size() + text.subject.size();
        made.body_read = true;
        return made;
    }
    SearchableText from_record;
    from_record.from = message.from;
    from_record.subject = message.subject;
    made.document = make_document(message, from_record);
    made.document.add_value(slot::text_stamp, "(body not read)");
    made.document.add_value(slot::record_stamp, record_stamp(message) + "?");
    return made;
}

void update_record_part(Xapian::Document& document, const store::MessageRecord& message) {
    std::vector<std::string> old_terms;
    for (auto term = document.termlist_begin(); term != document.termlist_end(); ++term)
        if (is_record_term(*term)) old_terms.push_back(*term);
    for (const auto& term : old_terms) document.remove_term(term);
    add_record_part(document, message);
}

Xapian::docid docid_of(store::MessageId id) {
    if (id == 0 || id > std::numeric_limits<Xapian::docid>::max())
        throw Error(ErrorCategory::internal, fmt::format("message id {} cannot be a search index document", id));
    return static_cast<Xapian::docid>(id);
}

}  // namespace mailsync::sync::search

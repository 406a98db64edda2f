#include "sync/search/term_indexer.hpp"

#include <array>

namespace mailsync::sync::search {
namespace {

// TermGenerator's default longest term (TermGenerator::set_max_word_length): longer ones are left out.
constexpr std::size_t max_word_length = 64;

enum CharClass : unsigned char { other, space, lower_or_digit, upper, high };

constexpr std::array<unsigned char, 256> make_classes() {
    std::array<unsigned char, 256> classes{};
    for (std::size_t c = 0; c < 256; ++c) {
        if (c >= 0x80) classes[c] = high;
        else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') classes[c] = space;
        else if (c >= 'A' && c <= 'Z') classes[c] = upper;
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') classes[c] = lower_or_digit;
    }
    return classes;
}
constexpr std::array<unsigned char, 256> classes = make_classes();

unsigned char class_of(char c) { return classes[static_cast<unsigned char>(c)]; }
bool is_word(char c) { return class_of(c) == lower_or_digit || class_of(c) == upper; }
bool is_space(char c) { return class_of(c) == space; }
bool is_ascii(char c) { return class_of(c) != high; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return class_of(c) == upper ? static_cast<char>(c + ('a' - 'A')) : c; }

// Whether some Xapian version's FLAG_CJK_NGRAM reads code point `p` as CJK. The versions' lists
// differ (1.4 starts at U+1100 Hangul Jamo or U+2E80, later ones take Thai in): everything from
// U+0E00 on counts, but for ranges no version lists (U+0E80-U+10FF; U+1200-U+2E7F: punctuation,
// symbols, Latin and Greek extended).
bool maybe_cjk(unsigned p) {
    if (p < 0x0E00) return false;
    if (p >= 0x0E80 && p < 0x1100) return false;
    if (p >= 0x1200 && p < 0x2E80) return false;
    return true;
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0u) == 0x80u; }

// Whether a word (no ASCII white space in it) holds a code point that may be CJK. A sequence of
// 4 bytes (U+10000 on), and anything that is not UTF-8 from a byte 0xE0 on, count as CJK: the
// text goes to TermGenerator, whose reading of bytes that are not UTF-8 is its own.
bool has_maybe_cjk(std::string_view word) {
    for (std::size_t i = 0; i < word.size(); ++i) {
        const auto c = static_cast<unsigned char>(word[i]);
        if (c < 0xE0) continue;   // ASCII, a continuation byte, or a code point below U+0800
        if (c >= 0xF0 || i + 2 >= word.size() || !is_continuation(word[i + 1]) || !is_continuation(word[i + 2]))
            return true;
        const unsigned p = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(word[i + 1]) & 0x3Fu) << 6) |
                           (static_cast<unsigned char>(word[i + 2]) & 0x3Fu);
        if (maybe_cjk(p)) return true;
        i += 2;
    }
    return false;
}

bool has_ascii_word_char(std::string_view word) {
    for (const char c : word)
        if (is_word(c)) return true;
    return false;
}

}  // namespace

TermIndexer::TermIndexer(Xapian::Document& document) : document_(document) {
    generator_.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
    generator_.set_document(document_);
}

void TermIndexer::index_text(std::string_view text, const std::string& prefix) {
    const std::size_t n = text.size();
    std::size_t ascii_from = 0;   // text[ascii_from, next) is for index_ascii
    std::size_t next = 0;
    while (next < n) {
        std::size_t other = next;   // the next byte that is not ASCII
        while (other < n && is_ascii(text[other])) ++other;
        if (other == n) break;
        std::size_t from = other;   // ... and the start of its word
        while (from > next && !is_space(text[from - 1])) --from;
        // TermGenerator's part: the words that are not all ASCII; after one that may be CJK, every
        // word up to one with an ASCII word character and no CJK, whose term ends TermGenerator's
        // carried one. It ends at white space where TermGenerator holds no state.
        std::size_t to = from;
        bool carried = false;
        while (to < n) {
            std::size_t word_end = to;
            bool ascii = true;
            for (; word_end < n && !is_space(text[word_end]); ++word_end)
                if (!is_ascii(text[word_end])) ascii = false;
            const std::string_view word = text.substr(to, word_end - to);
            if (ascii && !carried) break;
            if (!ascii && has_maybe_cjk(word)) carried = true;
            else if (carried && has_ascii_word_char(word)) carried = false;
            for (to = word_end; to < n && is_space(text[to]); ++to) {}
        }
        if (from > ascii_from) index_ascii(text.substr(ascii_from, from - ascii_from), prefix);
        index_other(text.substr(from, to - from), prefix);
        ascii_from = next = to;
    }
    if (ascii_from < n) index_ascii(text.substr(ascii_from), prefix);
}

void TermIndexer::index_other(std::string_view text, const std::string& prefix) {
    generator_.set_termpos(position_);
    generator_.index_text(Xapian::Utf8Iterator(text.data(), text.size()), 1, prefix);
    position_ = generator_.get_termpos();
}

// TermGenerator's parse_terms() for text of ASCII alone (xapian-core queryparser/termgenerator_internal.cc).
void TermIndexer::index_ascii(std::string_view text, const std::string& prefix) {
    const std::size_t n = text.size();
    const std::size_t base = prefix.size();
    std::string& term = term_;
    term.assign(prefix);
    const auto add = [&] {
        if (term.size() - base <= max_word_length) document_.add_posting(term, ++position_);
    };
    std::size_t i = 0;
    for (;;) {
        while (i < n && !is_word(text[i])) ++i;
        if (i == n) return;
        term.resize(base);
        // Initials separated by '.' ("P.T.O.", "U.N.C.L.E") are one term, unless a word character
        // follows; one letter is no acronym.
        if (class_of(text[i]) == upper) {
            std::size_t p = i;
            do {
                term += lower(text[p++]);
            } while (p != n && text[p] == '.' && ++p != n && class_of(text[p]) == upper);
            if (term.size() - base > 1 && (p == n || !is_word(text[p]))) {
                i = p;
                add();
                continue;
            }
            term.resize(base);
        }
        bool at_end = false;
        for (;;) {
            std::size_t end = i;
            while (end < n && is_word(text[end])) ++end;
            for (std::size_t c = i; c < end; ++c) term += lower(text[c]);
            const char last = text[end - 1];
            i = end;
            if (i == n) {
                at_end = true;
                break;
            }
            // One infix character between word characters keeps the term going: ' and & ("AT&T",
            // "don't"), and , . ; between digits ("1,000.5").
            if (i + 1 == n || !is_word(text[i + 1])) break;
            const char c = text[i];
            const bool infix = is_digit(last) && is_digit(text[i + 1]) ? (c == ',' || c == '.' || c == ';') : (c == '\'' || c == '&');
            if (!infix) break;
            term += c;
            ++i;
        }
        if (!at_end) {
            // Up to three '+' or '#' ("C++", "C#"), unless a word character follows (fish+chips).
            const std::size_t length = term.size();
            unsigned count = 0;
            while (text[i] == '+' || text[i] == '#') {
                if (++count > 3) {
                    term.resize(length);
                    break;
                }
                term += text[i];
                if (++i == n) {
                    at_end = true;
                    break;
                }
            }
            if (!at_end && is_word(text[i])) term.resize(length);
        }
        add();
    }
}

}  // namespace mailsync::sync::search

// The index's terms (sync/search/term_indexer.hpp) against Xapian's own TermGenerator, which they
// must equal term for term, position for position: on the cases its rules name, and on generated
// text mixing ASCII words, their infixes and suffixes, white space, other scripts, CJK and bytes
// that are not UTF-8. A Xapian whose TermGenerator reads text otherwise fails here.
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <xapian.h>

#include "sync/search/term_indexer.hpp"

using mailsync::sync::search::TermIndexer;

namespace {

// Every term of a document with its wdf and positions, one line each.
std::string terms_of(const Xapian::Document& document) {
    std::string out;
    for (auto term = document.termlist_begin(); term != document.termlist_end(); ++term) {
        out += *term + " wdf " + std::to_string(term.get_wdf()) + ":";
        for (auto position = term.positionlist_begin(); position != term.positionlist_end(); ++position)
            out += " " + std::to_string(*position);
        out += "\n";
    }
    return out;
}

// The text indexed under a prefix, then bare after a gap, as make_document() indexes a header.
std::string by_term_generator(const std::string& text, const std::string& prefix) {
    Xapian::Document document;
    Xapian::TermGenerator generator;
    generator.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
    generator.set_document(document);
    generator.index_text(text, 1, prefix);
    generator.increase_termpos();
    generator.index_text(text);
    return terms_of(document);
}

std::string by_term_indexer(const std::string& text, const std::string& prefix) {
    Xapian::Document document;
    TermIndexer indexer(document);
    indexer.index_text(text, prefix);
    indexer.increase_termpos();
    indexer.index_text(text);
    return terms_of(document);
}

}  // namespace

TEST_CASE("search terms: the cases of TermGenerator's rules give its terms and positions", "[search]") {
    const std::vector<std::string> texts = {
        "",
        "   \r\n\t ",
        "The quarterly Report, attached.",
        "P.T.O. U.N.C.L.E U.S.A.b A.B. I.e. X. Mr.Smith",
        "AT&T don't rock'n'roll M&S && 'quoted' end' &start",
        "1,000.50 3;4 1.2.3 a,b 1, 2 v1.2 1.x",
        "C++ C# F#+ fish+chips c+++ c++++ x#y a+ #tag +1",
        "snake_case __init__ _ __",
        "alice@example.org https://example.org/a/b?c=d&e=f#g",
        std::string(64, 'a') + " " + std::string(65, 'b') + " " + std::string(64, 'C') + "x",
        "Grüße aus München, café naïve résumé Ångström Straße über",
        "Привет встреча Καλημέρα €100 ✓ “quoted” it’s a–b…",
        "日本語のメールです。 report later 会議 abc&日本 def\tU.S.A. x 'ok",
        "日本\n\nU.S.A. 한국어 ภาษาไทย 🎉 party ｱｲｳ 1日2",
        "zero\u200bwidth\u2060joiner a\u00a0b c\u3000d",
        std::string("bad \xff\xfe utf-8 \xc3 cut \xe6\x97 end \x80"),
        std::string("cut short \xe2\x80日 U.S.A. end"),
        std::string("nul\0byte", 8),
    };
    for (const auto& text : texts) {
        for (const std::string prefix : {"", "S", "XTO"}) {
            INFO("text: " << text << " prefix: " << prefix);
            CHECK(by_term_indexer(text, prefix) == by_term_generator(text, prefix));
        }
    }
}

TEST_CASE("search terms: generated text of every kind gives TermGenerator's terms and positions", "[search]") {
    // Pieces weighted towards what TermGenerator treats specially: word characters of each class,
    // infixes, suffixes, white space, and non-ASCII of several kinds (CJK, which TermGenerator
    // carries terms across, among them).
    const std::vector<std::string> common = {"a", "b", "Z", "Q", "x", "0", "1", "9", " ", "."};
    const std::vector<std::string> rare = {
        "_", ",", ";", "'", "&", "+", "#", "\n", "\t", "\r", "-", "@", "/", "(", ")", "\"", "!", "?", ":",
        "U", "S", "A", "U.S.", "A&B", "é", "ü", "Ж", "ß", "\u2019", "\u2013", "\u201c", "\u20ac", "\u200b",
        "\u2060", "\ufeff", "\u00a0", "\u3000", "\u3002", "\u0301", "日", "本", "語", "日本", " 日本 ", "&日本",
        "'会", "한", "ก", "ｱ", "🎉", "\x80", "\xff", "\xc3", "\xe2\x80", "\xe6\x97", "\xed\xa0\x80",
        "\xe0\x80\x80", std::string(1, '\0')};
    std::mt19937 random(13);
    const auto pick = [&](const std::vector<std::string>& from) { return from[random() % from.size()]; };
    int differ = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string text;
        const auto pieces = random() % 60;
        for (unsigned i = 0; i < pieces; ++i) text += random() % 2 ? pick(common) : pick(rare);
        if (random() % 10 == 0) text += std::string(60 + random() % 10, 'a');
        const std::string prefix = random() % 2 ? "S" : "";
        const std::string expected = by_term_generator(text, prefix);
        const std::string got = by_term_indexer(text, prefix);
        if (got != expected && ++differ <= 3) {
            INFO("text: " << text << "\nTermGenerator:\n" << expected << "TermIndexer:\n" << got);
            CHECK(got == expected);
        }
    }
    CHECK(differ == 0);
}

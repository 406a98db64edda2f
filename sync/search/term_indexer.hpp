// The terms of a document's text with their positions: exactly what Xapian::TermGenerator (no
// stemmer, no stop words, FLAG_CJK_NGRAM: how the index has always been built) gives, faster.
//
// Why not TermGenerator alone: it reads text a code point at a time through Unicode tables and
// copies each term once more to add its prefix; on ASCII text that was a third of the index's CPU
// besides the postings themselves (issue 13, perf of `search --reindex`). Here the stretches of
// ASCII words are cut into terms by a byte table, following TermGenerator's rules (words of letters,
// digits and '_', lower-cased; initials "P.T.O." as one term; "AT&T", "don't" and "1,000.5" held
// together by their infix; "C++" and "C#" keeping up to three suffix characters; terms over 64
// bytes left out), and the rest is given to TermGenerator itself, with the position counter carried
// across. The cut between the two is only ever made at ASCII white space where TermGenerator holds
// no state, so nothing can differ; after text that some Xapian version reads as CJK, TermGenerator
// can carry a term across white space, so such text keeps TermGenerator up to the next word that
// ends a term. tests/unit/test_search_terms.cpp compares both on generated text of every kind.
#pragma once

#include <string>
#include <string_view>

#include <xapian.h>

namespace mailsync::sync::search {

class TermIndexer {
public:
    explicit TermIndexer(Xapian::Document& document);

    // As TermGenerator::index_text(text, 1, prefix): every term of `text`, under `prefix`, with
    // the next positions.
    void index_text(std::string_view text, const std::string& prefix = {});
    // As TermGenerator::increase_termpos(): no phrase spans the gap.
    void increase_termpos(Xapian::termpos delta = 100) { position_ += delta; }
    Xapian::termpos termpos() const { return position_; }

private:
    void index_ascii(std::string_view text, const std::string& prefix);
    void index_other(std::string_view text, const std::string& prefix);

    Xapian::Document& document_;
    Xapian::TermGenerator generator_;
    Xapian::termpos position_ = 0;
    std::string term_;   // reused: a term is built in place, its prefix in front
};

}  // namespace mailsync::sync::search

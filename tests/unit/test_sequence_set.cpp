#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "common/error.hpp"
#include "sync/imap/sequence_set.hpp"

using mailsync::Error;
using mailsync::ErrorCategory;
using mailsync::imap::Range;
using mailsync::imap::SequenceSet;

namespace {

SequenceSet parsed(std::string_view text) {
    auto set = SequenceSet::parse(text);
    REQUIRE(set.has_value());
    return *set;
}

// Checks the class invariant: sorted, first <= last, and a gap of at least one between ranges.
bool normalized(const SequenceSet& set) {
    const auto& ranges = set.ranges();
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        if (ranges[i].first == 0 || ranges[i].first > ranges[i].last) return false;
        if (i > 0 && std::uint64_t{ranges[i - 1].last} + 1 >= ranges[i].first) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("sequence set: add merges overlapping and adjacent ranges", "[sequence_set]") {
    SequenceSet set;
    set.add(Range{1, 3});
    set.add(4);
    CHECK(set.to_string() == "1:4");
    set.add(7);
    CHECK(set.to_string() == "1:4,7");
    set.add(6);
    CHECK(set.to_string() == "1:4,6:7");
    set.add(5);
    CHECK(set.to_string() == "1:7");
    set.add(Range{20, 10});  // backwards means the same range
    CHECK(set.to_string() == "1:7,10:20");
    set.add(Range{2, 15});
    CHECK(set.to_string() == "1:20");
    CHECK(set.ranges().size() == 1);
    set.add(Range{4294967295u, 4294967295u});
    set.add(Range{4294967290u, 4294967294u});
    CHECK(set.to_string() == "1:20,4294967290:4294967295");
    CHECK(normalized(set));
}

TEST_CASE("sequence set: adding 0 is a bug", "[sequence_set]") {
    SequenceSet set;
    CHECK_THROWS_AS(set.add(0), Error);
    CHECK_THROWS_AS(SequenceSet::from_values({3, 0}), Error);
}

TEST_CASE("sequence set: from_values sorts, deduplicates and compresses", "[sequence_set]") {
    auto set = SequenceSet::from_values({9, 3, 1, 2, 3, 7, 10, 11, 12});
    CHECK(set.to_string() == "1:3,7,9:12");
    CHECK(set.count() == 8);
    CHECK(set.values() == std::vector<std::uint32_t>{1, 2, 3, 7, 9, 10, 11, 12});
    CHECK(set.min() == 1u);
    CHECK(set.max() == 12u);
    CHECK(SequenceSet{}.to_string().empty());
    CHECK_FALSE(SequenceSet{}.min().has_value());
}

TEST_CASE("sequence set: contains", "[sequence_set]") {
    auto set = parsed("2:4,8,10:4294967295");
    for (std::uint32_t v : {2u, 3u, 4u, 8u, 10u, 11u, 4294967295u}) CHECK(set.contains(v));
    for (std::uint32_t v : {0u, 1u, 5u, 7u, 9u}) CHECK_FALSE(set.contains(v));
    CHECK(set.count() == 3 + 1 + (std::uint64_t{4294967295u} - 10 + 1));
}

TEST_CASE("sequence set: remove splits and trims ranges", "[sequence_set]") {
    auto set = parsed("1:10,20");
    set.remove(5);
    CHECK(set.to_string() == "1:4,6:10,20");
    set.remove(1);
    CHECK(set.to_string() == "2:4,6:10,20");
    set.remove(10);
    CHECK(set.to_string() == "2:4,6:9,20");
    set.remove(20);
    CHECK(set.to_string() == "2:4,6:9");
    set.remove(100);  // absent: no change
    CHECK(set.to_string() == "2:4,6:9");
    set.remove(Range{3, 7});
    CHECK(set.to_string() == "2,8:9");
    set.remove(parsed("1:100"));
    CHECK(set.empty());
}

TEST_CASE("sequence set: add/remove agree with std::set on random operations", "[sequence_set]") {
    std::mt19937 random(12345);
    std::uniform_int_distribution<std::uint32_t> value(1, 60);
    SequenceSet set;
    std::set<std::uint32_t> model;
    for (int step = 0; step < 2000; ++step) {
        std::uint32_t a = value(random), b = value(random);
        std::uint32_t low = std::min(a, b), high = std::max(a, b);
        switch (random() % 4) {
        case 0: set.add(a); model.insert(a); break;
        case 1: set.remove(a); model.erase(a); break;
        case 2:
            set.add(Range{a, b});
            for (auto v = low; v <= high; ++v) model.insert(v);
            break;
        default:
            if (high - low < 5) {
                set.remove(Range{a, b});
                for (auto v = low; v <= high; ++v) model.erase(v);
            } else {
                SequenceSet other = SequenceSet::from_values({a, b, low + 2});
                set.add(other);
                model.insert({a, b, low + 2});
            }
        }
        REQUIRE(normalized(set));
        REQUIRE(set.values() == std::vector<std::uint32_t>(model.begin(), model.end()));
        REQUIRE(set.count() == model.size());
    }
}

TEST_CASE("sequence set: strict parse", "[sequence_set]") {
    CHECK(parsed("1").to_string() == "1");
    CHECK(parsed("3:1").to_string() == "1:3");
    CHECK(parsed("1:3,4").to_string() == "1:4");
    CHECK(parsed("7,1:3,2").to_string() == "1:3,7");
    CHECK(parsed("4294967295").to_string() == "4294967295");
    CHECK(parsed("1:4294967295").count() == 4294967295u);  // not expanded: instant
    for (const char* bad : {"", "0", "0:3", "3:0", "01", "1:02", "4294967296", "1:4294967296",
             "99999999999999999999", "*", "1:*", ",1", "1,", "1,,2", "1::2", "1:2:3", " 1", "1 ",
             "a", "1-3", "+1", "-1", "1;2"}) {
        INFO("input: '" << bad << "'");
        CHECK_FALSE(SequenceSet::parse(bad).has_value());
    }
}

TEST_CASE("sequence set: parse round-trips to_string", "[sequence_set]") {
    std::mt19937 random(777);
    for (int round = 0; round < 200; ++round) {
        SequenceSet set;
        std::uniform_int_distribution<std::uint32_t> start(1, 4000000000u);
        auto ranges = random() % 30;
        for (std::uint32_t i = 0; i < ranges; ++i) {
            std::uint32_t first = start(random);
            std::uint32_t last = first + static_cast<std::uint32_t>(random() % 3 == 0 ? random() % 1000 : 0);
            set.add(Range{first, last});
        }
        auto text = set.to_string();
        if (set.empty()) {
            CHECK_FALSE(SequenceSet::parse(text).has_value());
            continue;
        }
        auto back = SequenceSet::parse(text);
        REQUIRE(back.has_value());
        CHECK(*back == set);
        CHECK(back->to_string() == text);
    }
}

TEST_CASE("sequence set: split pieces fit and reassemble to the original", "[sequence_set]") {
    std::mt19937 random(4242);
    for (std::size_t max_bytes : {21u, 22u, 40u, 100u, 8000u}) {
        SequenceSet set;
        std::uint32_t next = 1;
        for (int i = 0; i < 3000; ++i) {
            next += 1 + static_cast<std::uint32_t>(random() % 50000);
            std::uint32_t length = random() % 2 == 0 ? 0 : static_cast<std::uint32_t>(random() % 10);
            set.add(Range{next, next + length});
            next += length;
        }
        set.add(Range{4294967294u, 4294967295u});  // the widest possible range text: 21 bytes
        auto pieces = set.split(max_bytes);
        INFO("max_bytes " << max_bytes);
        REQUIRE_FALSE(pieces.empty());
        SequenceSet joined;
        std::uint32_t previous_max = 0;
        for (const auto& piece : pieces) {
            REQUIRE_FALSE(piece.empty());
            REQUIRE(piece.to_string().size() <= max_bytes);
            REQUIRE(normalized(piece));
            REQUIRE(*piece.min() > previous_max);  // ascending, disjoint
            previous_max = *piece.max();
            joined.add(piece);
        }
        CHECK(joined == set);
        if (max_bytes >= set.to_string().size()) CHECK(pieces.size() == 1);
        // Greedy: the next piece's first range would not have fitted into the previous piece.
        for (std::size_t i = 0; i + 1 < pieces.size(); ++i) {
            SequenceSet first_range;
            first_range.add(pieces[i + 1].ranges().front());
            CHECK(pieces[i].to_string().size() + 1 + first_range.to_string().size() > max_bytes);
        }
    }
    CHECK(SequenceSet{}.split(100).empty());
    CHECK_THROWS_AS(parsed("1:5").split(20), Error);
}

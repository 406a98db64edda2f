// The sequence map against a plain vector model, at sizes where a quadratic expunge would not
// finish, and against numbers a hostile server may send.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "sync/imap/sequence_map.hpp"

using namespace mailsync::imap;

namespace {

// The obvious implementation: index seq-1, 0 = unknown. Correct, quadratic, and only fed small sizes.
struct Model {
    std::vector<std::uint32_t> uids;
    void exists(std::uint32_t count) { uids.resize(count, 0); }
    std::optional<std::uint32_t> expunge(std::uint32_t seq) {
        if (seq == 0 || seq > uids.size()) return std::nullopt;
        const std::uint32_t uid = uids[seq - 1];
        uids.erase(uids.begin() + (seq - 1));
        if (uid == 0) return std::nullopt;
        return uid;
    }
    void fetch(std::uint32_t seq, std::uint32_t uid) {
        if (seq == 0 || seq > uids.size() || uid == 0) return;
        uids[seq - 1] = uid;
    }
    // SequenceMap::on_vanished's rule: the known UIDs named go; as many unknown messages as the set
    // names beyond them (no more than there are) go from the end.
    void vanish(const SequenceSet& set) {
        std::vector<std::uint32_t> kept;
        std::uint64_t removed = 0;
        for (std::uint32_t uid : uids) {
            if (uid != 0 && set.contains(uid)) ++removed;
            else kept.push_back(uid);
        }
        std::uint64_t unknown_gone = set.count() > removed ? set.count() - removed : 0;
        for (auto it = kept.end(); it != kept.begin() && unknown_gone > 0;) {
            --it;
            if (*it != 0) continue;
            it = kept.erase(it);
            --unknown_gone;
        }
        uids = std::move(kept);
    }
};

void check_equal(const SequenceMap& map, const Model& model) {
    REQUIRE(map.exists() == model.uids.size());
    for (std::uint32_t seq = 1; seq <= model.uids.size(); ++seq) {
        const std::uint32_t expected = model.uids[seq - 1];
        if (expected == 0) REQUIRE_FALSE(map.uid_of(seq));
        else REQUIRE(map.uid_of(seq) == expected);
    }
    CHECK_FALSE(map.uid_of(static_cast<std::uint32_t>(model.uids.size() + 1)));
}

// The map and the model fed the same events, for the random tests.
struct MapAndModel {
    SequenceMap map;
    Model model;
    std::uint32_t exists() const { return map.exists(); }
    void on_exists(std::uint32_t count) {
        map.on_exists(count);
        model.exists(count);
    }
    void on_fetch_uid(std::uint32_t seq, std::uint32_t uid) {
        map.on_fetch_uid(seq, uid);
        model.fetch(seq, uid);
    }
    void on_expunge(std::uint32_t seq) { REQUIRE(map.on_expunge(seq) == model.expunge(seq)); }
    void on_vanished(const SequenceSet& set) {
        map.on_vanished(set);
        model.vanish(set);
    }
    void check() const { check_equal(map, model); }
};

}  // namespace

TEST_CASE("sequence map: 100 000 expunges of the first message, each returning its UID", "[sequence_map]") {
    // Quadratically (a vector erase per EXPUNGE) this is 5·10⁹ moves; the tree does it at once.
    constexpr std::uint32_t n = 100'000;
    SequenceMap map;
    map.on_exists(n);
    for (std::uint32_t seq = 1; seq <= n; ++seq) map.on_fetch_uid(seq, seq * 2);
    CHECK(map.uid_of(n) == n * 2);
    for (std::uint32_t i = 1; i <= n; ++i) {
        const auto uid = map.on_expunge(1);
        REQUIRE(uid == i * 2);
        if (i == n / 2) {
            CHECK(map.exists() == n / 2);
            CHECK(map.uid_of(1) == (n / 2 + 1) * 2);
            CHECK(map.uid_of(n / 2) == n * 2);
        }
    }
    CHECK(map.exists() == 0);
    CHECK(map.pieces() == 0);
    CHECK_FALSE(map.on_expunge(1));
}

TEST_CASE("sequence map: 100 000 expunges from the middle and the end", "[sequence_map]") {
    constexpr std::uint32_t n = 100'000;
    SequenceMap map;
    map.on_exists(n);
    for (std::uint32_t seq = 1; seq <= n; seq += 2) map.on_fetch_uid(seq, seq);  // every other UID known
    // Expunge the middle message until half are gone: the messages after it shift down each time.
    for (std::uint32_t i = 0; i < n / 2; ++i) map.on_expunge(map.exists() / 2 + 1);
    CHECK(map.exists() == n / 2);
    CHECK(map.uid_of(1) == 1u);
    CHECK(map.uid_of(n / 2 - 1) == n - 1);  // the last known UID, now next to the end
    CHECK_FALSE(map.uid_of(n / 2));         // the message after it, UID never learnt
    // Then from the end.
    while (map.exists() > 0) map.on_expunge(map.exists());
    CHECK(map.pieces() == 0);
}

TEST_CASE("sequence map: random operations agree with the vector model", "[sequence_map]") {
    std::mt19937 random(11);
    MapAndModel both;
    for (int step = 0; step < 20'000; ++step) {
        const std::uint32_t size = both.exists();
        switch (random() % 6) {
        case 0:  // a few new messages
            both.on_exists(size + static_cast<std::uint32_t>(random() % 5));
            break;
        case 1:
        case 2: {
            const std::uint32_t seq = static_cast<std::uint32_t>(random() % (size + 2));
            both.on_fetch_uid(seq, static_cast<std::uint32_t>(random() % 1000));
            break;
        }
        default:
            both.on_expunge(static_cast<std::uint32_t>(random() % (size + 2)));
            break;
        }
        if (step % 1000 == 0) both.check();
    }
    both.check();
    // EXISTS lower than the count (a broken server) drops the last messages.
    both.on_exists(both.exists() / 2);
    both.check();
}

TEST_CASE("sequence map: consecutive UIDs are one piece, whatever the size of the mailbox", "[sequence_map]") {
    // A first sync names every UID of the mailbox, in order: one piece, not one per message.
    constexpr std::uint32_t n = 1'000'000;
    SequenceMap map;
    map.on_exists(n);
    for (std::uint32_t seq = 1; seq <= n; ++seq) map.on_fetch_uid(seq, seq + 1000);
    CHECK(map.pieces() == 1);
    CHECK(map.uid_of(1) == 1001u);
    CHECK(map.uid_of(n / 2) == n / 2 + 1000);
    CHECK(map.uid_of(n) == n + 1000);
    // Fetched backwards, or again: still one.
    SequenceMap backwards;
    backwards.on_exists(n);
    for (std::uint32_t seq = n; seq >= 1; --seq) backwards.on_fetch_uid(seq, seq);
    for (std::uint32_t seq = 1; seq <= n; seq += 7) backwards.on_fetch_uid(seq, seq);
    CHECK(backwards.pieces() == 1);
    // A gap in the UIDs is a piece more; an expunge inside a run cuts it in two and says which UID went.
    map.on_fetch_uid(10, 5);
    CHECK(map.pieces() == 3);
    CHECK(map.uid_of(10) == 5u);
    CHECK(map.uid_of(11) == 1011u);
    CHECK(map.on_expunge(10) == 5u);
    CHECK(map.pieces() == 2);
    CHECK(map.on_expunge(100) == 1101u);
    CHECK(map.uid_of(100) == 1102u);
    CHECK(map.pieces() == 3);
    CHECK(map.exists() == n - 2);
    // VANISHED of a range inside a run leaves its two ends.
    map.on_vanished(SequenceSet::parse("2001:3000").value());
    CHECK(map.exists() == n - 1002);
    CHECK(map.uid_of(998) == 2000u);   // sequence number s >= 100 had UID s + 1002
    CHECK(map.uid_of(999) == 3001u);
    CHECK(map.pieces() == 4);
    // New mail after the known run: a run of unknown UIDs, growing with each EXISTS.
    for (std::uint32_t more = 1; more <= 100; ++more) map.on_exists(map.exists() + 1);
    CHECK(map.pieces() == 5);
    CHECK_FALSE(map.uid_of(map.exists()));
    map.on_fetch_uid(map.exists() - 99, n + 1001);   // the first new one carries the last run on
    CHECK(map.pieces() == 5);
    CHECK(map.uid_of(map.exists() - 99) == n + 1001);
}

TEST_CASE("sequence map: runs of UIDs agree with the vector model", "[sequence_map]") {
    // Mostly consecutive UIDs, so that runs form, are cut by expunges and VANISHED, and join again.
    std::mt19937 random(23);
    MapAndModel both;
    for (int step = 0; step < 20'000; ++step) {
        const std::uint32_t size = both.exists();
        switch (random() % 8) {
        case 0:
            both.on_exists(size + static_cast<std::uint32_t>(random() % 20));
            break;
        case 1:
        case 2:
        case 3: {  // a stretch of FETCH responses, UIDs following the sequence numbers with an offset
            const std::uint32_t seq = static_cast<std::uint32_t>(random() % (size + 2));
            const std::uint32_t offset = static_cast<std::uint32_t>(random() % 3);
            for (std::uint32_t i = 0; i < 10; ++i) both.on_fetch_uid(seq + i, seq + i + offset);
            break;
        }
        case 4: {
            SequenceSet gone;
            const std::uint32_t first = 1 + static_cast<std::uint32_t>(random() % (size + 10));
            gone.add(Range{first, first + static_cast<std::uint32_t>(random() % 4)});
            both.on_vanished(gone);
            break;
        }
        default:
            both.on_expunge(static_cast<std::uint32_t>(random() % (size + 2)));
            break;
        }
        if (step % 500 == 0) both.check();
    }
    both.check();
}

TEST_CASE("sequence map: numbers above EXISTS are ignored and never allocate", "[sequence_map]") {
    SequenceMap map;
    map.on_exists(3);
    map.on_fetch_uid(1, 10);
    map.on_fetch_uid(4'000'000'000u, 7);  // the hostile FETCH: was a resize to 16 GB
    CHECK(map.exists() == 3);
    CHECK_FALSE(map.uid_of(4'000'000'000u));
    CHECK_FALSE(map.on_expunge(4'000'000'000u));
    CHECK(map.exists() == 3);
    CHECK(map.pieces() <= 3);
    // A huge EXISTS is one run, and a UID learnt far into it three pieces at most.
    map.on_exists(4'000'000'000u);
    map.on_fetch_uid(3'999'999'999u, 7);
    CHECK(map.uid_of(3'999'999'999u) == 7u);
    CHECK(map.uid_of(1) == 10u);
    CHECK_FALSE(map.uid_of(2));
    CHECK(map.pieces() <= 6);
    CHECK(map.on_expunge(2'000'000'000u) == std::nullopt);
    CHECK(map.uid_of(3'999'999'998u) == 7u);
    // A stream of EXISTS, one more each time, grows the last run instead of adding pieces.
    SequenceMap growing;
    for (std::uint32_t count = 1; count <= 10'000; ++count) growing.on_exists(count);
    CHECK(growing.pieces() == 1);
}

TEST_CASE("sequence map: VANISHED removes known UIDs and never more than it names", "[sequence_map]") {
    SequenceMap map;
    map.on_exists(6);
    for (std::uint32_t seq = 1; seq <= 4; ++seq) map.on_fetch_uid(seq, seq * 10);  // 5 and 6 unknown
    map.on_vanished(SequenceSet::from_values({20, 30}));
    CHECK(map.exists() == 4);
    CHECK(map.uid_of(1) == 10u);
    CHECK(map.uid_of(2) == 40u);
    CHECK_FALSE(map.uid_of(3));
    // UIDs never seen: one may have been an unknown message (5 or 6), no more than the set names.
    map.on_vanished(SequenceSet::from_values({999}));
    CHECK(map.exists() == 3);
    CHECK(map.uid_of(2) == 40u);
    map.on_vanished(SequenceSet::from_values({900, 901, 902, 903}));
    CHECK(map.exists() == 2);  // only the known 10 and 40 are left
    CHECK(map.uid_of(1) == 10u);
    CHECK(map.uid_of(2) == 40u);
}

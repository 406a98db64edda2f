// Deliberately broken test cases for the guard's own test (check-guard.sh); never registered with
// CTest as a program of the suite. Each one but the first must make the guard fail.
#include <catch2/catch.hpp>

TEST_CASE("guard probe: a well-formed case passes", "[guard]") {
    CHECK(1 + 1 == 2);
}

// catch_discover_tests splits this name at the `;` into two CTest entries, neither of which
// matches the real name: each must fail, not pass with "No test cases matched".
TEST_CASE("guard probe: a name split; in two", "[guard]") {
    CHECK(true);
}

TEST_CASE("guard probe: a case without an assertion", "[guard]") {
    [[maybe_unused]] const int nothing_checked = 0;
}

TEST_CASE("guard probe: a section without an assertion", "[guard]") {
    SECTION("checked") { CHECK(true); }
    SECTION("unchecked") {}
}

// Catch2's main() for every test program, with one change: a run fails when it ran no test case
// (a name that matched nothing) or when a test case, or a leaf section of it, made no assertion.
// catch_discover_tests registers each test case as its own CTest entry by passing its name back as
// a test spec; a name that CMake or Catch2 splits or escapes (a `;`, a `\`) then matches nothing,
// and stock Catch2 prints "No test cases matched" and exits 0: CTest would count a pass for a test
// that never ran. Enforced here rather than with per-test arguments so that it holds in every
// build tree (the sanitizer step's too) and when a program is run by hand.
// tests/guard/ checks that this keeps holding (test-guard: ...).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

int main(int argc, char* argv[]) {
    Catch::Session session;
    if (const int status = session.applyCommandLine(argc, argv); status != 0) return status;
    auto& config = session.configData();
    config.warnings = static_cast<Catch::WarnAbout::What>(config.warnings | Catch::WarnAbout::NoTests |
                                                          Catch::WarnAbout::NoAssertions);
    return session.run();
}

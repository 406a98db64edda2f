// libFuzzer target for the configuration loader: YAML text as a user (or a broken editor) could
// leave it. Promise checked besides "no crash, no UB": parse_config either returns a configuration
// or throws mailsync::Error(config) (exit 78, naming the file and line), never another category,
// a yaml-cpp exception or any other exception.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "cli/config.hpp"
#include "common/error.hpp"

namespace {

[[noreturn]] void broken_promise(const char* what, const char* detail) {
    std::fprintf(stderr, "fuzz_config: %s %s\n", what, detail);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mailsync;
    // Nothing of the process's environment: the same input gives the same result anywhere.
    cli::Environment environment;
    environment.home = "/nonexistent-home";
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)cli::parse_config(text, "/nonexistent/fuzz.yaml", environment, true);
    } catch (const Error& error) {
        if (error.category() != ErrorCategory::config) broken_promise("an Error of another category than config:", error.what());
    } catch (const std::exception& error) {
        broken_promise("an exception that is not a mailsync::Error:", error.what());
    }
    return 0;
}

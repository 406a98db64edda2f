#pragma once
// Whole-file reads and writes for tests: a missing or unreadable file reads as "".

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace mailsync::test {

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
}

}  // namespace mailsync::test

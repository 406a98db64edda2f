// Validation of a configuration file once YAML has read it: from the tree to typed Accounts, every
// rule of config.hpp checked, or an Error(config) naming the file, the line and the key (with the
// nearest known key for a typo). parse_config() (config.cpp) reads the text and calls this.
#pragma once

#include <filesystem>
#include <string>

#include "cli/config.hpp"

namespace YAML {
class Node;
}

namespace mailsync::cli {

// `file` names the file in messages; relative paths in it are taken from `base_directory`.
// `file_is_private`: the file is its owner's only, so a password in it draws no warning.
Config validate_config(const YAML::Node& root, const std::string& file, const Environment& environment,
                       std::filesystem::path base_directory, bool file_is_private);

}  // namespace mailsync::cli

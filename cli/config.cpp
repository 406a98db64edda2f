// Loading the configuration: where it is, reading it (size, permissions), YAML syntax, and the
// small parsers config.hpp offers; the rules of its keys are in config_validation.cpp.
#include "cli/config.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/core.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "cli/config_validation.hpp"
#include "common/ascii.hpp"
#include "common/error.hpp"

namespace mailsync::cli {

namespace {

constexpr std::size_t max_config_bytes = 1024 * 1024;

std::optional<std::string> environment_variable(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

}  // namespace

std::string_view to_string(AuthMethod method) {
    switch (method) {
        case AuthMethod::plain: return "plain";
        case AuthMethod::login: return "login";
        case AuthMethod::xoauth2: return "xoauth2";
        case AuthMethod::oauthbearer: return "oauthbearer";
    }
    return "?";
}

std::string_view to_string(SyncMode mode) {
    switch (mode) {
        case SyncMode::two_way: return "two-way";
        case SyncMode::pull: return "pull";
        case SyncMode::backup: return "backup";
    }
    return "?";
}

std::string_view to_string(sync::TlsMode mode) {
    switch (mode) {
        case sync::TlsMode::implicit: return "implicit";
        case sync::TlsMode::starttls: return "starttls";
        case sync::TlsMode::none: return "none";
    }
    return "?";
}

std::string_view to_string(sync::CompressMode mode) {
    switch (mode) {
        case sync::CompressMode::automatic: return "auto";
        case sync::CompressMode::required: return "yes";
        case sync::CompressMode::never: return "no";
    }
    return "?";
}

const Account* Config::find(std::string_view account_name) const {
    const auto found = std::find_if(accounts.begin(), accounts.end(),
                                    [&](const Account& account) { return account.name == account_name; });
    return found == accounts.end() ? nullptr : &*found;
}

Environment Environment::from_process() {
    return Environment{
        .mailsync_config = environment_variable("MAILSYNC_CONFIG"),
        .xdg_config_home = environment_variable("XDG_CONFIG_HOME"),
        .xdg_data_home = environment_variable("XDG_DATA_HOME"),
        .home = environment_variable("HOME"),
    };
}

std::filesystem::path default_config_path(const Environment& environment) {
    if (environment.mailsync_config) return *environment.mailsync_config;
    if (environment.xdg_config_home && std::filesystem::path(*environment.xdg_config_home).is_absolute()) {
        return std::filesystem::path(*environment.xdg_config_home) / "mailsync" / "config.yaml";
    }
    if (environment.home) return std::filesystem::path(*environment.home) / ".config" / "mailsync" / "config.yaml";
    throw Error(ErrorCategory::config,
                "cannot find the configuration: none of MAILSYNC_CONFIG, XDG_CONFIG_HOME and HOME is set; pass -c FILE");
}

Config load_config(const std::filesystem::path& path, const Environment& environment) {
    const std::string name = path.string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        if (error == ENOENT) {
            throw Error(ErrorCategory::config,
                        fmt::format("{}: no such configuration file; write one there (`man 5 mailsync.yaml` lists every "
                                    "key; a commented sample is installed as share/doc/mailsync/config.yaml.example) "
                                    "or pass -c FILE", name));
        }
        throw Error(ErrorCategory::config, fmt::format("{}: cannot open the configuration: {}", name, std::strerror(error)));
    }
    struct stat status {};
    std::string text;
    int read_error = 0;
    if (::fstat(fd, &status) != 0) {
        read_error = errno;
    } else {
        char buffer[16384];
        for (;;) {
            const ssize_t count = ::read(fd, buffer, sizeof buffer);
            if (count < 0) {
                if (errno == EINTR) continue;
                read_error = errno;
                break;
            }
            if (count == 0) break;
            text.append(buffer, static_cast<std::size_t>(count));
            if (text.size() > max_config_bytes) {
                ::close(fd);
                throw Error(ErrorCategory::config, fmt::format("{}: larger than 1 MiB; is this the configuration file?", name));
            }
        }
    }
    ::close(fd);
    if (read_error != 0) {
        throw Error(ErrorCategory::config, fmt::format("{}: cannot read the configuration: {}", name, std::strerror(read_error)));
    }
    const bool file_is_private = (status.st_mode & (S_IRWXG | S_IRWXO)) == 0;
    return parse_config(text, name, environment, file_is_private);
}

Config parse_config(std::string_view yaml_text, const std::string& path, const Environment& environment,
                    bool file_is_private) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml_text));
    } catch (const YAML::Exception& error) {
        const int line = error.mark.line < 0 ? 1 : error.mark.line + 1;
        throw Error(ErrorCategory::config, fmt::format("{}:{}: YAML syntax error: {}", path, line, error.msg));
    }
    std::error_code ignored;
    std::filesystem::path base_directory = std::filesystem::absolute(std::filesystem::path(path), ignored).parent_path();
    try {
        return validate_config(root, path, environment, std::move(base_directory), file_is_private);
    } catch (const YAML::Exception& error) {
        // yaml-cpp may still throw on a malformed node while we walk it; it is the file's fault.
        const int line = error.mark.line < 0 ? 1 : error.mark.line + 1;
        throw Error(ErrorCategory::config, fmt::format("{}:{}: {}", path, line, error.msg));
    }
}

std::optional<std::vector<std::string>> split_command_line(std::string_view command_line) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (std::size_t i = 0; i < command_line.size(); ++i) {
        const char c = command_line[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) words.push_back(std::exchange(word, {}));
            in_word = false;
        } else if (c == '\'') {
            const std::size_t close = command_line.find('\'', i + 1);
            if (close == std::string_view::npos) return std::nullopt;
            word.append(command_line.substr(i + 1, close - i - 1));
            i = close;
            in_word = true;
        } else if (c == '"') {
            in_word = true;
            for (++i;; ++i) {
                if (i >= command_line.size()) return std::nullopt;
                const char inner = command_line[i];
                if (inner == '"') break;
                if (inner == '\\' && i + 1 < command_line.size() &&
                    std::string_view("\"\\$`").find(command_line[i + 1]) != std::string_view::npos) {
                    word.push_back(command_line[++i]);
                } else {
                    word.push_back(inner);
                }
            }
        } else if (c == '\\') {
            if (i + 1 >= command_line.size()) return std::nullopt;
            word.push_back(command_line[++i]);
            in_word = true;
        } else {
            word.push_back(c);
            in_word = true;
        }
    }
    if (in_word) words.push_back(std::move(word));
    return words;
}

std::optional<std::string> normalize_sha256_fingerprint(std::string_view text) {
    if (text.size() >= 7 && ascii::iequals(text.substr(0, 7), "sha256:")) text.remove_prefix(7);
    std::string hex;
    for (char c : text) {
        if (c == ':') continue;
        const char lower = ascii::to_lower(c);
        if (!((lower >= '0' && lower <= '9') || (lower >= 'a' && lower <= 'f'))) return std::nullopt;
        hex.push_back(lower);
    }
    if (hex.size() != 64) return std::nullopt;
    return hex;
}

bool is_loopback_host(std::string_view host) {
    if (host.ends_with(".")) host.remove_suffix(1);
    if (ascii::iequals(host, "localhost")) return true;
    if (host.starts_with("[") && host.ends_with("]")) host = host.substr(1, host.size() - 2);
    const std::string address(host);
    in_addr ipv4{};
    if (::inet_pton(AF_INET, address.c_str(), &ipv4) == 1) return (ntohl(ipv4.s_addr) >> 24) == 127;
    in6_addr ipv6{};
    if (::inet_pton(AF_INET6, address.c_str(), &ipv6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&ipv6)) return true;
        return IN6_IS_ADDR_V4MAPPED(&ipv6) && ipv6.s6_addr[12] == 127;
    }
    return false;
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 15) return std::nullopt;
    const std::uint64_t number = std::stoull(std::string(text.substr(0, digits)));
    std::string unit = ascii::to_lower(text.substr(digits));
    if (unit.ends_with("ib")) unit.resize(unit.size() - 2);
    else if (unit.size() > 1 && unit.ends_with("b")) unit.resize(unit.size() - 1);
    unsigned shift = 0;
    if (unit.empty() || unit == "b") shift = 0;
    else if (unit == "k") shift = 10;
    else if (unit == "m") shift = 20;
    else if (unit == "g") shift = 30;
    else return std::nullopt;
    if (number > (std::numeric_limits<std::uint64_t>::max() >> shift)) return std::nullopt;
    return number << shift;
}

std::optional<std::int64_t> parse_age(std::string_view text) {
    if (text.size() < 2 || text.size() > 7) return std::nullopt;
    const char unit = ascii::to_lower(text.back());
    const std::string_view number = text.substr(0, text.size() - 1);
    if (!std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
    const std::int64_t days = std::stoll(std::string(number)) * (unit == 'w' ? 7 : 1);
    if ((unit != 'd' && unit != 'w') || days < 1 || days > 100000) return std::nullopt;
    return days * 86400;
}

}  // namespace mailsync::cli

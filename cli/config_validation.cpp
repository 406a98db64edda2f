// The rules of config.hpp applied to the YAML tree: Validator walks the top level, each account,
// its credentials and OAuth2 block, and suggests the nearest key for an unknown one.
#include "cli/config_validation.hpp"

#include <algorithm>
#include <map>
#include <span>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "cli/shell_syntax.hpp"
#include "common/ascii.hpp"
#include "common/error.hpp"

namespace mailsync::cli {

namespace {

constexpr std::string_view top_level_keys[] = {"accounts"};
constexpr std::string_view account_keys[] = {
    "host",      "port",           "tls",           "insecure_plaintext", "tls_ca_file",
    "tls_fingerprint", "user",     "auth",          "password",           "password_command",
    "password_file",   "oauth2",   "store",         "mailboxes",          "mode",
    "connections",     "timeout_seconds", "compress", "watch_full_pull_minutes", "maildir", "maildir_layout",
    "search",    "watch_max_backoff", "bodies",   "max_size",
};
// bodies: {newer-than: 90d}, the spec's spelling (a dash, unlike the other keys).
constexpr std::string_view bodies_keys[] = {"newer-than"};
constexpr std::string_view oauth2_keys[] = {
    "token_command",         "token_endpoint",        "client_id",
    "client_secret_command", "refresh_token_command", "refresh_token_file",
    "ca_file",
};

// Optimal string alignment distance: a transposition counts as one edit, as typos go.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t rows = a.size() + 1;
    const std::size_t columns = b.size() + 1;
    std::vector<std::size_t> d(rows * columns);
    auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * columns + j]; };
    for (std::size_t i = 0; i < rows; ++i) at(i, 0) = i;
    for (std::size_t j = 0; j < columns; ++j) at(0, j) = j;
    for (std::size_t i = 1; i < rows; ++i) {
        for (std::size_t j = 1; j < columns; ++j) {
            const std::size_t substitution = ascii::to_lower(a[i - 1]) == ascii::to_lower(b[j - 1]) ? 0 : 1;
            at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + substitution});
            if (i > 1 && j > 1 && ascii::to_lower(a[i - 1]) == ascii::to_lower(b[j - 2]) &&
                ascii::to_lower(a[i - 2]) == ascii::to_lower(b[j - 1])) {
                at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
            }
        }
    }
    return at(rows - 1, columns - 1);
}

std::optional<std::string_view> nearest_key(std::string_view unknown, std::span<const std::string_view> known) {
    std::optional<std::string_view> best;
    std::size_t best_distance = std::max<std::size_t>(2, unknown.size() / 3) + 1;
    for (std::string_view candidate : known) {
        const std::size_t distance = edit_distance(unknown, candidate);
        if (distance < best_distance) {
            best_distance = distance;
            best = candidate;
        }
    }
    return best;
}

bool is_valid_account_name(std::string_view name) {
    if (name.empty() || name == "." || name == "..") return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '_' || c == '-';
    });
}

std::string_view trimmed_for_message(std::string_view text) {
    constexpr std::size_t limit = 60;
    return text.size() > limit ? text.substr(0, limit) : text;
}

std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            return "nothing";
        case YAML::NodeType::Scalar:
            return fmt::format("\"{}\"", trimmed_for_message(node.Scalar()));
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a map";
    }
    return "something else";
}

int line_of(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    return mark.line < 0 ? 1 : mark.line + 1;
}

// One key of a map with its value; `line` is the key's line, since a null value has no useful mark.
struct Field {
    YAML::Node value;
    std::string path;
    int line = 1;
};

class Validator {
public:
    Validator(std::string file, const Environment& environment, std::filesystem::path base_directory,
              bool file_is_private)
        : file_(std::move(file)),
          environment_(environment),
          base_directory_(std::move(base_directory)),
          file_is_private_(file_is_private) {}

    Config run(const YAML::Node& root) {
        Config config;
        config.path = file_;
        if (!root.IsMap()) {
            if (root.IsNull()) fail(1, "accounts", "the file defines no accounts");
            fail(line_of(root), "(top level)", fmt::format("expected a map with \"accounts\", got {}", describe(root)));
        }
        const auto fields = collect_map(root, "", top_level_keys);
        const auto accounts = fields.find("accounts");
        if (accounts == fields.end()) fail(line_of(root), "accounts", "missing: the file defines no accounts");
        const Field& accounts_field = accounts->second;
        if (!accounts_field.value.IsMap() || accounts_field.value.size() == 0) {
            fail(accounts_field.line, "accounts",
                 fmt::format("expected a map of account names to settings, got {}", describe(accounts_field.value)));
        }
        const std::vector<std::string_view> no_key_list;
        for (auto it = accounts_field.value.begin(); it != accounts_field.value.end(); ++it) {
            const std::string name = it->first.IsScalar() ? it->first.Scalar() : std::string();
            const std::string path = "accounts." + name;
            if (!is_valid_account_name(name)) {
                fail(line_of(it->first), path,
                     "an account name is made of letters, digits, '.', '_' and '-' (not \".\" or \"..\")");
            }
            if (config.find(name) != nullptr) fail(line_of(it->first), path, "this account is defined twice");
            config.accounts.push_back(parse_account(name, Field{it->second, path, line_of(it->first)}));
        }
        return config;
    }

private:
    [[noreturn]] void fail(int line, std::string_view key_path, std::string_view problem) const {
        throw Error(ErrorCategory::config, fmt::format("{}:{}: {}: {}", file_, line, key_path, problem));
    }

    std::map<std::string, Field> collect_map(const YAML::Node& map, const std::string& path,
                                             std::span<const std::string_view> known) const {
        std::map<std::string, Field> fields;
        for (auto it = map.begin(); it != map.end(); ++it) {
            const int line = line_of(it->first);
            if (!it->first.IsScalar()) fail(line, path.empty() ? "(key)" : path, "a key must be a plain name");
            const std::string& key = it->first.Scalar();
            const std::string key_path = path.empty() ? key : path + "." + key;
            if (std::find(known.begin(), known.end(), key) == known.end()) {
                if (const auto suggestion = nearest_key(key, known)) {
                    fail(line, key_path, fmt::format("unknown key; did you mean \"{}\"?", *suggestion));
                }
                fail(line, key_path, fmt::format("unknown key; known keys here: {}", fmt::join(known, ", ")));
            }
            if (fields.contains(key)) fail(line, key_path, "this key is given twice");
            fields.emplace(key, Field{it->second, key_path, line});
        }
        return fields;
    }

    std::string string_value(const Field& field) const {
        if (!field.value.IsScalar()) fail(field.line, field.path, fmt::format("expected a string, got {}", describe(field.value)));
        if (field.value.Scalar().empty()) fail(field.line, field.path, "must not be empty");
        return field.value.Scalar();
    }

    std::uint64_t number_value(const Field& field, std::uint64_t minimum, std::uint64_t maximum) const {
        const auto complain = [&]() {
            fail(field.line, field.path,
                 fmt::format("expected a number from {} to {}, got {}", minimum, maximum, describe(field.value)));
        };
        if (!field.value.IsScalar()) complain();
        const std::string& text = field.value.Scalar();
        if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            complain();
        }
        const std::uint64_t number = std::stoull(text);
        if (number < minimum || number > maximum) complain();
        return number;
    }

    bool bool_value(const Field& field) const {
        bool result = false;
        if (!field.value.IsScalar() || !YAML::convert<bool>::decode(field.value, result)) {
            fail(field.line, field.path, fmt::format("expected true or false, got {}", describe(field.value)));
        }
        return result;
    }

    template <typename Enum, std::size_t N>
    Enum choice_value(const Field& field, const std::pair<std::string_view, Enum> (&choices)[N]) const {
        if (field.value.IsScalar()) {
            for (const auto& [name, value] : choices) {
                if (field.value.Scalar() == name) return value;
            }
        }
        std::vector<std::string_view> names;
        for (const auto& choice : choices) names.push_back(choice.first);
        fail(field.line, field.path,
             fmt::format("expected one of {}, got {}", fmt::join(names, ", "), describe(field.value)));
    }

    std::filesystem::path path_value(const Field& field) const {
        const std::string text = string_value(field);
        std::filesystem::path path;
        if (text == "~" || text.starts_with("~/")) {
            if (!environment_.home) fail(field.line, field.path, "cannot expand ~: HOME is not set");
            path = std::filesystem::path(*environment_.home) / text.substr(std::min<std::size_t>(2, text.size()));
        } else if (text.starts_with("~")) {
            fail(field.line, field.path, "only ~ and ~/... are expanded, not ~user");
        } else {
            path = text;
        }
        if (path.is_relative()) path = base_directory_ / path;
        return path.lexically_normal();
    }

    SecretCommand command_value(const Field& field) const {
        SecretCommand command;
        if (field.value.IsScalar()) {
            command.as_written = string_value(field);
            auto words = split_command_line(command.as_written);
            if (!words) fail(field.line, field.path, "a quote is not closed, or a backslash ends the command");
            if (const auto shell = shell_syntax_in(command.as_written)) {
                fail(field.line, field.path,
                     fmt::format("contains {}, but a command string runs without a shell; write it as "
                                 "{{shell: \"{}\"}} to run it with sh -c", *shell, command.as_written));
            }
            if (words->empty()) fail(field.line, field.path, "must not be empty");
            command.argv = std::move(*words);
        } else if (field.value.IsSequence()) {
            for (std::size_t i = 0; i < field.value.size(); ++i) {
                const Field word{field.value[i], fmt::format("{}[{}]", field.path, i), line_of(field.value[i])};
                if (!word.value.IsScalar()) fail(word.line, word.path, fmt::format("expected a string, got {}", describe(word.value)));
                command.argv.push_back(word.value.Scalar());
            }
            if (command.argv.empty() || command.argv.front().empty()) fail(field.line, field.path, "must name a program");
            command.as_written = fmt::format("{}", fmt::join(command.argv, " "));
        } else if (field.value.IsMap()) {
            constexpr std::string_view shell_keys[] = {"shell"};
            const auto fields = collect_map(field.value, field.path, shell_keys);
            const auto shell = fields.find("shell");
            if (shell == fields.end()) fail(field.line, field.path, "expected {shell: \"command\"}");
            command.as_written = string_value(shell->second);
            command.argv = {"/bin/sh", "-c", command.as_written};
        } else {
            fail(field.line, field.path,
                 fmt::format("expected a command (a string, a list, or {{shell: ...}}), got {}", describe(field.value)));
        }
        return command;
    }

    Account parse_account(const std::string& name, const Field& account_field) {
        if (!account_field.value.IsMap()) {
            fail(account_field.line, account_field.path, fmt::format("expected a map of settings, got {}", describe(account_field.value)));
        }
        const auto fields = collect_map(account_field.value, account_field.path, account_keys);
        const auto field = [&](std::string_view key) -> const Field* {
            const auto found = fields.find(std::string(key));
            return found == fields.end() ? nullptr : &found->second;
        };
        const auto missing = [&](std::string_view key) {
            fail(account_field.line, account_field.path + "." + std::string(key), "missing; this key is required");
        };

        Account account;
        account.name = name;

        const Field* host = field("host");
        if (host == nullptr) missing("host");
        account.endpoint.host = string_value(*host);
        if (account.endpoint.host.find("://") != std::string::npos ||
            std::any_of(account.endpoint.host.begin(), account.endpoint.host.end(),
                        [](char c) { return c == '/' || c == ' ' || c == '\t' || static_cast<unsigned char>(c) < 0x20; })) {
            fail(host->line, host->path, fmt::format("expected a host name or address, got {}", describe(host->value)));
        }

        if (const Field* tls = field("tls")) {
            account.endpoint.tls = choice_value(*tls, {std::pair{std::string_view("implicit"), sync::TlsMode::implicit},
                                                       {"starttls", sync::TlsMode::starttls},
                                                       {"none", sync::TlsMode::none}});
        }
        account.endpoint.port = account.endpoint.tls == sync::TlsMode::implicit ? 993 : 143;
        if (const Field* port = field("port")) account.endpoint.port = static_cast<std::uint16_t>(number_value(*port, 1, 65535));
        if (const Field* insecure = field("insecure_plaintext")) account.insecure_plaintext = bool_value(*insecure);
        if (account.endpoint.tls == sync::TlsMode::none) {
            if (!account.insecure_plaintext && !is_loopback_host(account.endpoint.host)) {
                const Field* tls = field("tls");
                fail(tls->line, tls->path,
                     fmt::format("tls: none would send the password in clear text to {}; it is allowed only to "
                                 "localhost, 127.0.0.0/8 and ::1 unless insecure_plaintext: true",
                                 account.endpoint.host));
            }
            for (std::string_view key : {"tls_ca_file", "tls_fingerprint"}) {
                if (const Field* unused = field(key)) fail(unused->line, unused->path, "has no effect with tls: none");
            }
        }
        if (const Field* ca_file = field("tls_ca_file")) account.endpoint.tls_options.ca_file = path_value(*ca_file).string();
        if (const Field* fingerprint = field("tls_fingerprint")) {
            const auto normalized = normalize_sha256_fingerprint(string_value(*fingerprint));
            if (!normalized) {
                fail(fingerprint->line, fingerprint->path,
                     fmt::format("expected a SHA-256 fingerprint (64 hex digits, colons and a SHA256: prefix "
                                 "allowed), got {}", describe(fingerprint->value)));
            }
            account.endpoint.tls_options.pinned_sha256 = *normalized;
        }

        const Field* user = field("user");
        if (user == nullptr) missing("user");
        account.user = string_value(*user);

        if (const Field* auth = field("auth")) {
            account.auth = choice_value(*auth, {std::pair{std::string_view("plain"), AuthMethod::plain},
                                                {"login", AuthMethod::login},
                                                {"xoauth2", AuthMethod::xoauth2},
                                                {"oauthbearer", AuthMethod::oauthbearer}});
        }
        parse_credentials(account, account_field, field);

        if (const Field* store = field("store")) {
            account.store = path_value(*store);
        } else if (environment_.xdg_data_home && std::filesystem::path(*environment_.xdg_data_home).is_absolute()) {
            account.store = std::filesystem::path(*environment_.xdg_data_home) / "mailsync" / name;
        } else if (environment_.home) {
            account.store = std::filesystem::path(*environment_.home) / ".local/share/mailsync" / name;
        } else {
            fail(account_field.line, account_field.path + ".store",
                 "no default place for the store: neither XDG_DATA_HOME nor HOME is set; give store: PATH");
        }

        if (const Field* mailboxes = field("mailboxes")) account.mailboxes = mailbox_patterns(*mailboxes);
        if (const Field* mode = field("mode")) {
            account.mode = choice_value(*mode, {std::pair{std::string_view("two-way"), SyncMode::two_way},
                                                {"pull", SyncMode::pull},
                                                {"backup", SyncMode::backup}});
        }
        if (const Field* connections = field("connections")) {
            account.connections = static_cast<unsigned>(number_value(*connections, 1, 64));
        }
        if (const Field* timeout = field("timeout_seconds")) {
            account.timeout = std::chrono::seconds(number_value(*timeout, 1, 3600));
        }
        if (const Field* compress = field("compress")) {
            account.compress = choice_value(*compress, {std::pair{std::string_view("auto"), sync::CompressMode::automatic},
                                                        {"yes", sync::CompressMode::required},
                                                        {"no", sync::CompressMode::never}});
        }
        if (const Field* full_pull = field("watch_full_pull_minutes")) {
            account.watch_full_pull = std::chrono::minutes(number_value(*full_pull, 1, 1440));
        }
        if (const Field* backoff = field("watch_max_backoff"))
            account.watch_max_backoff = std::chrono::seconds(number_value(*backoff, 1, 3600));
        if (const Field* search = field("search")) account.search = bool_value(*search);
        parse_body_rule(account, field);
        parse_maildir(account, field);
        account.endpoint.connect_timeout = account.timeout;
        return account;
    }

    // Headers first (sync/pull/body_rule.hpp). Backup mode downloads every body: a rule that would
    // leave one out is an error there, naming the key, rather than silently ignored.
    template <typename FieldLookup>
    void parse_body_rule(Account& account, const FieldLookup& field) const {
        sync::BodyRule& rule = account.body_rule;
        if (const Field* bodies = field("bodies")) {
            if (bodies->value.IsMap()) {
                const auto fields = collect_map(bodies->value, bodies->path, bodies_keys);
                const auto age = fields.find("newer-than");
                if (age == fields.end()) fail(bodies->line, bodies->path, "expected all, headers or {newer-than: 90d}");
                const auto seconds = age->second.value.IsScalar() ? parse_age(age->second.value.Scalar()) : std::nullopt;
                if (!seconds) {
                    fail(age->second.line, age->second.path,
                         fmt::format("expected an age in days or weeks (90d, 12w), got {}", describe(age->second.value)));
                }
                rule.bodies = sync::BodyRule::Bodies::newer_than;
                rule.newer_than_seconds = *seconds;
            } else if (bodies->value.IsScalar() && bodies->value.Scalar().starts_with("newer-than")) {
                fail(bodies->line, bodies->path, "write the age as a map: bodies: {newer-than: 90d}");
            } else {
                rule.bodies = choice_value(*bodies, {std::pair{std::string_view("all"), sync::BodyRule::Bodies::all},
                                                     {"headers", sync::BodyRule::Bodies::headers}});
            }
        }
        if (const Field* max_size = field("max_size")) {
            const auto bytes = max_size->value.IsScalar() ? parse_byte_size(max_size->value.Scalar()) : std::nullopt;
            if (!bytes) {
                fail(max_size->line, max_size->path,
                     fmt::format("expected a size in bytes, or with k, M or G (10MB, 500k), got {}", describe(max_size->value)));
            }
            if (*bytes > 0) rule.max_size = *bytes;   // 0: no limit, as mbsync's MaxSize
        }
        if (account.mode == SyncMode::backup && !rule.downloads_everything()) {
            const Field* key = field("bodies") != nullptr && rule.bodies != sync::BodyRule::Bodies::all ? field("bodies") : field("max_size");
            fail(key->line, key->path, "mode: backup downloads every body; remove this key (or use mode: pull)");
        }
    }

    // The Maildir view: a place of its own, apart from the store (whose files it links to).
    template <typename FieldLookup>
    void parse_maildir(Account& account, const FieldLookup& field) const {
        const Field* maildir = field("maildir");
        const Field* layout = field("maildir_layout");
        if (layout != nullptr) {
            if (maildir == nullptr) fail(layout->line, layout->path, "has no effect without maildir: PATH");
            account.maildir_layout = choice_value(*layout, {std::pair{std::string_view("verbatim"), sync::MaildirLayout::verbatim},
                                                            {"maildir++", sync::MaildirLayout::maildir_plus_plus}});
        }
        if (maildir == nullptr) return;
        const std::filesystem::path path = path_value(*maildir);
        const auto inside = [](const std::filesystem::path& inner, const std::filesystem::path& outer) {
            const auto relative = inner.lexically_relative(outer);
            return !relative.empty() && *relative.begin() != "..";
        };
        if (inside(path, account.store) || inside(account.store, path)) {
            fail(maildir->line, maildir->path,
                 fmt::format("{} and the store {} must be apart (neither inside the other)", path.string(), account.store.string()));
        }
        account.maildir = path;
    }

    template <typename FieldLookup>
    void parse_credentials(Account& account, const Field& account_field, const FieldLookup& field) {
        const Field* password = field("password");
        const Field* password_command = field("password_command");
        const Field* password_file = field("password_file");
        const Field* oauth2 = field("oauth2");
        std::vector<const Field*> candidates;
        for (const Field* candidate : {password, password_command, password_file}) {
            if (candidate != nullptr) candidates.push_back(candidate);
        }
        std::sort(candidates.begin(), candidates.end(), [](const Field* a, const Field* b) { return a->line < b->line; });
        const Field* given_password = nullptr;
        for (const Field* candidate : candidates) {
            if (given_password != nullptr) {
                fail(candidate->line, candidate->path,
                     fmt::format("give only one of password, password_command and password_file (there is "
                                 "already {} on line {})", given_password->path, given_password->line));
            }
            given_password = candidate;
        }

        const bool uses_oauth2 = account.auth == AuthMethod::xoauth2 || account.auth == AuthMethod::oauthbearer;
        if (uses_oauth2) {
            if (given_password != nullptr) {
                fail(given_password->line, given_password->path,
                     fmt::format("not used with auth: {}; the oauth2 block says how to get a token", to_string(account.auth)));
            }
            if (oauth2 == nullptr) {
                fail(account_field.line, account_field.path + ".oauth2",
                     fmt::format("missing; auth: {} needs an oauth2 block", to_string(account.auth)));
            }
            account.oauth2 = parse_oauth2(*oauth2);
            return;
        }
        if (oauth2 != nullptr) fail(oauth2->line, oauth2->path, "only used with auth: xoauth2 or oauthbearer");
        if (given_password == nullptr) {
            fail(account_field.line, account_field.path,
                 fmt::format("auth: {} needs one of password, password_command or password_file", to_string(account.auth)));
        }
        if (given_password == password) {
            if (!password->value.IsScalar()) fail(password->line, password->path, fmt::format("expected a string, got {}", describe(password->value)));
            account.password = InlinePassword{password->value.Scalar()};
            if (!file_is_private_) {
                account.warnings.push_back(fmt::format(
                    "{}:{}: {}: the file can be read by other users; chmod 600 {}, or use password_command or password_file",
                    file_, password->line, password->path, file_));
            }
        } else if (given_password == password_command) {
            account.password = command_value(*password_command);
        } else {
            account.password = PasswordFile{path_value(*password_file)};
        }
    }

    OAuth2Settings parse_oauth2(const Field& block) const {
        if (!block.value.IsMap()) fail(block.line, block.path, fmt::format("expected a map, got {}", describe(block.value)));
        const auto fields = collect_map(block.value, block.path, oauth2_keys);
        const auto field = [&](std::string_view key) -> const Field* {
            const auto found = fields.find(std::string(key));
            return found == fields.end() ? nullptr : &found->second;
        };
        OAuth2Settings settings;
        const Field* token_command = field("token_command");
        const Field* token_endpoint = field("token_endpoint");
        if (token_command != nullptr) {
            if (token_endpoint != nullptr) {
                fail(token_endpoint->line, token_endpoint->path, "give either token_command or token_endpoint, not both");
            }
            for (std::string_view key : {"client_id", "client_secret_command", "refresh_token_command", "refresh_token_file", "ca_file"}) {
                if (const Field* unused = field(key)) fail(unused->line, unused->path, "only used with token_endpoint");
            }
            settings.token_command = command_value(*token_command);
            return settings;
        }
        if (token_endpoint == nullptr) fail(block.line, block.path, "needs token_command, or token_endpoint with client_id and a refresh token");
        settings.token_endpoint = string_value(*token_endpoint);
        if (!is_acceptable_token_endpoint(settings.token_endpoint)) {
            fail(token_endpoint->line, token_endpoint->path,
                 fmt::format("expected an https:// URL (http:// only to a loopback host), got {}", describe(token_endpoint->value)));
        }
        const Field* client_id = field("client_id");
        if (client_id == nullptr) fail(block.line, block.path + ".client_id", "missing; token_endpoint needs a client_id");
        settings.client_id = string_value(*client_id);
        if (const Field* secret = field("client_secret_command")) settings.client_secret_command = command_value(*secret);
        if (const Field* ca_file = field("ca_file")) settings.ca_file = path_value(*ca_file);
        const Field* refresh_command = field("refresh_token_command");
        const Field* refresh_file = field("refresh_token_file");
        if (refresh_command != nullptr && refresh_file != nullptr) {
            fail(refresh_file->line, refresh_file->path, "give either refresh_token_command or refresh_token_file, not both");
        }
        if (refresh_command != nullptr) {
            settings.refresh_token_command = command_value(*refresh_command);
        } else if (refresh_file != nullptr) {
            settings.refresh_token_file = path_value(*refresh_file);
        } else {
            fail(block.line, block.path, "token_endpoint needs refresh_token_command or refresh_token_file");
        }
        return settings;
    }

    static bool is_acceptable_token_endpoint(std::string_view url) {
        std::string_view rest;
        if (url.starts_with("https://")) {
            rest = url.substr(8);
        } else if (url.starts_with("http://")) {
            rest = url.substr(7);
        } else {
            return false;
        }
        std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
        if (authority.empty()) return false;
        if (url.starts_with("https://")) return true;
        std::string_view host = authority;
        if (host.starts_with("[")) {
            host = host.substr(1, host.find(']') == std::string_view::npos ? std::string_view::npos : host.find(']') - 1);
        } else {
            host = host.substr(0, host.find(':'));
        }
        return is_loopback_host(host);
    }

    std::vector<std::string> mailbox_patterns(const Field& field) const {
        if (!field.value.IsSequence() || field.value.size() == 0) {
            fail(field.line, field.path, fmt::format("expected a list of patterns such as [\"*\", \"!Spam\"], got {}", describe(field.value)));
        }
        std::vector<std::string> patterns;
        bool includes_something = false;
        for (std::size_t i = 0; i < field.value.size(); ++i) {
            const YAML::Node element = field.value[i];
            const std::string element_path = fmt::format("{}[{}]", field.path, i);
            if (!element.IsScalar() || element.Scalar().empty() || element.Scalar() == "!") {
                fail(line_of(element), element_path, fmt::format("expected a mailbox pattern, got {}", describe(element)));
            }
            if (!element.Scalar().starts_with("!")) includes_something = true;
            patterns.push_back(element.Scalar());
        }
        if (!includes_something) {
            fail(field.line, field.path, "only exclusions: add \"*\" (or other patterns) to say what to include");
        }
        return patterns;
    }

    std::string file_;
    const Environment& environment_;
    std::filesystem::path base_directory_;
    bool file_is_private_;
};

}  // namespace

Config validate_config(const YAML::Node& root, const std::string& file, const Environment& environment,
                       std::filesystem::path base_directory, bool file_is_private) {
    Validator validator(file, environment, std::move(base_directory), file_is_private);
    return validator.run(root);
}

}  // namespace mailsync::cli

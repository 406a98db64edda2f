// The configuration file: where it is, what it may say, and the validated, typed result.
//
// Keys (SPEC.md "Configuration" is the contract; the keys marked + are mailsync's additions). Users
// read them in mailsync.yaml(5) and dist/config.yaml.example; the install.docs_drift test fails
// when a key here, or in config_validation.cpp's lists, is missing from either:
//
//   accounts:                      # a map; names match [A-Za-z0-9._-]+ (not "." or "..")
//     NAME:
//       host: imap.example.com     # required
//       port: 993                  # 1..65535; default 993 for tls: implicit, 143 otherwise
//       tls: implicit              # implicit | starttls | none
//       insecure_plaintext: false  # + tls: none is refused for a host other than localhost,
//                                  #   127.0.0.0/8 or ::1 unless this is true
//       tls_ca_file: PATH          # + PEM file of trusted CAs instead of the system store
//       tls_fingerprint: HEX       # + pin the server certificate's SHA-256 (64 hex digits;
//                                  #   an optional "SHA256:" prefix and colons are allowed)
//       user: me@example.com       # required
//       auth: plain                # plain | login | xoauth2 | oauthbearer (default plain)
//       # plain and login need exactly one of:
//       password: "..."            # warned about unless the config file is private (0600)
//       password_command: "pass show mail/work"
//                                  # run without a shell: split on blanks, '...' and "..." group,
//                                  # \ escapes; or a list [argv0, arg1, ...]; or {shell: "..."}
//                                  # for `sh -c`. The first line of its stdout is the password.
//       password_file: PATH        # first line; the file must not be group/other accessible
//       oauth2:                    # + xoauth2 and oauthbearer need this block, with either
//         token_command: CMD       #   a command printing an access token (same forms as above),
//         token_endpoint: URL      #   or an https:// token endpoint (http:// only to loopback),
//         client_id: ID            #   a client id,
//         client_secret_command: CMD  # an optional client secret,
//         refresh_token_command: CMD  # and exactly one of these two
//         refresh_token_file: PATH    # (same permission rule as password_file)
//         ca_file: PATH            # + PEM of CAs trusted for token_endpoint instead of the system store
//       store: PATH                # default $XDG_DATA_HOME/mailsync/NAME (~/.local/share/...)
//       mailboxes: ["*", "!Spam"]  # patterns, "!" excludes; default ["*"]
//       mode: two-way              # two-way | pull | backup
//       connections: 4             # + mailboxes synced in parallel, 1..64
//       timeout_seconds: 60        # + network timeout, 1..3600
//       compress: auto             # + auto | yes | no: COMPRESS=DEFLATE (RFC 4978) when the
//                                  #   server offers it; yes requires it, no never asks
//       maildir: ~/Mail/work       # the two-way Maildir view for mail clients (sync/view/README.md);
//                                  #   off when absent. Must not be the store or inside it.
//       maildir_layout: verbatim   # verbatim | maildir++ (only with maildir)
//       bodies: all                # all | headers | {newer-than: 90d}: which new messages are
//                                  #   mirrored whole; the others as headers and structure only,
//                                  #   their body fetched by `show` (online) or `sync --bodies`
//                                  #   (sync/pull/body_rule.hpp). Ages: Nd or Nw. Not with backup.
//       max_size: 10MB             # no body larger than this is downloaded (mbsync's MaxSize):
//                                  #   bytes, or with k/kB/KiB, M/MB/MiB, G/GB/GiB (1024-based);
//                                  #   default no limit. Not with mode: backup.
//       search: true               # + the full-text index of the mirror (`mailsync search`),
//                                  #   kept up to date by every sync and local command
//       watch_full_pull_minutes: 15  # + `watch`: every mailbox is pulled this often, 1..1440.
//                                  #   Between full pulls a change is pulled when the server
//                                  #   reports it: in every mailbox where it offers NOTIFY
//                                  #   (RFC 5465, e.g. Dovecot), else in INBOX only (IDLE), so
//                                  #   there the other mailboxes wait for the full pull.
//       watch_max_backoff: 60      # + `watch`: seconds, 1..3600: the longest wait between two
//                                  #   reconnection attempts (1 s, doubling, jittered below it)
//
// Paths may start with "~/" and, when relative, are taken relative to the config file's directory
// (cron runs in another working directory). Unknown keys are errors, with the nearest known key
// suggested: a typo must not silently fall back to a default. Every error names the file, the
// 1-based line and the key path, and is an Error(config).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sync/pull/body_rule.hpp"
#include "sync/server/connect.hpp"
#include "sync/server/endpoint.hpp"
#include "sync/view/maildir_names.hpp"

namespace mailsync::cli {

using AuthMethod = sync::AuthMethod;
enum class SyncMode { two_way, pull, backup };

std::string_view to_string(AuthMethod method);
std::string_view to_string(SyncMode mode);
std::string_view to_string(sync::TlsMode mode);
std::string_view to_string(sync::CompressMode mode);

// A program whose standard output is a secret (password, token).
struct SecretCommand {
    std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no slash
    std::string as_written;         // the command as the file gives it, for messages
};

struct InlinePassword {
    std::string value;
};
struct PasswordFile {
    std::filesystem::path path;
};
// monostate: no password (OAuth2 accounts).
using PasswordSource = std::variant<std::monostate, InlinePassword, SecretCommand, PasswordFile>;

struct OAuth2Settings {
    std::optional<SecretCommand> token_command;
    std::string token_endpoint;
    std::string client_id;
    std::optional<SecretCommand> client_secret_command;
    std::optional<SecretCommand> refresh_token_command;
    std::optional<std::filesystem::path> refresh_token_file;
    std::optional<std::filesystem::path> ca_file;
};

struct Account {
    std::string name;
    sync::Endpoint endpoint;  // host, port, tls, CA file, pinned fingerprint, connect timeout
    bool insecure_plaintext = false;
    std::string user;
    AuthMethod auth = AuthMethod::plain;
    PasswordSource password;
    OAuth2Settings oauth2;
    std::filesystem::path store;
    std::vector<std::string> mailboxes{"*"};
    SyncMode mode = SyncMode::two_way;
    unsigned connections = 4;
    std::chrono::seconds timeout{60};
    sync::CompressMode compress = sync::CompressMode::automatic;
    std::chrono::minutes watch_full_pull{15};
    std::chrono::seconds watch_max_backoff{60};
    std::optional<std::filesystem::path> maildir;   // the Maildir view; none when absent
    sync::MaildirLayout maildir_layout = sync::MaildirLayout::verbatim;
    bool search = true;   // keep the search index (sync/search/)
    sync::BodyRule body_rule;   // bodies: and max_size: (headers first); backup mode: always all
    std::vector<std::string> warnings;  // for the caller to show (e.g. a password in a shared file)
};

struct Config {
    std::vector<Account> accounts;  // in file order
    std::string path;               // as given, for messages

    const Account* find(std::string_view account_name) const;
};

// What the configuration depends on from the process environment, so that tests can set it.
struct Environment {
    std::optional<std::string> mailsync_config;  // $MAILSYNC_CONFIG
    std::optional<std::string> xdg_config_home;
    std::optional<std::string> xdg_data_home;
    std::optional<std::string> home;

    static Environment from_process();
};

// $MAILSYNC_CONFIG, else $XDG_CONFIG_HOME/mailsync/config.yaml, else ~/.config/mailsync/config.yaml.
std::filesystem::path default_config_path(const Environment& environment);

// Reads and validates the file. A missing or unreadable file is an Error(config) naming it.
Config load_config(const std::filesystem::path& path, const Environment& environment);

// Validates YAML text; `path` names it in messages and anchors relative paths. `file_is_private`:
// the file is accessible by its owner only, so a password in it draws no warning.
Config parse_config(std::string_view yaml_text, const std::string& path,
                    const Environment& environment, bool file_is_private = true);

// Splits a command line the way a simple shell would, without expanding anything: blanks separate
// words, '...' groups literally, "..." groups with \" \\ \$ \` escapes, \ escapes one character.
// std::nullopt when a quote is not closed or a backslash ends the text.
std::optional<std::vector<std::string>> split_command_line(std::string_view command_line);

// "SHA256:AB:cd:..." or "abcd..." → 64 lower-case hex digits; std::nullopt when it is not that.
std::optional<std::string> normalize_sha256_fingerprint(std::string_view text);

bool is_loopback_host(std::string_view host);

// "10MB", "500k", "1GiB", "2048" → bytes (k, M, G 1024-based, with an optional B or iB);
// std::nullopt when it is not that or overflows.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);
// "90d", "12w" → seconds; std::nullopt when it is not a number of days or weeks (1 to 100 000 days).
std::optional<std::int64_t> parse_age(std::string_view text);

}  // namespace mailsync::cli

// OAuth2 end to end: the built `mailsync` logs in to a real Dovecot with XOAUTH2 and OAUTHBEARER
// using bearer tokens from a local HTTPS token endpoint (tests/support/token_endpoint.py), and
// Dovecot's oauth2 passdb validates every token by RFC 7662 introspection at the same endpoint.
//
// Each test case runs a private Dovecot (tests/integration/dovecot-fixture.sh with
// DOVECOT_FIXTURE_EXTRA_CONF adding the oauth2 passdb), so the shared fixture is untouched:
//   passdb { driver = oauth2  mechanisms = xoauth2 oauthbearer  args = <scratch>/dovecot-oauth2.conf.ext }
//   introspection_mode = post, introspection_url = http://127.0.0.1:PORT/introspect,
//   username_attribute = username, active_attribute = active, active_value = true
// "Expiring" a token at the endpoint (POST /control/expire) makes introspection answer
// {"active": false}, so Dovecot refuses it exactly as a provider-side expiry or revocation would.
#include <catch2/catch.hpp>

#include <curl/curl.h>
#include <dlfcn.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <yaml-cpp/yaml.h>
#include "tests/support/files.hpp"

extern char** environ;

namespace fs = std::filesystem;
using mailsync::test::read_file;

namespace {

const std::string oauth_user = "oauthuser";   // lowercase: Dovecot's username_format is %Lu
const std::string refresh_secret = "refresh-SECRET-e2e-7f3a";
const std::string client_secret = "client-SECRET-e2e-91c2";

void write_file(const fs::path& path, const std::string& text, fs::perms perms) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    fs::permissions(path, perms);
}

// `sh -c command`; its exit status, stdout into `out`.
int shell(const std::string& command, std::string* out = nullptr) {
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) throw std::runtime_error("popen failed: " + command);
    char buffer[65536];
    std::size_t n = 0;
    std::string text;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
    const int status = ::pclose(pipe);
    if (out) *out = std::move(text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

// A control request to the endpoint's plain-HTTP port (loopback).
std::string http_post(const std::string& url, const std::string& form) {
    CURL* curl = ::curl_easy_init();
    if (!curl) throw std::runtime_error("curl_easy_init failed");
    std::string body;
    ::curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    ::curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form.c_str());
    ::curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    ::curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    ::curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    ::curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    const CURLcode code = ::curl_easy_perform(curl);
    long status = 0;
    ::curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    ::curl_easy_cleanup(curl);
    if (code != CURLE_OK || status != 200) throw std::runtime_error("control request failed: " + url);
    return body;
}

struct Run {
    int code = -1;
    std::string out, err;
};

// A scratch directory with a token endpoint and a private Dovecot whose oauth2 passdb introspects
// at that endpoint; everything is stopped (by PID / the fixture's stop) and removed at the end.
class OAuthWorld {
public:
    OAuthWorld() {
        std::string pattern = "/tmp/mailsync-oauth-XXXXXX";   // short: Dovecot's socket paths
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        // Dovecot's auth process (user dovecot when run as root) reads the oauth2 settings here.
        fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
        start_endpoint();
        start_dovecot();
    }
    ~OAuthWorld() {
        if (dovecot_started_) shell(fixture_script() + " stop " + dovecot_dir().string() + " >/dev/null 2>&1");
        if (endpoint_pid_ > 0) {
            ::kill(endpoint_pid_, SIGTERM);
            int status = 0;
            ::waitpid(endpoint_pid_, &status, 0);
        }
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }
    OAuthWorld(const OAuthWorld&) = delete;
    OAuthWorld& operator=(const OAuthWorld&) = delete;

    const fs::path& dir() const { return dir_; }
    fs::path endpoint_dir() const { return dir_ / "endpoint"; }
    fs::path dovecot_dir() const { return dir_ / "dovecot"; }
    std::string token_url() const { return "https://127.0.0.1:" + std::to_string(https_port_) + "/token"; }
    std::string control(const std::string& what, const std::string& form = "") const {
        return http_post("http://127.0.0.1:" + std::to_string(http_port_) + "/control/" + what, form);
    }
    int refreshes() const {
        const std::string text = read_file(endpoint_dir() / "count");
        return text.empty() ? 0 : std::stoi(text);
    }
    // One line per introspection Dovecot made: "active USER", "expired USER" or "unknown".
    std::vector<std::string> introspections() const {
        std::vector<std::string> lines;
        std::istringstream in(read_file(endpoint_dir() / "introspections"));
        for (std::string line; std::getline(in, line);) lines.push_back(line);
        return lines;
    }
    // Every access token the endpoint ever issued (live and expired).
    std::vector<std::string> issued_tokens() const {
        std::vector<std::string> tokens;
        for (const char* where : {"tokens", "expired"})
            for (const auto& entry : fs::directory_iterator(endpoint_dir() / where)) tokens.push_back(entry.path().filename().string());
        return tokens;
    }
    void set(const std::string& name, const std::string& value) const { std::ofstream(endpoint_dir() / name) << value; }

    std::uint16_t imap_port() const { return imap_port_; }
    std::uint16_t imaps_port() const { return imaps_port_; }
    fs::path dovecot_ca() const { return dovecot_dir() / "tls" / "cert.pem"; }
    std::string dovecot_log() const { return read_file(dovecot_dir() / "dovecot.log"); }

    // Stores one message for `user` through doveadm (mail appears at first use).
    void seed(const std::string& user, const std::string& rfc822) const {
        const std::string command = "doveadm -c " + (dovecot_dir() / "dovecot.conf").string() + " save -u " + user + " -m INBOX";
        FILE* pipe = ::popen(command.c_str(), "w");
        REQUIRE(pipe);
        std::fwrite(rfc822.data(), 1, rfc822.size(), pipe);
        REQUIRE(::pclose(pipe) == 0);
    }

    // A mailsync configuration for the oauth user with `auth` (xoauth2 | oauthbearer) and TLS `tls`.
    fs::path write_config(const std::string& auth, const std::string& tls) const {
        const fs::path refresh_file = dir_ / "refresh-token";
        write_file(refresh_file, refresh_secret + "\n", fs::perms::owner_read | fs::perms::owner_write);
        const fs::path config = dir_ / ("config-" + auth + ".yaml");
        std::ostringstream yaml;
        yaml << "accounts:\n  oauth:\n    host: 127.0.0.1\n    port: " << (tls == "implicit" ? imaps_port_ : imap_port_)
             << "\n    tls: " << tls << "\n    tls_ca_file: " << dovecot_ca().string() << "\n    user: " << oauth_user
             << "\n    auth: " << auth << "\n    store: " << (dir_ / ("store-" + auth)).string() << "\n    oauth2:\n"
             << "      token_endpoint: " << token_url() << "\n      client_id: mailsync-e2e\n"
             << "      client_secret_command: [printf, \"" << client_secret << "\"]\n"
             << "      refresh_token_file: " << refresh_file.string() << "\n"
             << "      ca_file: " << (endpoint_dir() / "cert.pem").string() << "\n";
        write_file(config, yaml.str(), fs::perms::owner_read | fs::perms::owner_write);
        return config;
    }

    // A configuration for the fixture's password user user1 (no OAuth2).
    fs::path write_password_config() const {
        const fs::path config = dir_ / "config-password.yaml";
        std::ostringstream yaml;
        yaml << "accounts:\n  plain:\n    host: 127.0.0.1\n    port: " << imaps_port_ << "\n    tls: implicit\n    tls_ca_file: "
             << dovecot_ca().string() << "\n    user: user1\n    password: secret-one\n    store: " << (dir_ / "store-password").string()
             << "\n";
        write_file(config, yaml.str(), fs::perms::owner_read | fs::perms::owner_write);
        return config;
    }

    // `environment` (e.g. "LD_DEBUG=files") is set for the mailsync process only.
    Run mailsync(const fs::path& config, const std::string& arguments, const std::string& environment = "") const {
        const fs::path err = dir_ / "stderr";
        Run run;
        run.code = shell(environment + (environment.empty() ? "" : " ") + MAILSYNC_BINARY_DIR "/cli/mailsync -c " + config.string() + " " +
                             arguments + " 2>" + err.string(),
                         &run.out);
        run.err = read_file(err);
        return run;
    }

private:
    static std::string fixture_script() { return MAILSYNC_SOURCE_DIR "/tests/integration/dovecot-fixture.sh"; }

    void start_endpoint() {
        fs::create_directories(endpoint_dir());
        set("user", oauth_user);
        const std::string script = MAILSYNC_SOURCE_DIR "/tests/support/token_endpoint.py";
        std::vector<std::string> words{"python3", script, endpoint_dir().string()};
        std::vector<char*> argv;
        for (auto& word : words) argv.push_back(word.data());
        argv.push_back(nullptr);
        if (::posix_spawnp(&endpoint_pid_, "python3", nullptr, nullptr, argv.data(), environ) != 0)
            throw std::runtime_error("cannot start the token endpoint");
        for (int i = 0; i < 200 && !fs::exists(endpoint_dir() / "ports"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
        std::ifstream ports(endpoint_dir() / "ports");
        if (!(ports >> https_port_ >> http_port_)) throw std::runtime_error("the token endpoint did not start");
    }

    void start_dovecot() {
        const fs::path ext = dir_ / "dovecot-oauth2.conf.ext";
        write_file(ext,
                   "introspection_mode = post\n"
                   "introspection_url = http://127.0.0.1:" + std::to_string(http_port_) + "/introspect\n"
                   "username_attribute = username\n"
                   "active_attribute = active\n"
                   "active_value = true\n"
                   "timeout_msecs = 5000\n",
                   fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
        // The owner of the mail, as dovecot-fixture.sh chooses it: as root the user "mail" (or
        // $DOVECOT_FIXTURE_MAIL_USER), otherwise whoever runs the test.
        ::uid_t mail_uid = ::getuid();
        ::gid_t mail_gid = ::getgid();
        if (mail_uid == 0) {
            const char* name = std::getenv("DOVECOT_FIXTURE_MAIL_USER");
            const ::passwd* entry = ::getpwnam(name && *name ? name : "mail");
            if (!entry) throw std::runtime_error("no user \"mail\" to own the test mail");
            mail_uid = entry->pw_uid;
            mail_gid = entry->pw_gid;
        }
        const fs::path extra = dir_ / "dovecot-extra.conf";
        write_file(extra,
                   "auth_mechanisms = plain login xoauth2 oauthbearer\n"
                   "auth_verbose = yes\n"   // logs why a token was refused
                   "passdb {\n"
                   "  driver = oauth2\n"
                   "  mechanisms = xoauth2 oauthbearer\n"
                   "  args = " + ext.string() + "\n"
                   "}\n"
                   // The fixture's static userdb knows only users some passdb can look up (the
                   // oauth2 passdb cannot); this one lets doveadm seed mail for the oauth user.
                   "userdb {\n"
                   "  driver = static\n"
                   "  args = uid=" + std::to_string(mail_uid) + " gid=" + std::to_string(mail_gid) + " home=" +
                       (dovecot_dir() / "mail").string() + "/%u allow_all_users=yes\n"
                   "}\n",
                   fs::perms::owner_read | fs::perms::owner_write);
        std::string out;
        dovecot_started_ = true;   // stop is idempotent: clean up even a half-started instance
        const int code = shell("DOVECOT_FIXTURE_EXTRA_CONF=" + extra.string() + " " + fixture_script() + " start " +
                                   dovecot_dir().string() + " 2>&1",
                               &out);
        if (code != 0) throw std::runtime_error("private Dovecot did not start:\n" + out);
        std::ifstream env(dovecot_dir() / "env");
        for (std::string line; std::getline(env, line);) {
            if (line.starts_with("IMAP_PORT=")) imap_port_ = static_cast<std::uint16_t>(std::stoi(line.substr(10)));
            if (line.starts_with("IMAPS_PORT=")) imaps_port_ = static_cast<std::uint16_t>(std::stoi(line.substr(11)));
        }
        if (!imap_port_ || !imaps_port_) throw std::runtime_error("no ports in the private Dovecot's env");
    }

    fs::path dir_;
    pid_t endpoint_pid_ = 0;
    int https_port_ = 0, http_port_ = 0;
    bool dovecot_started_ = false;
    std::uint16_t imap_port_ = 0, imaps_port_ = 0;
};

std::string message(const std::string& tag) {
    return "From: Sender <sender@example.org>\r\nTo: oauthuser@example.org\r\nSubject: " + tag + "\r\nMessage-ID: <" + tag +
           "@oauth.mailsync.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nBody of " + tag + "\r\n";
}

// The subjects of the mirror's INBOX (`mailsync list INBOX --json`).
std::vector<std::string> mirrored_subjects(const OAuthWorld& world, const fs::path& config) {
    const Run list = world.mailsync(config, "--json list INBOX");
    INFO(list.err);
    REQUIRE(list.code == 0);
    std::vector<std::string> subjects;
    for (const auto& entry : YAML::Load(list.out)) subjects.push_back(entry["subject"].as<std::string>());
    std::sort(subjects.begin(), subjects.end());
    return subjects;
}

std::size_t count_of(const std::vector<std::string>& lines, const std::string& line) {
    return static_cast<std::size_t>(std::count(lines.begin(), lines.end(), line));
}

void check_no_secret(const OAuthWorld& world, const std::string& text) {
    for (const auto& token : world.issued_tokens()) CHECK(text.find(token) == std::string::npos);
    CHECK(text.find(refresh_secret) == std::string::npos);
    CHECK(text.find(client_secret) == std::string::npos);
}

}  // namespace

TEST_CASE("oauth2 e2e: XOAUTH2 to Dovecot, refresh on rejection, a refused refresh is exit 77 without secrets",
          "[oauth2][dovecot]") {
    OAuthWorld world;
    world.seed(oauth_user, message("oauth-xoauth2-1"));
    const fs::path config = world.write_config("xoauth2", "implicit");

    // (1) No cached token: one refresh at the endpoint, then Dovecot accepts the bearer token.
    Run sync = world.mailsync(config, "sync");
    INFO("stderr: " << sync.err);
    INFO("dovecot log:\n" << world.dovecot_log());
    REQUIRE(sync.code == 0);
    CHECK(world.refreshes() == 1);
    CHECK(mirrored_subjects(world, config) == std::vector<std::string>{"oauth-xoauth2-1"});
    CHECK(count_of(world.introspections(), "active " + oauth_user) >= 1);   // Dovecot really asked
    CHECK(count_of(world.introspections(), "expired " + oauth_user) == 0);

    // The cached token is reused by the next run: no refresh.
    world.seed(oauth_user, message("oauth-xoauth2-2"));
    sync = world.mailsync(config, "sync");
    REQUIRE(sync.code == 0);
    CHECK(world.refreshes() == 1);
    CHECK(mirrored_subjects(world, config) == std::vector<std::string>{"oauth-xoauth2-1", "oauth-xoauth2-2"});

    // (2) The provider expires the cached token: Dovecot refuses it, mailsync refreshes once and
    // logs in with the new one.
    CHECK_THAT(world.control("expire"), Catch::Contains("\"expired\": 1"));
    world.seed(oauth_user, message("oauth-xoauth2-3"));
    sync = world.mailsync(config, "sync");
    REQUIRE(sync.code == 0);
    CHECK(world.refreshes() == 2);
    CHECK(count_of(world.introspections(), "expired " + oauth_user) == 1);   // the refused login
    CHECK_THAT(world.dovecot_log(), Catch::Contains("Provided token is not valid"));
    CHECK(mirrored_subjects(world, config) ==
          std::vector<std::string>{"oauth-xoauth2-1", "oauth-xoauth2-2", "oauth-xoauth2-3"});
    check_no_secret(world, sync.err + sync.out);

    // (4) Expired again, and the endpoint now refuses the refresh token: an auth error (77) that
    // says why, without any secret in it.
    world.control("expire");
    world.control("mode", "value=invalid_grant");
    sync = world.mailsync(config, "sync");
    CHECK(sync.code == 77);
    CHECK(world.refreshes() == 2);   // the refused grant issued nothing
    CHECK_THAT(sync.err, Catch::Contains("invalid_grant"));
    check_no_secret(world, sync.err + sync.out);
    const Run status = world.mailsync(config, "--json status");
    CHECK(status.code == 0);
    check_no_secret(world, status.out + status.err);
}

TEST_CASE("oauth2 e2e: OAUTHBEARER over STARTTLS to Dovecot, refresh on expiry and on rejection", "[oauth2][dovecot]") {
    OAuthWorld world;
    world.seed(oauth_user, message("oauth-bearer-1"));
    const fs::path config = world.write_config("oauthbearer", "starttls");

    // Tokens that live 30 s: within mailsync's expiry margin, so never reused from the cache.
    world.set("expires_in", "30");
    Run sync = world.mailsync(config, "sync");
    INFO("stderr: " << sync.err);
    INFO("dovecot log:\n" << world.dovecot_log());
    REQUIRE(sync.code == 0);
    CHECK(world.refreshes() == 1);
    CHECK(mirrored_subjects(world, config) == std::vector<std::string>{"oauth-bearer-1"});

    // (expiry) The cached token is about to expire: refreshed before the login, which Dovecot
    // accepts at once (no refused attempt).
    sync = world.mailsync(config, "sync");
    REQUIRE(sync.code == 0);
    CHECK(world.refreshes() == 2);
    CHECK(count_of(world.introspections(), "expired " + oauth_user) == 0);

    // (3) Long-lived token cached, then expired at the provider: refused by Dovecot, refreshed,
    // logged in.
    world.set("expires_in", "3600");
    sync = world.mailsync(config, "sync");
    REQUIRE(sync.code == 0);
    CHECK(world.refreshes() == 3);
    world.control("expire");
    world.seed(oauth_user, message("oauth-bearer-2"));
    sync = world.mailsync(config, "sync");
    REQUIRE(sync.code == 0);
    CHECK(world.refreshes() == 4);
    CHECK(count_of(world.introspections(), "expired " + oauth_user) == 1);
    CHECK(mirrored_subjects(world, config) == std::vector<std::string>{"oauth-bearer-1", "oauth-bearer-2"});
    check_no_secret(world, sync.err + sync.out);

    // Control: this Dovecot does check tokens. One the endpoint never issued (a token_command's) is
    // refused, twice (the retry asks the command again), and mailsync gives up with 77.
    const fs::path bogus = world.dir() / "config-bogus.yaml";
    std::string yaml = read_file(config);
    const auto from = yaml.find("      token_endpoint:");
    REQUIRE(from != std::string::npos);
    yaml = yaml.substr(0, from) + "      token_command: [printf, \"not-a-token-4711\"]\n";
    write_file(bogus, yaml, fs::perms::owner_read | fs::perms::owner_write);
    sync = world.mailsync(bogus, "sync");
    CHECK(sync.code == 77);
    CHECK(count_of(world.introspections(), "unknown") == 2);
    CHECK(world.refreshes() == 4);
}

// libcurl is dlopen'ed by the first token request of a run (sync/auth/curl_library.hpp), so that a
// run that asks no token endpoint never maps it and its dependency tree (~4 MB of peak RSS). The
// dynamic loader's own trace (LD_DEBUG=files: every object it maps, needed or dlopen'ed) tells.
TEST_CASE("oauth2 e2e: libcurl is mapped only by a run that asks the token endpoint", "[oauth2][dovecot][curl]") {
    OAuthWorld world;
    world.seed(oauth_user, message("oauth-lazy-1"));
    const auto maps_libcurl = [](const Run& run) { return run.err.find("file=libcurl.so.4") != std::string::npos; };

    // A password sync: no libcurl, though the program and its libraries are all traced.
    world.seed("user1", message("password-lazy-1"));
    Run sync = world.mailsync(world.write_password_config(), "sync", "LD_DEBUG=files");
    INFO("stderr: " << sync.err);
    REQUIRE(sync.code == 0);
    CHECK_THAT(sync.err, Catch::Contains("file=libssl.so.3"));   // the trace works
    CHECK_FALSE(maps_libcurl(sync));

    // The first OAuth2 sync asks the endpoint: libcurl is loaded then, by dlopen.
    const fs::path config = world.write_config("xoauth2", "implicit");
    sync = world.mailsync(config, "sync", "LD_DEBUG=files");
    REQUIRE(sync.code == 0);
    CHECK(world.refreshes() == 1);
    CHECK(maps_libcurl(sync));
    CHECK_THAT(sync.err, Catch::Contains("dynamically loaded by"));

    // The next one reuses the cached token: no request, no libcurl.
    sync = world.mailsync(config, "sync", "LD_DEBUG=files");
    REQUIRE(sync.code == 0);
    CHECK(world.refreshes() == 1);
    CHECK_FALSE(maps_libcurl(sync));

    // --version loads it to ask its version.
    const Run version = world.mailsync(config, "--version", "LD_DEBUG=files");
    CHECK(version.code == 0);
    CHECK_THAT(version.out, Catch::Contains("\nlibcurl ") && !Catch::Contains("not loadable"));
    CHECK(maps_libcurl(version));

    // No usable libcurl: the loader finds a "libcurl.so.4" first in LD_LIBRARY_PATH that is in fact
    // libc. A refresh (a store without a cached token) is exit 78 naming the library; no request.
    const fs::path fake = world.dir() / "fake-lib";
    fs::create_directories(fake);
    ::Dl_info libc{};
    REQUIRE(::dladdr(reinterpret_cast<void*>(&::getpid), &libc) != 0);
    fs::create_symlink(fs::canonical(libc.dli_fname), fake / "libcurl.so.4");
    sync = world.mailsync(world.write_config("oauthbearer", "implicit"), "sync", "LD_LIBRARY_PATH=" + fake.string());
    CHECK(sync.code == 78);
    CHECK_THAT(sync.err, Catch::Contains("cannot load libcurl (libcurl.so.4)") && Catch::Contains("it has no curl_global_init"));
    CHECK(world.refreshes() == 1);
    const Run broken_version = world.mailsync(config, "--version", "LD_LIBRARY_PATH=" + fake.string());
    CHECK(broken_version.code == 0);
    CHECK_THAT(broken_version.out, Catch::Contains("\nlibcurl not loadable (built with "));
}

// What the restore tests share: an account with mail of every kind (flags, keywords, INTERNALDATEs
// in several zones, a message without Message-ID, a large one, a nested mailbox, the same message
// twice), a configuration naming it (the source, mode backup) and a second account (the target of
// --to), `mailsync restore` run with its JSON read back, and the server as an independent client
// sees it (tests/fault/server_truth.py --dates: Python's imaplib, not mailsync's parser).
#pragma once

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include "sync/imap/command.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/program.hpp"

namespace mailsync::test::restore {

// mailbox → the multiset of "sha256|flags|internaldate" of its messages; every selectable mailbox,
// also empty ones.
using Truth = std::map<std::string, std::multiset<std::string>>;

inline Truth read_truth(std::uint16_t port, const DovecotFixture::User& user) {
    const std::string command = std::string(MAILSYNC_SOURCE_DIR "/tests/fault/server_truth.py --dates ") +
                                std::to_string(port) + " '" + user.name + "' '" + user.password + "'";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe);
    std::string text;
    char buffer[65536];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
    REQUIRE(::pclose(pipe) == 0);
    Truth truth;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::vector<std::string> fields;
        std::istringstream split(line);
        for (std::string field; std::getline(split, field, '\t');) fields.push_back(field);
        if (fields.size() == 2 && fields[0] == "mailbox") truth[fields[1]];
        if (fields.size() == 6 && fields[0] == "message") truth[fields[1]].insert(fields[3] + "|" + fields[4] + "|" + fields[5]);
        if (fields.size() == 5 && fields[0] == "message") truth[fields[1]].insert(fields[3] + "|" + fields[4] + "|");
    }
    return truth;
}

inline std::size_t message_count(const Truth& truth) {
    std::size_t count = 0;
    for (const auto& [name, messages] : truth) count += messages.size();
    return count;
}

// APPEND through a session of the test's own, for an INTERNALDATE of its choosing (doveadm save
// takes the time of the save).
inline void append_dated(std::uint16_t port, const DovecotFixture::User& user, const std::string& mailbox,
                         const std::string& rfc822, const std::vector<std::string>& flags, const std::string& date) {
    if (mailbox != "INBOX") create_mailbox(user.name, mailbox);
    TempDirectory dir;
    const auto file = dir.path() / "message.eml";
    std::ofstream(file, std::ios::binary) << rfc822;
    auto settings = plaintext_settings(user.name);
    settings.endpoint.port = port;
    sync::Connection connection = sync::connect(settings, [&](bool) { return user.password; });
    imap::cmd::Append append{mailbox, flags, date, file.string(), rfc822.size()};
    REQUIRE(connection.session->run(std::move(append)).status == imap::Status::ok);
    connection.session->logout();
}

inline std::string message_without_id(const std::string& tag) {
    return "From: Nobody <nobody@example.org>\r\nTo: me@example.org\r\nSubject: no Message-ID " + tag +
           "\r\nDate: Tue, 31 Dec 2019 23:59:59 -0800\r\n\r\nThis message has no Message-ID.\r\n";
}

// Seeds `user` with the restore tests' mail; the tag makes every Message-ID unique to the test.
// Returns the UID in INBOX of the message the tests expunge on the server (backup mode keeps it).
inline std::uint32_t seed_account(std::uint16_t port, const DovecotFixture::User& user, const std::string& tag) {
    append_dated(port, user, "INBOX", make_message(tag + "-1"), {"\\Seen", "$Label1"}, "05-Mar-2024 09:15:00 +0100");
    append_dated(port, user, "INBOX", make_message(tag + "-large", 120'000), {"\\Flagged", "\\Answered"},
                 "01-Jan-2020 00:00:01 +0000");
    append_dated(port, user, "INBOX", message_without_id(tag), {}, "31-Dec-2019 23:59:59 -0800");
    append_dated(port, user, "INBOX", make_message(tag + "-4"), {"\\Draft", "$Important", "custom_kw"}, "12-Aug-2023 18:40:10 +0530");
    append_dated(port, user, "INBOX", make_message(tag + "-gone"), {"\\Seen"}, "02-Feb-2022 02:02:02 +0000");
    const std::uint32_t gone = status(user.name, "INBOX").uidnext - 1;
    append_dated(port, user, "Archive/2024", make_message(tag + "-a1"), {"\\Seen"}, "07-Jul-2024 07:07:07 +0200");
    append_dated(port, user, "Archive/2024", make_message(tag + "-1"), {}, "08-Jul-2024 08:08:08 +0200");
    append_dated(port, user, "Archive/2024", make_message(tag + "-twice"), {"\\Seen"}, "09-Jul-2024 09:09:09 +0200");
    append_dated(port, user, "Archive/2024", make_message(tag + "-twice"), {"\\Seen"}, "09-Jul-2024 09:09:09 +0200");
    create_mailbox(user.name, "Empty");
    return gone;
}

struct Counts {
    int code = -1;
    YAML::Node json;   // the --json document (null when there was none)
    std::uint64_t get(const char* key) const { return json[key].as<std::uint64_t>(); }
};

// A configuration with the source account "src" (mode backup) and the target account "dst".
class RestoreSetup {
public:
    RestoreSetup(std::uint16_t source_port, const DovecotFixture::User& source, std::uint16_t target_port,
                 const DovecotFixture::User& target)
        : source_(source) {
        write(source_port, target_port, target);
    }
    void write(std::uint16_t source_port, std::uint16_t target_port, const DovecotFixture::User& target) const {
        std::ofstream(config()) << "accounts:\n"
                                << account("src", source_port, source_, "source") << "    mode: backup\n"
                                << account("dst", target_port, target, "target");
        ::chmod(config().c_str(), 0600);
    }
    std::filesystem::path config() const { return dir_.path() / "config.yaml"; }
    std::filesystem::path source_store() const { return dir_.path() / "source"; }
    std::filesystem::path journal_directory() const { return source_store() / "restore"; }

    std::vector<std::string> arguments(const std::vector<std::string>& rest) const {
        std::vector<std::string> all{mailsync_binary, "-c", config().string()};
        all.insert(all.end(), rest.begin(), rest.end());
        return all;
    }
    // Runs mailsync to its end; with --json among `rest`, its document is read back.
    Counts run(const std::vector<std::string>& rest) const {
        const auto out = dir_.path() / "stdout";
        std::filesystem::remove(out);
        Counts counts;
        {
            Program program(arguments(rest), out, dir_.path() / "stderr");
            counts.code = program.wait(std::chrono::seconds(120));
        }
        const std::string text = read(out);
        if (std::find(rest.begin(), rest.end(), "--json") != rest.end() && !text.empty()) counts.json = YAML::Load(text);
        return counts;
    }
    std::string errors() const { return read(dir_.path() / "stderr"); }
    std::filesystem::path output_file() const { return dir_.path() / "background.log"; }

private:
    std::string account(const char* name, std::uint16_t port, const DovecotFixture::User& user, const char* store) const {
        std::ostringstream text;
        text << "  " << name << ":\n    host: 127.0.0.1\n    port: " << port << "\n    tls: none\n    user: " << user.name
             << "\n    password: " << user.password << "\n    store: " << (dir_.path() / store).string()
             << "\n    timeout_seconds: 5\n";
        return text.str();
    }
    static std::string read(const std::filesystem::path& path) {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

    TempDirectory dir_;
    DovecotFixture::User source_;
};

}  // namespace mailsync::test::restore

// Helpers of the push side's Dovecot tests: a test account (a fresh Dovecot user and a store of its
// own) with push, pull and the local commands, and comparisons of the server with a model and with
// the mirror.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sync/local/local_changes.hpp"
#include "sync/push/replay.hpp"
#include "tests/integration/pull_test_support.hpp"

namespace mailsync::test::replay {

using test::DovecotFixture;

constexpr store::UnixTime now = 1'760'000'000;

using Flags = std::vector<std::string>;

inline Flags sorted(Flags flags) {
    std::sort(flags.begin(), flags.end());
    return flags;
}

// One test account: a fresh Dovecot user and a store of its own.
struct Account {
    DovecotFixture::User user = test::unique_user("replay");
    test::TempDirectory dir;
    std::optional<store::Store> store;
    std::uint16_t port = DovecotFixture::get().imap_port;

    Account() { open(); }
    void open() { store.emplace(store::Store::open(dir.path() / "store", store::Access::exclusive)); }
    void close() { store.reset(); }

    sync::ConnectionFactory factory() const {
        auto settings = test::plaintext_settings(user.name);
        settings.endpoint.port = port;
        settings.timeout = std::chrono::seconds(10);
        return [settings, user = user] { return sync::connect(settings, [user](bool) { return user.password; }); };
    }
    sync::ReplayReport push() {
        auto connection = factory()();
        auto report = sync::replay(*connection.session, *store);
        connection.session->logout();
        return report;
    }
    sync::PullReport pull() {
        sync::PullOptions options;
        options.connections = 1;
        return sync::pull(factory(), *store, options);
    }
    sync::PullReport sync_all() {
        push();
        return pull();
    }
    std::uint32_t seed(const std::string& mailbox, const std::string& tag, const Flags& flags = {}) {
        return test::seed(user.name, mailbox, test::make_message(tag), flags);
    }
    // The mirror's id of the message with this UID.
    store::MessageId id(const std::string& mailbox, std::uint32_t uid) {
        return store->read([&](const store::ReadTxn& txn) {
            const auto box = txn.mailbox_by_name(mailbox);
            REQUIRE(box);
            const auto message = txn.message_by_uid(box->id, uid);
            REQUIRE(message);
            return message->id;
        });
    }
    std::filesystem::path write_message(const std::string& tag, std::size_t padding = 0) {
        const auto path = dir.path() / (tag + ".eml");
        std::ofstream(path, std::ios::binary) << test::make_message(tag, padding);
        return path;
    }
    store::MessageId append(const std::string& mailbox, const std::string& tag, const Flags& flags = {},
                            std::size_t padding = 0) {
        sync::AppendRequest request;
        request.mailbox = mailbox;
        request.file = write_message(tag, padding);
        request.flags = flags;
        request.internaldate = 1'700'000'000;
        request.internaldate_zone_minutes = 60;
        return sync::append_message(*store, request, now).messages.front();
    }
    std::vector<store::QueueRecord> queue() {
        return store->read([](const store::ReadTxn& txn) { return sync::outstanding_changes(txn); });
    }
    std::vector<store::ConflictRecord> conflicts() {
        return store->read([](const store::ReadTxn& txn) { return txn.conflicts(); });
    }
    bool has_conflict(const std::string& rule) {
        const auto all = conflicts();
        return std::any_of(all.begin(), all.end(), [&](const auto& c) { return c.rule == rule; });
    }
};

// body SHA-256 → flags, of one server mailbox; every body at most once (nothing duplicated).
inline std::map<std::string, Flags> server_content(const Account& account, const std::string& mailbox) {
    std::map<std::string, Flags> content;
    for (const auto& [uid, message] : test::server_messages(account.user, mailbox)) {
        INFO("mailbox " << mailbox << " UID " << uid);
        CHECK(content.count(message.sha256) == 0);
        content[message.sha256] = sorted(message.flags);
    }
    return content;
}

inline std::string sha_of(const std::string& tag, std::size_t padding = 0) {
    store::Sha256 hasher;
    hasher.update(test::make_message(tag, padding));
    return hasher.finish().hex();
}

// The mirror holds exactly the server's messages, same UIDs, bodies and flags, and no leftovers
// without a UID.
inline void check_mirror_equals_server(Account& account, const std::string& mailbox) {
    INFO("mailbox " << mailbox);
    const auto server = test::server_messages(account.user, mailbox);
    const auto mirror = test::mirror_messages(*account.store, mailbox);
    REQUIRE(mirror.size() == server.size());
    for (const auto& [uid, message] : server) {
        INFO("UID " << uid);
        REQUIRE(mirror.count(uid) == 1);
        CHECK(mirror.at(uid).sha256 == message.sha256);
        CHECK(mirror.at(uid).record.flags == sorted(message.flags));
    }
    const auto unplaced = account.store->read([&](const store::ReadTxn& txn) {
        const auto box = txn.mailbox_by_name(mailbox);
        return box ? txn.messages_without_uid(box->id).size() : 0;
    });
    CHECK(unplaced == 0);
}

inline bool server_has_mailbox(const Account& account, const std::string& name) {
    auto connection = account.factory()();
    const auto selected = connection.session->select(imap::cmd::Select{name, true}, true);
    connection.session->logout();
    return selected.has_value();
}


}  // namespace mailsync::test::replay

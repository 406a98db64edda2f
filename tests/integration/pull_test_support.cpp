#include "tests/integration/pull_test_support.hpp"

#include <fstream>
#include <optional>

namespace mailsync::test {
namespace {

struct HashSink final : imap::BodySink {
    std::optional<store::Sha256> hasher;
    std::uint64_t size = 0;
    std::map<std::uint32_t, std::pair<std::string, std::uint64_t>> by_seq;
    std::uint32_t seq = 0;
    void begin(const imap::BodyContext& context) override {
        hasher.emplace();
        size = 0;
        seq = context.seq;
    }
    void write(std::string_view chunk) override {
        hasher->update(chunk);
        size += chunk.size();
    }
    void finish() override { by_seq[seq] = {hasher->finish().hex(), size}; }
};

struct FetchCollector final : imap::UntaggedHandler {
    std::vector<imap::FetchData> fetches;
    void on_untagged(const imap::Response& response) override {
        if (const auto* fetch = std::get_if<imap::FetchData>(&response)) fetches.push_back(*fetch);
    }
};

std::string file_sha256(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    store::Sha256 hasher;
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) hasher.update(std::string_view(buffer, static_cast<std::size_t>(in.gcount())));
    return hasher.finish().hex();
}

}  // namespace

std::map<std::uint32_t, ServerMessage> server_messages(const DovecotFixture::User& user, const std::string& mailbox) {
    auto connection = factory_for(user)();
    auto& session = *connection.session;
    imap::cmd::Select examine;
    examine.mailbox = mailbox;
    examine.read_only = true;
    const auto selected = session.select(examine);
    std::map<std::uint32_t, ServerMessage> result;
    if (selected->exists == 0) {
        session.logout();
        return result;
    }
    HashSink sink;
    FetchCollector collector;
    session.set_body_sink(&sink);
    session.set_handler(&collector);
    imap::cmd::UidFetch fetch;
    fetch.uids.add(1);
    fetch.to_star = true;
    fetch.items = {"UID", "FLAGS", "BODY.PEEK[]"};
    session.run_ok(fetch);
    session.set_handler(nullptr);
    session.set_body_sink(nullptr);
    session.logout();
    for (const auto& data : collector.fetches) {
        if (!data.uid) continue;
        ServerMessage message;
        message.sha256 = sink.by_seq[data.seq].first;
        message.size = sink.by_seq[data.seq].second;
        if (data.flags)
            for (const auto& flag : *data.flags)
                if (flag != "\\Recent") message.flags.push_back(flag);
        std::sort(message.flags.begin(), message.flags.end());
        result[*data.uid] = message;
    }
    return result;
}

std::map<std::uint32_t, MirrorMessage> mirror_messages(store::Store& store, const std::string& mailbox) {
    std::map<std::uint32_t, MirrorMessage> result;
    store.read([&](const store::ReadTxn& txn) {
        const auto record = txn.mailbox_by_name(mailbox);
        if (!record) return;
        txn.for_each_message(record->id, [&](const store::MessageRecord& message) {
            if (!message.uid) return;
            MirrorMessage entry{message, file_sha256(store.body_path(message.body_hash))};
            std::sort(entry.record.flags.begin(), entry.record.flags.end());
            result[*message.uid] = entry;
        });
    });
    return result;
}

std::vector<std::string> mirror_mailboxes(store::Store& store) {
    std::vector<std::string> names;
    store.read([&](const store::ReadTxn& txn) {
        for (const auto& mailbox : txn.mailboxes()) names.push_back(mailbox.name);
    });
    std::sort(names.begin(), names.end());
    return names;
}

sync::Connection second_client(const DovecotFixture::User& user, const std::string& mailbox) {
    auto connection = factory_for(user)();
    imap::cmd::Select select;
    select.mailbox = mailbox;
    connection.session->select(select);
    return connection;
}

void move_on_server(const DovecotFixture::User& user, const std::string& from, std::uint32_t uid,
                    const std::string& to) {
    auto client = second_client(user, from);
    imap::cmd::UidMove move;
    move.uids.add(uid);
    move.mailbox = to;
    client.session->run_ok(move);
    client.session->logout();
}

const sync::MailboxReport* report_of(const sync::PullReport& report, const std::string& mailbox) {
    for (const auto& entry : report.mailboxes)
        if (entry.name == mailbox) return &entry;
    return nullptr;
}

}  // namespace mailsync::test

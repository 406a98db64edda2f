// `mailsync probe`: connect with an account's settings and show what the server offers, so that a
// user can check a setup before the first sync: TLS and its certificate, capabilities, what was
// enabled, and the mailboxes with their special use and size.
#include <map>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/server.hpp"
#include "sync/imap/mutf7.hpp"
#include "sync/imap/tcp_transport.hpp"

namespace mailsync::cli {
namespace {

struct MailboxInfo {
    imap::ListData list;
    std::optional<imap::StatusData> status;
};

struct ListCollector : imap::UntaggedHandler {
    std::map<std::string, MailboxInfo> mailboxes;
    void on_untagged(const imap::Response& response) override {
        if (const auto* list = std::get_if<imap::ListData>(&response)) mailboxes[list->mailbox].list = *list;
        if (const auto* status = std::get_if<imap::StatusData>(&response)) mailboxes[status->mailbox].status = *status;
    }
};

}  // namespace

int run_probe(const Account& account, Output& output) {
    sync::Connection connection = sync::connect(server_settings(account), secret_provider(account));
    imap::Session& session = *connection.session;

    ListCollector collector;
    session.set_handler(&collector);
    imap::cmd::List list;
    list.return_special_use = session.has_capability("SPECIAL-USE");
    if (session.has_capability("LIST-STATUS")) list.return_status = {"MESSAGES", "UNSEEN"};
    session.run_ok(list);
    session.set_handler(nullptr);
    const std::vector<std::string> capabilities(session.capabilities().begin(), session.capabilities().end());
    std::vector<std::string> enabled;
    for (const char* name : {"QRESYNC", "CONDSTORE", "UTF8=ACCEPT"})
        if (session.is_enabled(name)) enabled.emplace_back(name);
    const bool tls = session.transport().is_tls();
    const std::string fingerprint = tls ? connection.tcp->peer_certificate_sha256() : std::string();
    session.logout();

    if (output.json()) {
        JsonWriter json;
        json.begin_object()
            .key("account").value(account.name)
            .key("host").value(account.endpoint.host)
            .key("port").value(unsigned{account.endpoint.port})
            .key("tls").value(tls)
            .key("certificate_sha256").value(fingerprint)
            .key("capabilities").begin_array();
        for (const auto& capability : capabilities) json.value(capability);
        json.end_array().key("enabled").begin_array();
        for (const auto& name : enabled) json.value(name);
        json.end_array().key("mailboxes").begin_array();
        for (const auto& [wire_name, info] : collector.mailboxes) {
            json.begin_object()
                .key("name").value(imap::mailbox_display_name(wire_name))
                .key("attributes").begin_array();
            for (const auto& attribute : info.list.attributes) json.value(attribute);
            json.end_array();
            if (info.status) json.key("messages").value(info.status->messages).key("unseen").value(info.status->unseen);
            json.end_object();
        }
        json.end_array().end_object();
        output.result(json.str());
        return 0;
    }

    std::string text = fmt::format("{}: {}:{} over {}\n", account.name, account.endpoint.host,
                                   account.endpoint.port, tls ? "TLS" : "plaintext");
    if (tls) text += fmt::format("certificate SHA-256: {}\n", fingerprint);
    text += fmt::format("capabilities: {}\n", fmt::join(capabilities, " "));
    text += fmt::format("enabled: {}\n", enabled.empty() ? std::string("none") : fmt::format("{}", fmt::join(enabled, " ")));
    text += fmt::format("mailboxes ({}):\n", collector.mailboxes.size());
    for (const auto& [wire_name, info] : collector.mailboxes) {
        text += fmt::format("  {}", imap::mailbox_display_name(wire_name));
        if (info.status)
            text += fmt::format("  {} messages, {} unseen", info.status->messages.value_or(0), info.status->unseen.value_or(0));
        if (!info.list.attributes.empty()) text += fmt::format("  ({})", fmt::join(info.list.attributes, " "));
        text += '\n';
    }
    output.result(text);
    return 0;
}

}  // namespace mailsync::cli

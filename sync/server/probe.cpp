#include "sync/server/probe.hpp"

#include <map>
#include <variant>

#include "sync/imap/tcp_transport.hpp"

namespace mailsync::sync {
namespace {

struct ListCollector : imap::UntaggedHandler {
    std::map<std::string, ProbedMailbox> mailboxes;   // by wire name: a STATUS may come before its LIST
    void on_untagged(const imap::Response& response) override {
        if (const auto* list = std::get_if<imap::ListData>(&response)) mailboxes[list->mailbox].attributes = list->attributes;
        if (const auto* status = std::get_if<imap::StatusData>(&response)) {
            ProbedMailbox& mailbox = mailboxes[status->mailbox];
            mailbox.has_status = true;
            mailbox.messages = status->messages;
            mailbox.unseen = status->unseen;
        }
    }
};

}  // namespace

ProbeReport probe_server(const ServerSettings& settings, const SecretProvider& secret) {
    Connection connection = connect(settings, secret);
    imap::Session& session = *connection.session;

    ListCollector collector;
    {
        const imap::ScopedHandler scope(session, collector);
        imap::cmd::List list;
        list.return_special_use = session.has_capability("SPECIAL-USE");
        if (session.has_capability("LIST-STATUS")) list.return_status = {"MESSAGES", "UNSEEN"};
        session.run_ok(list);
    }

    ProbeReport report;
    report.capabilities.assign(session.capabilities().begin(), session.capabilities().end());
    for (const char* name : {"QRESYNC", "CONDSTORE", "UTF8=ACCEPT"})
        if (session.is_enabled(name)) report.enabled.emplace_back(name);
    report.tls = session.transport().is_tls();
    if (report.tls) report.certificate_sha256 = connection.tcp->peer_certificate_sha256();
    session.logout();

    for (auto& [wire_name, mailbox] : collector.mailboxes) {
        mailbox.name = wire_name;
        report.mailboxes.push_back(std::move(mailbox));
    }
    return report;
}

}  // namespace mailsync::sync

// `mailsync probe`: connect with an account's settings and show what the server offers, so that a
// user can check a setup before the first sync: TLS and its certificate, capabilities, what was
// enabled, and the mailboxes with their special use and size. The asking is sync::probe_server();
// this file prints the answer.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/server.hpp"
#include "sync/server/mailbox_names.hpp"
#include "sync/server/probe.hpp"

namespace mailsync::cli {

int run_probe(const Account& account, Output& output) {
    const sync::ProbeReport report = sync::probe_server(server_settings(account), secret_provider(account));

    if (output.json()) {
        JsonWriter json;
        json.begin_object()
            .key("account").value(account.name)
            .key("host").value(account.endpoint.host)
            .key("port").value(unsigned{account.endpoint.port})
            .key("tls").value(report.tls)
            .key("certificate_sha256").value(report.certificate_sha256)
            .key("capabilities").begin_array();
        for (const auto& capability : report.capabilities) json.value(capability);
        json.end_array().key("enabled").begin_array();
        for (const auto& name : report.enabled) json.value(name);
        json.end_array().key("mailboxes").begin_array();
        for (const sync::ProbedMailbox& mailbox : report.mailboxes) {
            json.begin_object()
                .key("name").value(sync::mailbox_display_name(mailbox.name))
                .key("attributes").begin_array();
            for (const auto& attribute : mailbox.attributes) json.value(attribute);
            json.end_array();
            if (mailbox.has_status) json.key("messages").value(mailbox.messages).key("unseen").value(mailbox.unseen);
            json.end_object();
        }
        json.end_array().end_object();
        output.result(json.str());
        return 0;
    }

    std::string text = fmt::format("{}: {}:{} over {}\n", account.name, account.endpoint.host,
                                   account.endpoint.port, report.tls ? "TLS" : "plaintext");
    if (report.tls) text += fmt::format("certificate SHA-256: {}\n", report.certificate_sha256);
    text += fmt::format("capabilities: {}\n", fmt::join(report.capabilities, " "));
    text += fmt::format("enabled: {}\n",
                        report.enabled.empty() ? std::string("none") : fmt::format("{}", fmt::join(report.enabled, " ")));
    text += fmt::format("mailboxes ({}):\n", report.mailboxes.size());
    for (const sync::ProbedMailbox& mailbox : report.mailboxes) {
        text += fmt::format("  {}", sync::mailbox_display_name(mailbox.name));
        if (mailbox.has_status)
            text += fmt::format("  {} messages, {} unseen", mailbox.messages.value_or(0), mailbox.unseen.value_or(0));
        if (!mailbox.attributes.empty()) text += fmt::format("  ({})", fmt::join(mailbox.attributes, " "));
        text += '\n';
    }
    output.result(text);
    return 0;
}

}  // namespace mailsync::cli

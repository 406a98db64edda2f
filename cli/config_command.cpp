// `mailsync config`: loading the configuration already validated it; this shows the result, so
// that a user (or the examples' test script) can see what mailsync understood. Secrets, and the
// commands that produce them, are left out: only where each secret comes from is shown.
#include <fmt/core.h>
#include <fmt/format.h>

#include "cli/commands.hpp"

namespace mailsync::cli {

namespace {

std::string_view password_source_name(const PasswordSource& source) {
    switch (source.index()) {
        case 0: return "none";
        case 1: return "inline";
        case 2: return "command";
        case 3: return "file";
    }
    return "?";
}

}  // namespace

int run_config(const CommandContext& context, const ConfigArguments&) {
    if (context.output.json()) {
        JsonWriter json;
        json.begin_object().key("path").value(context.config.path).key("accounts").begin_array();
        for (const Account* account : context.accounts) {
            json.begin_object()
                .key("name").value(account->name)
                .key("host").value(account->endpoint.host)
                .key("port").value(unsigned{account->endpoint.port})
                .key("tls").value(to_string(account->endpoint.tls))
                .key("user").value(account->user)
                .key("auth").value(to_string(account->auth))
                .key("password_source").value(password_source_name(account->password))
                .key("store").value(account->store.string())
                .key("mailboxes").begin_array();
            for (const std::string& pattern : account->mailboxes) json.value(pattern);
            json.end_array()
                .key("mode").value(to_string(account->mode))
                .key("connections").value(account->connections)
                .key("timeout_seconds").value(static_cast<std::int64_t>(account->timeout.count()))
                .key("compress").value(to_string(account->compress))
                .key("watch_full_pull_minutes").value(static_cast<std::int64_t>(account->watch_full_pull.count()))
                .key("watch_max_backoff").value(static_cast<std::int64_t>(account->watch_max_backoff.count()))
                .key("maildir");
            if (account->maildir) json.value(account->maildir->string());
            else json.null();
            json.key("maildir_layout").value(sync::to_string(account->maildir_layout));
            json.key("bodies").value(account->body_rule.fingerprint()).end_object();
        }
        json.end_array().end_object();
        context.output.result(json.str());
        return 0;
    }
    std::string text = fmt::format("{}: valid\n", context.config.path);
    for (const Account* account : context.accounts) {
        text += fmt::format("{}: {} at {}:{} (tls {}), auth {}, password: {}, store {}, mailboxes {}, mode {}\n",
                            account->name, account->user, account->endpoint.host, account->endpoint.port,
                            to_string(account->endpoint.tls), to_string(account->auth),
                            password_source_name(account->password), account->store.string(),
                            fmt::join(account->mailboxes, " "), to_string(account->mode));
        if (!account->body_rule.downloads_everything())
            text += fmt::format("{}: bodies: {} (the others are mirrored as headers only)\n", account->name,
                                account->body_rule.fingerprint());
        if (account->maildir)
            text += fmt::format("{}: Maildir view {} ({})\n", account->name, account->maildir->string(), sync::to_string(account->maildir_layout));
    }
    context.output.result(text);
    return 0;
}

}  // namespace mailsync::cli

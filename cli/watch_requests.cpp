#include "cli/watch_requests.hpp"

#include <array>
#include <charconv>

#include <fmt/format.h>

#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/sync_support.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::cli {
namespace {

constexpr std::array<std::pair<ErrorCategory, std::string_view>, 10> category_names{{
    {ErrorCategory::usage, "usage"},
    {ErrorCategory::bad_input, "bad_input"},
    {ErrorCategory::unavailable, "unavailable"},
    {ErrorCategory::cannot_create, "cannot_create"},
    {ErrorCategory::io, "io"},
    {ErrorCategory::protocol, "protocol"},
    {ErrorCategory::auth, "auth"},
    {ErrorCategory::config, "config"},
    {ErrorCategory::busy, "busy"},
    {ErrorCategory::internal, "internal"},
}};

// A line of the reply holds no line break: one in a server's text becomes a space.
std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

}  // namespace

std::string encode_watch_reply(const Account& account, const sync::RequestedSync& outcome) {
    if (outcome.error) {
        std::string_view name = "internal";
        for (const auto& [category, text] : category_names)
            if (category == outcome.error->category()) name = text;
        return fmt::format("exit {}\nerror {} {}\n", exit_code_for(outcome.error->category()), name,
                           one_line(outcome.error->what()));
    }
    std::string lines;
    int code = exit_code::ok;
    std::optional<sync::ReplayReport> pushed;
    if (outcome.replay) {
        pushed = *outcome.replay;
        lines += "note " + one_line(push_line(account, *outcome.replay)) + "\n";
        for (const auto& failure : outcome.replay->failures) lines += "warning " + one_line(account.name + ": " + failure) + "\n";
        if (outcome.replay->failed > 0) code = exit_code::protocol;
    }
    const sync::PullReport empty;
    const sync::PullReport& pulled = outcome.pull ? *outcome.pull : empty;
    lines += "note " + one_line(summary_line(account, pulled, outcome.seconds)) + "\n";
    for (const auto& mailbox : pulled.mailboxes) {
        if (!mailbox.error) continue;
        lines += "warning " +
                 one_line(fmt::format("{}: {}: not synced: {}", account.name, sync::mailbox_display_name(mailbox.name),
                                      *mailbox.error)) +
                 "\n";
        code = exit_code::protocol;
    }
    JsonWriter json;
    write_json_report(json, account, pulled, outcome.seconds, pushed, std::nullopt, ViewScanOutcome{}, std::nullopt, std::nullopt);
    lines += "json " + one_line(json.str()) + "\n";
    return fmt::format("exit {}\n{}", code, lines);
}

WatchReply decode_watch_reply(std::string_view reply) {
    const auto broken = [&] {
        return Error(ErrorCategory::protocol, "the running `mailsync watch` sent a reply this mailsync cannot read");
    };
    WatchReply decoded;
    bool has_code = false;
    while (!reply.empty()) {
        const auto end = reply.find('\n');
        const std::string_view line = reply.substr(0, end);
        reply.remove_prefix(end == std::string_view::npos ? reply.size() : end + 1);
        const auto space = line.find(' ');
        const std::string_view kind = line.substr(0, space);
        const std::string_view rest = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
        if (kind == "exit") {
            const auto [end_of_number, failure] = std::from_chars(rest.data(), rest.data() + rest.size(), decoded.code);
            if (failure != std::errc() || end_of_number != rest.data() + rest.size()) throw broken();
            has_code = true;
        } else if (kind == "error") {
            const auto gap = rest.find(' ');
            const std::string_view name = rest.substr(0, gap);
            const std::string text(gap == std::string_view::npos ? std::string_view() : rest.substr(gap + 1));
            ErrorCategory category = ErrorCategory::internal;
            for (const auto& [known, known_name] : category_names)
                if (known_name == name) category = known;
            decoded.error.emplace(category, text);
        } else if (kind == "note") {
            decoded.notes.emplace_back(rest);
        } else if (kind == "warning") {
            decoded.warnings.emplace_back(rest);
        } else if (kind == "json") {
            decoded.json = std::string(rest);
        }
        // Other kinds: a newer watch's additions, left for it to explain.
    }
    if (!has_code) throw broken();
    return decoded;
}

}  // namespace mailsync::cli

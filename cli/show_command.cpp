// `show MAILBOX ID`: the message from the mirror — for a person (headers, text, the other parts),
// as JSON (--json), its exact bytes (--raw), or one MIME part decoded (--part N [-o FILE]).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/message_view.hpp"
#include "cli/partial_bodies.hpp"
#include "cli/search_index.hpp"
#include "cli/view_support.hpp"
#include "common/error.hpp"
#include "store/store.hpp"
#include "sync/mime/message.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::cli {
namespace {

void write_raw(std::ifstream& body, std::ostream& out) {
    char buffer[64 * 1024];
    while (body.read(buffer, sizeof buffer) || body.gcount() > 0) {
        out.write(buffer, body.gcount());
        if (!out) throw Error(ErrorCategory::io, "cannot write the message to standard output");
    }
    out.flush();
    if (!out) throw Error(ErrorCategory::io, "cannot write the message to standard output");
}

std::string sections_text(const mime::Message& message) {
    std::string text;
    for (const auto& part : message.parts()) text += (text.empty() ? "" : ", ") + part.section;
    return text.empty() ? "none" : text;
}

// The part into FILE: created, or with `force` replaced; an existing file is refused (exit 73)
// so that an attachment never overwrites something by accident. A failed write removes the file.
void write_part_to_file(const mime::Message& message, const std::string& section, const std::filesystem::path& file,
                        bool force) {
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
    const int fd = ::open(file.c_str(), flags, 0666);
    if (fd < 0) {
        if (errno == EEXIST)
            throw Error(ErrorCategory::cannot_create, fmt::format("{} exists; --force replaces it", file.string()));
        throw Error(ErrorCategory::cannot_create, fmt::format("cannot create {}: {}", file.string(), std::strerror(errno)));
    }
    try {
        message.write_part(section, [&](std::string_view chunk) {
            while (!chunk.empty()) {
                const ssize_t written = ::write(fd, chunk.data(), chunk.size());
                if (written < 0 && errno == EINTR) continue;
                if (written <= 0) throw Error(ErrorCategory::io, fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
                chunk.remove_prefix(static_cast<std::size_t>(written));
            }
        });
        if (::close(fd) != 0) throw Error(ErrorCategory::io, fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
    } catch (...) {
        ::close(fd);
        ::unlink(file.c_str());
        throw;
    }
}

void check_body_file(store::Store& store, const store::MessageRecord& message) {
    // Hashed before a byte is shown: a damaged body must not pass for the message (verify finds it
    // too, but nobody runs verify before reading their mail).
    if (store.check_body(message.body_hash) != store::BodyCheck::ok) {
        throw Error(ErrorCategory::io,
                    fmt::format("the body file of message {} is damaged or missing ({}): `mailsync verify` lists "
                                "every such file; restore the store from a backup or sync it into a fresh store",
                                message.id, store.body_path(message.body_hash).string()));
    }
}

void show_headers_only(const CommandContext& context, store::Store& store, const store::MessageRecord& message,
                       const std::string& mailbox_name) {
    check_body_file(store, message);
    const auto parsed = mime::Message::open_headers_only(store.body_path(message.body_hash), message.structure);
    context.output.result(context.output.json() ? message_json(parsed, message.id, mailbox_name) : message_text(parsed));
}

}  // namespace

int run_show(const CommandContext& context, const ShowArguments& arguments) {
    const Account& account = the_account(context);
    auto store = open_synced(account, arguments.mailbox);
    std::string mailbox_name;
    auto message = store.read([&](const store::ReadTxn& txn) {
        const auto mailbox = find_mailbox(txn, account, arguments.mailbox);
        mailbox_name = sync::mailbox_display_name(mailbox.name);
        auto record = txn.message(arguments.id);
        if (!record || record->mailbox != mailbox.id)
            throw Error(ErrorCategory::bad_input, fmt::format("there is no message {} in mailbox \"{}\"", arguments.id, mailbox_name));
        return *record;
    });
    // Headers first: the body is fetched now, stored as any download (hashed into its file), and
    // the message is complete from then on. Offline: exit 75 saying how to get it.
    if (message.partial) {
        try {
            message = fetch_body_on_demand(account, store, message);
        } catch (const Error& error) {
            // Offline: what the mirror has (the headers, the parts the server described), then
            // the error saying how to get the body. --raw and --part need the body itself.
            if (error.category() == ErrorCategory::unavailable && !arguments.raw && !arguments.part)
                show_headers_only(context, store, message, mailbox_name);
            throw;
        }
        update_search_index(account, store, context.output);
    }
    check_body_file(store, message);
    if (arguments.raw) {
        std::ifstream body = store.open_body(message.body_hash);
        write_raw(body, context.output.out());
        return 0;
    }
    const auto parsed = mime::Message::open(store.body_path(message.body_hash));
    if (!arguments.part) {
        context.output.result(context.output.json() ? message_json(parsed, arguments.id, mailbox_name) : message_text(parsed));
        return 0;
    }
    const std::string& section = *arguments.part;
    if (!parsed.part(section))
        throw Error(ErrorCategory::bad_input, fmt::format("message {} has no part {} (its parts: {})", arguments.id,
                                                          section, sections_text(parsed)));
    if (arguments.output) {
        write_part_to_file(parsed, section, *arguments.output, arguments.force);
        return 0;
    }
    std::ostream& out = context.output.out();
    parsed.write_part(section, [&](std::string_view chunk) {
        out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        if (!out) throw Error(ErrorCategory::io, "cannot write the part to standard output");
    });
    out.flush();
    if (!out) throw Error(ErrorCategory::io, "cannot write the part to standard output");
    return 0;
}

}  // namespace mailsync::cli

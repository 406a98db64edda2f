// export, verify: for backup pipelines.
//
// export  writes each selected account's mirror to DIR (several accounts: DIR/<account>), see
//         sync/export/export.hpp for the formats. The store is opened shared: a sync may run beside it.
//         Exit 0; 73 when DIR or a file in it cannot be created; 65 for an unknown mailbox; 74 when a
//         message was left out because its body file is damaged or missing (every other message
//         is exported; each left out is named on stderr, and the next sync fetches it again). A
//         mailbox name too long for a file is exported under a shortened name, said on stderr. A
//         message mirrored as headers only (headers first) is not exported: one line on stderr
//         per mailbox says how many and how to get their bodies (`sync --bodies`); a later export
//         writes them. That is no failure (exit 0): the account's rule chose it.
// verify  opens the store exclusively (a sync running beside it would be racing it: exit 75),
//         re-hashes every body and checks every invariant. Exit 0 when sound, 65 (EX_DATAERR: the
//         data is wrong, the program and the disk worked) when anything is wrong, each problem on
//         its own line; 74 when the store cannot be read at all. The bodies found damaged or
//         missing are listed in the store for the next sync to fetch again; `--repair` connects
//         and fetches them at once (sync/pull/body_repair.hpp), one line per message saying what
//         became of it; the exit code is then about what is still wrong (0 when all was repaired;
//         a server that cannot be reached: 75 or 69, as for sync).
#include <sys/stat.h>

#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/maildir_view.hpp"
#include "cli/view_support.hpp"
#include "common/error.hpp"
#include "store/store.hpp"
#include "cli/server.hpp"
#include "sync/export/export.hpp"
#include "sync/pull/body_repair.hpp"

namespace mailsync::cli {

int run_export(const CommandContext& context, const ExportArguments& arguments) {
    Output& output = context.output;
    const bool per_account = context.accounts.size() > 1;
    JsonWriter json;
    std::uint64_t damaged = 0;
    json.begin_object().key("format").value(arguments.format == ExportFormat::mbox ? "mbox" : "maildir").key("accounts").begin_array();
    for (const Account* account : context.accounts) {
        store::Store store = open_existing_store(*account, store::Access::shared);
        sync::ExportOptions options;
        options.format = arguments.format == ExportFormat::mbox ? sync::ExportFormat::mbox : sync::ExportFormat::maildir;
        options.destination = per_account ? arguments.directory / account->name : arguments.directory;
        options.mailboxes = arguments.mailboxes;
        options.tag = account->name;
        const sync::ExportReport report = sync::export_mail(store, options);

        json.begin_object()
            .key("account").value(account->name)
            .key("destination").value(options.destination.string())
            .key("written").value(report.written())
            .key("renamed").value(report.renamed())
            .key("mailboxes").begin_array();
        for (const auto& mailbox : report.mailboxes) {
            json.begin_object()
                .key("name").value(mailbox.mailbox)
                .key("path").value(mailbox.path.string())
                .key("written").value(mailbox.written)
                .key("renamed").value(mailbox.renamed)
                .key("bytes").value(mailbox.bytes)
                .key("shortened").value(mailbox.shortened)
                .key("damaged").begin_array();
            for (const sync::DamagedBody& body : mailbox.damaged) json.value(body.id);
            json.end_array().key("headers_only").begin_array();
            for (const store::MessageId id : mailbox.headers_only) json.value(id);
            json.end_array().end_object();
            if (!mailbox.headers_only.empty()) {
                output.warning(fmt::format("{}: {}: {} message(s) mirrored as headers only were not exported; "
                                           "`mailsync -a {} sync --bodies` downloads their bodies, and a later export writes them",
                                           account->name, mailbox.mailbox, mailbox.headers_only.size(), account->name));
            }
            if (mailbox.shortened) {
                output.warning(fmt::format("{}: the mailbox name '{}' is too long for a file: exported as {} ({} in {} maps it back)",
                                           account->name, mailbox.mailbox, mailbox.path.filename().string(),
                                           sync::long_names_index, options.destination.string()));
            }
            for (const sync::DamagedBody& body : mailbox.damaged) {
                output.warning(fmt::format("{}: {}: message {}{} was not exported: its body file {} is {}; the next sync fetches "
                                           "it again from the server (or `mailsync verify --repair`), and a later export writes it",
                                           account->name, mailbox.mailbox, body.id,
                                           body.uid ? fmt::format(" (UID {})", *body.uid) : std::string(), body.file.string(),
                                           body.missing ? "missing" : "damaged (not the bytes its SHA-256 names)"));
            }
            damaged += mailbox.damaged.size();
            if (mailbox.written > 0 || mailbox.renamed > 0) {
                output.detail(fmt::format("{}: {}: {} written, {} renamed for changed flags -> {}", account->name,
                                          mailbox.mailbox, mailbox.written, mailbox.renamed, mailbox.path.string()));
            }
        }
        json.end_array().end_object();
        output.note(fmt::format("{}: exported {} new message(s) from {} mailbox(es) to {}{}", account->name,
                                report.written(), report.mailboxes.size(), options.destination.string(),
                                report.renamed() > 0 ? fmt::format(" ({} renamed for changed flags)", report.renamed()) : ""));
    }
    json.end_array().key("damaged").value(damaged).end_object();
    if (output.json()) output.result(json.str());
    if (damaged > 0) {
        output.warning(fmt::format("export left out {} message(s) whose body file is damaged or missing", damaged));
        return exit_code::io;
    }
    return exit_code::ok;
}

namespace {

// verify --repair: fetches the store's damaged bodies again, says per message what became of it,
// and takes the problems about the bodies repaired off the list.
void repair(const Account& account, store::Store& store, std::vector<std::string>& problems, JsonWriter& json, Output& output) {
    json.key("repairs").begin_array();
    if (store.read([](const store::ReadTxn& txn) { return txn.damaged_bodies(); }).empty()) {
        json.end_array();
        return;
    }
    sync::Connection connection = sync::connect(server_settings(account), secret_provider(account, &store));
    const std::vector<sync::BodyRepair> repairs = sync::repair_bodies(*connection.session, store);
    connection.session->logout();
    for (const sync::BodyRepair& repair : repairs) {
        const bool sound = repair.result == sync::RepairResult::repaired || repair.result == sync::RepairResult::already_sound;
        json.begin_object().key("message").value(repair.message).key("mailbox").value(repair.mailbox).key("uid").value(repair.uid)
            .key("repaired").value(sound).key("kept_by_backup").value(repair.kept_by_backup)
            .key("text").value(sync::describe(repair)).end_object();
        if (!output.json()) {
            if (sound) output.result(fmt::format("{}: {}", account.name, sync::describe(repair)));
            else output.warning(fmt::format("{}: {}", account.name, sync::describe(repair)));
        }
        if (sound) {
            std::erase_if(problems, [&](const std::string& problem) { return problem.find(repair.body) != std::string::npos; });
        }
    }
    json.end_array();
}

}  // namespace

int run_verify(const CommandContext& context, const VerifyArguments& arguments) {
    Output& output = context.output;
    bool all_sound = true;
    JsonWriter json;
    json.begin_object().key("accounts").begin_array();
    std::vector<std::string> all_problems;
    for (const Account* account : context.accounts) {
        store::Store store = open_existing_store(*account, store::Access::exclusive);
        std::vector<std::string> problems = store.verify(true);
        json.begin_object();
        if (arguments.repair) repair(*account, store, problems, json, output);
        const sync::ViewCheck view = verify_view(*account, store);
        problems.insert(problems.end(), view.damage.begin(), view.damage.end());
        if (!view.out_of_date.empty() && !output.json())
            output.note(fmt::format("{}: the Maildir view differs from the mirror in {} place(s) that the next sync brings "
                                    "up to date (first: {})", account->name, view.out_of_date.size(), view.out_of_date.front()));
        all_sound = all_sound && problems.empty();
        json.key("account").value(account->name)
            .key("store").value(account->store.string())
            .key("ok").value(problems.empty())
            .key("maildir_out_of_date").value(static_cast<std::uint64_t>(view.out_of_date.size()))
            .key("problems").begin_array();
        for (const std::string& problem : problems) {
            json.value(problem);
            all_problems.push_back(fmt::format("{}: {}", account->name, problem));
        }
        json.end_array().end_object();
        if (!output.json()) {
            for (const std::string& problem : problems) output.result(fmt::format("{}: {}", account->name, problem));
            if (problems.empty()) output.note(fmt::format("{}: the store in {} is sound", account->name, account->store.string()));
        }
    }
    json.end_array().key("ok").value(all_sound).key("problems").begin_array();
    for (const std::string& problem : all_problems) json.value(problem);
    json.end_array().end_object();
    if (output.json()) output.result(json.str());
    if (!all_sound && !output.json()) {
        output.warning(fmt::format("verify found {} problem(s)", all_problems.size()));
    }
    return all_sound ? exit_code::ok : exit_code::bad_input;
}

}  // namespace mailsync::cli

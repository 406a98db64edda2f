#include "sync/restore/restore.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "common/ascii.hpp"
#include "common/error.hpp"
#include "sync/local/local_changes.hpp"
#include "sync/pull/message_identity.hpp"
#include "sync/push/push_server.hpp"
#include "sync/restore/restore_journal.hpp"
#include "sync/restore/restore_plan.hpp"
#include "sync/server/mailbox_names.hpp"

namespace mailsync::sync {
namespace {

using store::MailboxRecord;
using store::MessageRecord;

bool has_attribute(const MailboxRecord& mailbox, std::string_view attribute) {
    return std::any_of(mailbox.attributes.begin(), mailbox.attributes.end(),
                       [&](const std::string& held) { return ascii::iequals(held, attribute); });
}

// The mailboxes to restore, parents before children (a parent's name is a prefix of its children's).
std::vector<MailboxRecord> selected_mailboxes(const store::ReadTxn& txn, const RestoreOptions& options) {
    std::vector<MailboxRecord> selected;
    if (options.mailboxes.empty()) {
        for (MailboxRecord& mailbox : txn.mailboxes()) {
            if (has_attribute(mailbox, "\\Noselect") || has_attribute(mailbox, "\\NonExistent")) continue;
            if (mailbox.deleted_on_server && !options.include_deleted) continue;
            if (mailbox.created_offline && !options.include_unsynced) continue;
            selected.push_back(std::move(mailbox));
        }
    } else {
        for (const std::string& name : options.mailboxes) {
            auto mailbox = find_mailbox(txn, name);
            if (!mailbox) throw Error(ErrorCategory::bad_input, fmt::format("there is no mailbox \"{}\" in the mirror", name));
            if (mailbox->deleted_on_server && !options.include_deleted)
                throw Error(ErrorCategory::bad_input,
                            fmt::format("the server deleted the mailbox {} (the mirror kept it, backup mode): add --deleted to "
                                        "restore it", quoted_display_name(mailbox->name)));
            if (std::none_of(selected.begin(), selected.end(), [&](const auto& s) { return s.id == mailbox->id; }))
                selected.push_back(std::move(*mailbox));
        }
    }
    std::sort(selected.begin(), selected.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return selected;
}

// Selected by the options; a message mirrored as headers only is counted apart (headers_only_in),
// never uploaded: its stored file is not the message.
bool selected(const MessageRecord& message, const RestoreOptions& options) {
    if (message.deleted_on_server && !options.include_deleted) return false;
    return message.uid || options.include_unsynced;
}

bool restorable(const MessageRecord& message, const RestoreOptions& options) {
    return selected(message, options) && !message.partial;
}

std::uint64_t headers_only_in(store::Store& source, const MailboxRecord& mailbox, const RestoreOptions& options) {
    std::uint64_t count = 0;
    source.read([&](const store::ReadTxn& txn) {
        txn.for_each_message(mailbox.id, [&](const MessageRecord& message) { count += selected(message, options) && message.partial; });
    });
    return count;
}

// The mailbox's messages to restore (UID order, then those made offline), each with its journal entry.
std::vector<SourceMessage> source_messages(store::Store& source, const MailboxRecord& mailbox, const RestoreOptions& options,
                                           const RestoreJournal& journal, const std::string& target) {
    std::vector<SourceMessage> messages;
    source.read([&](const store::ReadTxn& txn) {
        txn.for_each_message(mailbox.id, [&](const MessageRecord& message) {
            if (restorable(message, options)) messages.push_back(SourceMessage{message.id, message.size, journal.find(target, message.id)});
        });
    });
    return messages;
}

// The header sections of the sources a header check may settle, read from their body files.
std::map<std::size_t, std::optional<HeaderDigest>> source_headers(store::Store& source, const std::vector<SourceMessage>& sources,
                                                                  const std::vector<std::size_t>& which) {
    std::map<std::size_t, std::optional<HeaderDigest>> headers;
    for (const std::size_t i : which) {
        const auto message = source.read([&](const store::ReadTxn& txn) { return txn.message(sources[i].id); });
        if (!message || !source.has_body(message->body_hash)) continue;
        auto stream = source.open_body(message->body_hash);
        headers[i] = header_of(stream);
    }
    return headers;
}

// One run of restore over one connection: the server, the journal, the counts shown as progress.
class Restorer {
public:
    Restorer(imap::Session& session, store::Store& source, const RestoreOptions& options, PullProgress* progress,
             PullCounts totals)
        : server_(session),
          source_(source),
          options_(options),
          journal_(RestoreJournal::open(options.journal_directory.empty() ? source.directory() / "restore" : options.journal_directory,
                                        options.target_identity, !options.dry_run)),
          progress_(progress),
          counts_(totals) {}

    void run(const MailboxRecord& mailbox, RestoreMailboxReport& report) {
        report.name = mailbox.name;
        shown_ = mailbox_display_name(mailbox.name);
        report.headers_only = headers_only_in(source_, mailbox, options_);
        std::vector<SourceMessage> sources;
        try {
            if (!delimiter_) delimiter_ = server_.hierarchy_delimiter();
            const auto name = target_mailbox_name(mailbox.name, mailbox.delimiter, *delimiter_);
            if (!name) throw Refused{fmt::format("its name cannot be written on the target, whose hierarchy delimiter is {}",
                                                 *delimiter_ ? fmt::format("'{}'", **delimiter_) : std::string("none"))};
            report.target = *name;
            sources = source_messages(source_, mailbox, options_, journal_, *name);
            if (!server_.mailbox_exists(*name)) {
                report.created = true;
                if (options_.dry_run) {
                    for (const SourceMessage& message : sources) uploaded(report, message.size);
                    return;
                }
                create(mailbox, *name);
            }
            restore_into(*name, sources, report);
        } catch (const Refused& refused) {
            report.failures.push_back(RestoreFailure{0, fmt::format("the mailbox {} was not restored: {}",
                                                                    quoted_display_name(mailbox.name), refused.why), true});
            if (sources.empty()) sources = source_messages(source_, mailbox, options_, journal_, report.target);
            for (const SourceMessage& message : sources) take_off_totals(message.size);
        }
        if (!options_.dry_run) journal_.flush();
        server_.leave();
    }

private:
    void create(const MailboxRecord& mailbox, const std::string& name) {
        std::optional<std::string> special_use;
        if (!mailbox.special_use.empty() && server_.has("CREATE-SPECIAL-USE")) special_use = mailbox.special_use;
        imap::StatusResponse response = server_.run_create(name, special_use);
        // A special use the target will not take (another mailbox has it) is no reason to lose the mail.
        if (response.status != imap::Status::ok && special_use) response = server_.run_create(name, std::nullopt);
        if (response.status != imap::Status::ok && !server_.mailbox_exists(name))
            throw refused_by("CREATE " + quoted_display_name(name), response);
        if (mailbox.subscribed) server_.subscribe(name);
    }

    void restore_into(const std::string& name, const std::vector<SourceMessage>& sources, RestoreMailboxReport& report) {
        if (!server_.select(name)) throw Refused{"the target would not select it"};
        TargetMailbox target;
        target.uidvalidity = server_.uidvalidity();
        if (const auto sizes = server_.fetch_sizes(all_uids())) target.sizes = *sizes;
        else throw Refused{"the target would not say what it holds (UID FETCH RFC822.SIZE)"};
        MatchPlan plan = plan_matches(sources, target);
        if (!plan.targets_to_check.empty()) {
            const auto target_headers = server_.header_digests(imap::SequenceSet::from_values(plan.targets_to_check));
            match_headers(plan, sources, target, source_headers(source_, sources, plan.sources_to_check), target_headers);
        }
        for (std::size_t i = 0; i < sources.size(); ++i) {
            switch (plan.matches[i].verdict) {
                case Verdict::upload: upload(name, target.uidvalidity, sources[i], report); continue;
                case Verdict::restored_before: ++report.restored_before; break;
                case Verdict::recovered: ++report.recovered; break;
                case Verdict::already_there: ++report.already_there; break;
            }
            if (!options_.dry_run && !(sources[i].journal && sources[i].journal->placed &&
                                       sources[i].journal->uid == plan.matches[i].uid))
                journal_.placed(name, sources[i].id, target.uidvalidity, plan.matches[i].uid);
            take_off_totals(sources[i].size);
        }
    }

    void upload(const std::string& name, std::uint32_t uidvalidity, const SourceMessage& source, RestoreMailboxReport& report) {
        if (options_.dry_run) return uploaded(report, source.size);
        const auto message = source_.read([&](const store::ReadTxn& txn) { return txn.message(source.id); });
        if (!message) return take_off_totals(source.size);   // removed from the mirror meanwhile
        if (const auto check = source_.check_body(message->body_hash); check != store::BodyCheck::ok) {
            const bool missing = check == store::BodyCheck::missing;
            report.failures.push_back(RestoreFailure{
                source.id, fmt::format("message {} was not uploaded: its body file {} is {}; the next sync fetches it again "
                                       "(or `mailsync verify --repair`)", source.id, source_.body_path(message->body_hash).string(),
                                       missing ? "missing" : "damaged (not the bytes its SHA-256 names)"), false});
            source_.write([&](store::WriteTxn& txn) { txn.mark_body_damaged(message->body_hash); });
            return take_off_totals(source.size);
        }
        Upload up;
        up.mailbox = name;
        up.flags = message->flags;
        up.internaldate = message->internaldate;
        up.zone_minutes = message->internaldate_zone_minutes;
        up.path = source_.body_path(message->body_hash).string();
        // Journaled before it is sent: a run cut before the answer knows to look for it on the target.
        journal_.sending(name, source.id, uidvalidity);
        std::optional<Refused> refused;
        AppendResult answer = server_.append(up);
        try {
            if (answer.needs_mailbox()) {   // deleted on the target meanwhile: made again, once
                server_.create(name);
                answer = server_.append(up);
            }
            if (answer.response.status != imap::Status::ok)
                refused = refused_by("APPEND to " + quoted_display_name(name), answer.response);
        } catch (const Refused& create_refused) {
            refused = create_refused;
        }
        if (refused) {
            report.failures.push_back(
                RestoreFailure{source.id, fmt::format("message {} was not uploaded because {}", source.id, refused->why), true});
            return take_off_totals(source.size);
        }
        // APPENDUID is taken only from a server that advertises UIDPLUS (RFC 4315): without it the
        // next run finds the message by size and header, as on any server without UIDPLUS.
        const bool placed_known = answer.uid && server_.has("UIDPLUS");
        journal_.placed(name, source.id, placed_known ? answer.uidvalidity : uidvalidity, placed_known ? *answer.uid : 0);
        uploaded(report, source.size);
    }

    static imap::SequenceSet all_uids() {
        imap::SequenceSet all;
        all.add(imap::Range{1, 0xffffffffu});
        return all;
    }

    void uploaded(RestoreMailboxReport& report, std::uint64_t size) {
        ++report.uploaded;
        report.bytes += size;
        ++counts_.messages_done;
        counts_.bytes_done += size;
        tell();
    }

    // What will not be uploaded is no work left: the bar counts the uploads.
    void take_off_totals(std::uint64_t size) {
        if (counts_.messages_total > 0) --counts_.messages_total;
        counts_.bytes_total -= std::min(counts_.bytes_total, size);
        tell();
    }

    void tell() {
        if (progress_) progress_->on_progress(counts_, shown_);
    }

    PushServer server_;
    store::Store& source_;
    const RestoreOptions& options_;
    RestoreJournal journal_;
    PullProgress* progress_;
    PullCounts counts_;
    std::optional<std::optional<char>> delimiter_;   // asked once, at the first mailbox
    std::string shown_;
};

}  // namespace

std::uint64_t RestoreReport::uploaded() const {
    std::uint64_t total = 0;
    for (const auto& mailbox : mailboxes) total += mailbox.uploaded;
    return total;
}
std::uint64_t RestoreReport::bytes() const {
    std::uint64_t total = 0;
    for (const auto& mailbox : mailboxes) total += mailbox.bytes;
    return total;
}
std::uint64_t RestoreReport::skipped() const {
    std::uint64_t total = 0;
    for (const auto& mailbox : mailboxes) total += mailbox.skipped();
    return total;
}
std::uint64_t RestoreReport::failed() const {
    std::uint64_t total = 0;
    for (const auto& mailbox : mailboxes) total += mailbox.failures.size();
    return total;
}
bool RestoreReport::any_refused_by_server() const {
    for (const auto& mailbox : mailboxes)
        for (const auto& failure : mailbox.failures)
            if (failure.refused_by_server) return true;
    return false;
}

PullCounts restore_totals(store::Store& source, const RestoreOptions& options) {
    PullCounts counts;
    source.read([&](const store::ReadTxn& txn) {
        for (const MailboxRecord& mailbox : selected_mailboxes(txn, options)) {
            txn.for_each_message(mailbox.id, [&](const MessageRecord& message) {
                if (!restorable(message, options)) return;
                ++counts.messages_total;
                counts.bytes_total += message.size;
            });
        }
    });
    return counts;
}

RestoreReport restore(imap::Session& session, store::Store& source, const RestoreOptions& options, PullProgress* progress) {
    const std::vector<MailboxRecord> mailboxes =
        source.read([&](const store::ReadTxn& txn) { return selected_mailboxes(txn, options); });
    Restorer restorer(session, source, options, progress, restore_totals(source, options));
    RestoreReport report;
    for (const MailboxRecord& mailbox : mailboxes) restorer.run(mailbox, report.mailboxes.emplace_back());
    return report;
}

}  // namespace mailsync::sync

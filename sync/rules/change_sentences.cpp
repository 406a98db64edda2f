#include "sync/rules/change_sentences.hpp"

#include <fmt/format.h>

#include "sync/server/mailbox_names.hpp"

namespace mailsync::sync {
namespace {

using store::QueueKind;

std::string flag_change_words(const store::QueueRecord& record) {
    std::string words;
    for (const auto& flag : record.add_flags) words += (words.empty() ? "+" : " +") + flag;
    for (const auto& flag : record.remove_flags) words += (words.empty() ? "-" : " -") + flag;
    return words;
}

}  // namespace

std::string describe_change(const store::QueueRecord& record) {
    const std::string uid = record.uid ? fmt::format(" (UID {})", *record.uid) : std::string();
    switch (record.kind) {
        case QueueKind::flags:
            return fmt::format("flag change {} on message {}{} in {}", flag_change_words(record), record.message, uid,
                               quoted_display_name(record.name));
        case QueueKind::move:
            return fmt::format("move of message {}{} from {} to {}", record.message, uid, quoted_display_name(record.name),
                               quoted_display_name(record.new_name));
        case QueueKind::copy:
            return fmt::format("copy of message {}{} from {} to {}", record.message, uid, quoted_display_name(record.name),
                               quoted_display_name(record.new_name));
        case QueueKind::remove:
            return fmt::format("deletion of message {}{} in {}", record.message, uid, quoted_display_name(record.name));
        case QueueKind::append:
            return fmt::format("append of message {} to {}", record.message, quoted_display_name(record.name));
        case QueueKind::create_mailbox: return fmt::format("creation of mailbox {}", quoted_display_name(record.name));
        case QueueKind::rename_mailbox:
            return fmt::format("rename of mailbox {} to {}", quoted_display_name(record.name),
                               quoted_display_name(record.new_name));
        case QueueKind::delete_mailbox: return fmt::format("deletion of mailbox {}", quoted_display_name(record.name));
    }
    return "change";
}

std::string conflict_sentence(const store::ConflictRecord& record) {
    const std::string server = record.server_change.empty() ? std::string("the server changed it") : record.server_change;
    return fmt::format("While the {} was queued, {}, so {} (rule {}).", record.local_change, server, record.resolution,
                       record.rule);
}

std::string refusal_sentence(const store::QueueRecord& record, const std::string& why, const RefusalState& state) {
    const std::string next =
        state.for_good ? fmt::format("it is not tried again, and `mailsync queue --refused` lists it until "
                                     "`mailsync queue --drop {}`",
                                     record.seq)
                       : fmt::format("it is tried again at the next sync (refusal {} of {})", state.refusals, state.limit);
    return fmt::format("The {} was refused because {}; {}.", describe_change(record), why, next);
}

std::string server_said_no(const std::string& command, const std::string& text) {
    return fmt::format("the server answered NO to {}, saying \"{}\"", command, text);
}

}  // namespace mailsync::sync

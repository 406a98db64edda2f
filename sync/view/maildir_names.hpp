// Names in a Maildir: the info letters of flags, the view's file names (with the identity mailsync
// reads back), and folder paths per layout. Pure functions; the rules are in sync/view/README.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"

namespace mailsync::sync {

enum class MaildirLayout { verbatim, maildir_plus_plus };
std::string_view to_string(MaildirLayout layout);   // "verbatim" | "maildir++"

// ":2," info letters for the flags (as on the wire), in ASCII order: D \Draft, F \Flagged,
// P $Forwarded, R \Answered, S \Seen, T \Deleted. Other keywords have no letter.
std::string maildir_info(const std::vector<std::string>& flags);
// The flags those letters stand for (letters without a meaning are ignored), and the letters that
// have one, normalised (sorted, each once).
std::vector<std::string> flags_of_maildir_info(std::string_view info);
std::string normalized_maildir_info(std::string_view info);

// This machine's name as a Maildir file name part: '/' ':' ',' written \057 \072 \054.
std::string maildir_host_part(std::string_view host);

// "<INTERNALDATE>.<id>_0.<host>,U=<uid>:2,<info>" (",U=<uid>" only with a UID).
std::string view_file_name(const store::MessageRecord& message, std::string_view host_part);

// What a file name in a Maildir says. `id` is set only for names of the view's own shape.
struct MaildirFileName {
    std::string base;                       // before ":2," (or the whole name)
    std::string info;                       // the letters after ":2,", as written
    std::optional<store::MessageId> id;
    std::optional<store::Uid> uid;
};
MaildirFileName parse_maildir_file_name(std::string_view name);

// The folder of a mailbox, relative to the view's root: its display name's levels (split at the
// server's delimiter) joined by '/' (verbatim: "INBOX", "Archive/2023") or '.' after a leading '.'
// (maildir++: INBOX is "" — the root itself — others ".Archive.2023"). Levels are
// percent-encoded where needed (README) so the mapping can be reversed.
std::string maildir_folder(std::string_view wire_name, std::string_view delimiter, MaildirLayout layout);
// The mailbox display name (levels joined by `delimiter`) a folder path stands for; nullopt when
// the path is not a folder of that layout (e.g. a maildir++ directory without the leading '.').
std::optional<std::string> mailbox_of_maildir_folder(std::string_view folder, std::string_view delimiter,
                                                     MaildirLayout layout);

}  // namespace mailsync::sync

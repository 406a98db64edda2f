// What the view's writer, checker and scanner agree on: which mailboxes have a folder, where a
// message's file lives, and whether the recorded view is about this root and layout.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/ascii.hpp"
#include "store/records.hpp"
#include "sync/view/maildir_view.hpp"

namespace mailsync::sync {

// A mailbox has a folder when it can hold messages and the server still has it.
inline bool in_view(const store::MailboxRecord& mailbox) {
    if (mailbox.deleted_on_server) return false;
    for (const auto& attribute : mailbox.attributes) {
        if (ascii::iequals(attribute, "\\Noselect") || ascii::iequals(attribute, "\\NonExistent")) return false;
    }
    return true;
}

// "FOLDER/cur/NAME", relative to the root (maildir++'s INBOX is the root itself: "cur/NAME").
inline std::string folder_file_path(const std::string& folder, std::string_view name) {
    return (folder.empty() ? std::string() : folder + "/") + "cur/" + std::string(name);
}

inline bool view_state_matches(const std::optional<store::ViewStateRecord>& state, const MaildirViewSettings& settings) {
    return state && state->root == settings.root.string() && state->layout == to_string(settings.layout);
}

}  // namespace mailsync::sync

// Which mailboxes an account mirrors: the `mailboxes:` patterns of the configuration.
//
// Semantics (documented for users in the README):
// - Patterns are matched against the decoded (UTF-8) mailbox name, the name a user sees.
// - `*` matches any run of characters, the hierarchy delimiter included ("Lists*" takes "Lists"
//   and "Lists/rust"); `%` matches any run without the delimiter ("Lists/%" takes "Lists/rust"
//   but not "Lists/rust/old"). Everything else matches itself; "INBOX" in any case matches INBOX.
// - A pattern starting with `!` excludes. A mailbox is mirrored when it matches at least one
//   include pattern and no exclude pattern, whatever the order. With only exclude patterns, every
//   other mailbox is mirrored (as if "*" were given).
// - A mailbox already in the mirror that the patterns no longer select is left as it is: neither
//   synced nor removed (changing the configuration never deletes mail).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailsync::sync {

class MailboxFilter {
public:
    explicit MailboxFilter(const std::vector<std::string>& patterns);

    // `name` is the UTF-8 name; `delimiter` the server's hierarchy delimiter (0 when it has none).
    bool selects(std::string_view name, char delimiter) const;

private:
    std::vector<std::string> includes_;
    std::vector<std::string> excludes_;
};

// The glob match itself, exposed for tests.
bool mailbox_pattern_matches(std::string_view pattern, std::string_view name, char delimiter);

}  // namespace mailsync::sync

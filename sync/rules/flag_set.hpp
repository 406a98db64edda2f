// The one flag-set algebra of the engine: IMAP flags as lists of strings that compare without
// regard to case (RFC 9051 §2.3.2: "\Seen" is "\SEEN") and keep the spelling they came with.
// \Recent is a session flag, never stored: normalize_flags drops it. The pull (flag_merge.hpp), the
// offline commands (sync/local/) and the push (conflict_rules.hpp, sync/push/) all use these.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailsync::sync {

using FlagList = std::vector<std::string>;

// Whether `flags` holds `flag` (case-insensitive).
bool has_flag(const FlagList& flags, std::string_view flag);

// Without \Recent, duplicates removed, in a canonical order (case-insensitive).
FlagList normalize_flags(FlagList flags);

// The same set of flags (case-insensitive, \Recent and order ignored).
bool same_flags(const FlagList& a, const FlagList& b);

// The flags of `a` that `b` does not have, in a's order, each once.
FlagList flags_missing_from(const FlagList& a, const FlagList& b);

// `flags` − remove ∪ add, keeping the order of `flags` and appending the added ones (a flag already
// there keeps its spelling). For the offline commands, which keep the user's order.
FlagList with_flag_change(FlagList flags, const FlagList& add, const FlagList& remove);

// The flags a message should have after a local change (add/remove) meets the server's flags S:
// S ∪ add − remove, normalized (no \Recent, canonical order).
FlagList apply_change(const FlagList& server, const FlagList& add, const FlagList& remove);

}  // namespace mailsync::sync

// What the views of the mirror (status, mailboxes, list, show) share: the store opened for reading,
// the mailbox a user named, and times as they print them.
#pragma once

#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "store/store.hpp"

namespace mailsync::cli {

// "2026-11-23T10:00:00+01:00": the time in the zone it was given in (UTC: "Z").
std::string rfc3339(store::UnixTime when, int zone_minutes = 0);
// "2026-11-23 10:00" in that zone.
std::string short_date(store::UnixTime when, int zone_minutes);

const Account& the_account(const CommandContext& context);

// A view needs no store that was never created: an account not synced yet shows as empty.
std::optional<store::Store> open_for_view(const Account& account);
// The store of an account that must have been synced: Error(bad_input) naming `mailbox` when not.
store::Store open_synced(const Account& account, const std::string& mailbox);

// The account's store, which must already exist (export, verify and restore never create an empty
// one): Error(bad_input) saying to sync first when there is none.
store::Store open_existing_store(const Account& account, store::Access access);

// The mailbox a user named (UTF-8, or the wire form; INBOX in any case), through the one lookup of
// sync/local (find_mailbox); Error(bad_input) when there is none.
store::MailboxRecord find_mailbox(const store::ReadTxn& txn, const Account& account, const std::string& name);

}  // namespace mailsync::cli

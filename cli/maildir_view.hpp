// The Maildir view (sync/view/) as the command line uses it: settings from the account, the update
// after each `sync`, `view --rebuild`, and what `status` and `verify` say of it.
#pragma once

#include <optional>

#include "cli/config.hpp"
#include "cli/output.hpp"
#include "store/store.hpp"
#include "sync/view/maildir_view.hpp"

namespace mailsync::cli {

// nullopt when the account has no `maildir:`.
std::optional<sync::MaildirViewSettings> maildir_view_settings(const Account& account);

// Before a sync (two-way accounts): turns what mail clients did in the view into queued changes.
// `update` is false when the scan failed or found the view missing (a warning says why): the update
// after the sync is then skipped, so that nothing a client did is written over and a view that is
// only unmounted is not written again empty of the files it had.
struct ViewScanOutcome {
    bool update = true;
    std::optional<sync::ViewScanReport> report;  // nullopt: no view, a one-way account, or a failed scan
};
ViewScanOutcome scan_view_before_sync(const Account& account, store::Store& store, Output& output);

// After a sync: brings the view up to date. A failure is a warning, never the sync's failure: the
// mirror is sound and the next sync tries again. Returns the report, nullopt when the account has
// no view or it failed.
std::optional<sync::ViewUpdateReport> update_view_after_sync(const Account& account, store::Store& store, Output& output);

// `sync --json`'s member "maildir_view": null when the account has no view, else what the scan
// queued ("scan", null when there was none) and what the update wrote ("update", null when skipped
// or failed).
void view_sync_json(JsonWriter& json, const Account& account, const ViewScanOutcome& scan,
                    const std::optional<sync::ViewUpdateReport>& update);

// Lines for `status` ("" when the account has no view), and the JSON member "maildir".
std::string view_status_text(const Account& account, store::Store& store);
void view_status_json(JsonWriter& json, const Account& account, store::Store* store);

// `verify`: the view's damage (problems, exit 65) and how much of it the next sync will change.
sync::ViewCheck verify_view(const Account& account, store::Store& store);

}  // namespace mailsync::cli

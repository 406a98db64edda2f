// The one line `sync -v` and `watch -v` print per account after a pull.
#pragma once

#include <string>

#include "sync/pull/pull_report.hpp"

namespace mailsync::cli {

// "work: mailboxes: 3 synced, 12 unchanged, 1 failed; messages: ...". A mailbox that failed counts
// as failed, never as synced; "failed" appears only when some did.
std::string sync_summary_line(const std::string& account, const sync::PullReport& report, double seconds);

}  // namespace mailsync::cli

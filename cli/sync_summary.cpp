#include "cli/sync_summary.hpp"

#include <fmt/format.h>

namespace mailsync::cli {

std::string sync_summary_line(const std::string& account, const sync::PullReport& report, double seconds) {
    std::size_t synced = 0, unchanged = 0, failed = 0;
    for (const auto& mailbox : report.mailboxes) (mailbox.error ? failed : mailbox.skipped ? unchanged : synced) += 1;
    const std::string failures = failed > 0 ? fmt::format(", {} failed", failed) : "";
    return fmt::format("{}: mailboxes: {} synced, {} unchanged{}; messages: {} new, {} changed, {} expunged; {:.1f} MB in {:.1f} s",
                       account, synced, unchanged, failures, report.total_new(), report.total_changed(),
                       report.total_expunged(), static_cast<double>(report.total_bytes()) / 1e6, seconds);
}

}  // namespace mailsync::cli

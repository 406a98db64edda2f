// The per-account line of `sync -v`: a failed mailbox is never counted as synced.
#include <catch2/catch.hpp>

#include "cli/sync_support.hpp"

using mailsync::cli::summary_line;
using mailsync::sync::MailboxReport;
using mailsync::sync::PullReport;

namespace {

std::string sync_summary_line(const std::string& name, const PullReport& report, double seconds) {
    mailsync::cli::Account account;
    account.name = name;
    return summary_line(account, report, seconds);
}

MailboxReport mailbox(const std::string& name, bool skipped, std::optional<std::string> error = std::nullopt) {
    MailboxReport report;
    report.name = name;
    report.skipped = skipped;
    report.error = std::move(error);
    return report;
}

}  // namespace

TEST_CASE("sync summary: a failed INBOX is counted as failed, not as synced", "[cli][summary]") {
    PullReport report;
    report.mailboxes.push_back(mailbox("INBOX", false, "EXAMINE: NO [SERVERBUG] internal error"));
    CHECK(sync_summary_line("work", report, 1.0) ==
          "work: mailboxes: 0 synced, 0 unchanged, 1 failed; messages: 0 new, 0 changed, 0 expunged; 0.0 MB in 1.0 s");
}

TEST_CASE("sync summary: synced, unchanged and failed are counted apart, and 'failed' only when some did", "[cli][summary]") {
    PullReport report;
    report.mailboxes.push_back(mailbox("INBOX", false));
    report.mailboxes.back().new_messages = 2;
    report.mailboxes.back().bytes = 2'500'000;
    report.mailboxes.push_back(mailbox("Archive", true));
    report.mailboxes.push_back(mailbox("Sent", true));
    CHECK(sync_summary_line("work", report, 0.25) ==
          "work: mailboxes: 1 synced, 2 unchanged; messages: 2 new, 0 changed, 0 expunged; 2.5 MB in 0.2 s");
    report.mailboxes.push_back(mailbox("Lists", false, "cut off"));
    CHECK(sync_summary_line("work", report, 0.25).find("1 synced, 2 unchanged, 1 failed;") != std::string::npos);
}

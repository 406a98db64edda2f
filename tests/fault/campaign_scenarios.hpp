// What the campaign's test files share (test_sync_campaign.cpp: first sync, incremental, replay,
// self-test; test_sync_campaign_queue.cpp: the queue's hard cases): trial counts per scenario and
// campaign size, running a whole campaign with its assertions, the offline commands' helpers, and
// the replay of an offline queue with its model of the server.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/fault/sync_campaign.hpp"

namespace mailsync::test::campaign {

struct Size {
    std::size_t messages = 0, kills = 0, cuts = 0, stalls = 0;
    std::size_t local_kills = 0;  // kills timed by local file changes (Campaign::watch_local)
};

// The interruptions of `scenario` for $MAILSYNC_CAMPAIGN (short, medium, long) and
// $MAILSYNC_CAMPAIGN_TRIALS (with long or medium: the interruptions per scenario, split 40 % kills,
// 47 % cuts, 13 % stalls); `messages` is the first sync's size.
Size size(const std::string& scenario);

void report(const Summary& summary);

// The calibration run, then one trial per planned interruption, then the table and the assertions
// (counts zero, enough trials interrupted). next_account: the account of the next trial.
void run_all(Campaign& campaign, const std::function<Account&()>& next_account, const Prepare& prepare, const Size& n);

// A fresh account for every trial (the previous one removed).
std::function<Account&()> fresh_accounts(std::unique_ptr<Account>& current, const std::string& hint);

// A message file to append: unique Message-ID, `padding` bytes of body or so.
std::string message_file(const Account& account, const std::string& tag, std::size_t padding = 3000);
std::string file_sha256(const std::string& path);
// Runs mailsync with `args`; throws with its output if it does not exit 0.
void require_ok(const Account& account, const std::vector<std::string>& args);
// The flag set of a "sha|flag,flag" entry of the server reader.
std::set<std::string> flags_of(const std::string& entry);

// The replay scenario (RESULTS.md): 50 messages synced, then offline flag, move, copy, delete and
// append, while a second client changes the server; returns the model's expected server.
// `server_moves`: false on a server without MOVE and UIDPLUS, where the queued moves must be refused
// (for good: nothing else would be safe) and the server keeps those messages where they were.
Expected offline_replay(Account& account, bool server_moves);

}  // namespace mailsync::test::campaign

#include "sync/pull/pipelined_fetch.hpp"

#include <algorithm>
#include <deque>

#include <fmt/format.h>

#include "common/error.hpp"

namespace mailsync::sync {

std::vector<imap::SequenceSet> split_by_bytes(const std::vector<std::pair<std::uint32_t, std::uint64_t>>& sizes, std::uint64_t max_bytes) {
    std::vector<imap::SequenceSet> commands;
    imap::SequenceSet current;
    std::uint64_t current_bytes = 0;
    for (const auto& [uid, size] : sizes) {
        if (!current.empty() && (current_bytes + size > max_bytes || current.count() >= max_uids_per_command)) {
            commands.push_back(std::move(current));
            current = {};
            current_bytes = 0;
        }
        current.add(uid);
        current_bytes += size;
    }
    if (!current.empty()) commands.push_back(std::move(current));
    return commands;
}

void run_uid_fetches(imap::Session& session, const std::vector<imap::SequenceSet>& sets, const std::vector<std::string>& items,
                     std::size_t depth, std::string_view what) {
    std::deque<std::string> in_flight;
    std::size_t next = 0;
    while (next < sets.size() || !in_flight.empty()) {
        while (next < sets.size() && in_flight.size() < std::max<std::size_t>(1, depth)) {
            imap::cmd::UidFetch command;
            command.uids = sets[next++];
            command.items = items;
            in_flight.push_back(session.send(std::move(command)));
        }
        const auto response = session.wait(in_flight.front());
        in_flight.pop_front();
        if (response.status != imap::Status::ok)
            throw Error(ErrorCategory::protocol, fmt::format("server refused {}: {}", what, response.text));
    }
}

}  // namespace mailsync::sync

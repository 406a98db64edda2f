#include "sync/push/push_server.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>

#include <fmt/format.h>

#include "common/ascii.hpp"
#include "common/error.hpp"
#include "common/inbox.hpp"
#include "sync/imap/mutf7.hpp"
#include "sync/pull/new_messages.hpp"
#include "sync/pull/selected_mailbox_listener.hpp"
#include "sync/push/replay.hpp"
#include "sync/rules/change_sentences.hpp"

namespace mailsync::sync {
namespace {

using store::Uid;

// A command line holding a UID set stays well under the servers' limits.
constexpr std::size_t uid_set_bytes = 6000;

// The untagged responses of one exchange go to `on_data`, for as long as this object lives. The
// replay leaves no handler of its own on the session between exchanges (as it did before it ran).
class ExchangeHandler final : public imap::UntaggedHandler {
public:
    ExchangeHandler(imap::Session& session, std::function<void(const imap::Response&)> on_data)
        : session_(session), on_data_(std::move(on_data)) {
        session_.set_handler(this);
    }
    ~ExchangeHandler() override { session_.set_handler(nullptr); }
    ExchangeHandler(const ExchangeHandler&) = delete;
    ExchangeHandler& operator=(const ExchangeHandler&) = delete;
    void on_untagged(const imap::Response& response) override { on_data_(response); }

private:
    imap::Session& session_;
    std::function<void(const imap::Response&)> on_data_;
};

// The FETCH items of an untagged FETCH response that carries a UID.
template <class Each>
std::function<void(const imap::Response&)> on_fetch(Each each) {
    return [each](const imap::Response& response) {
        if (const auto* fetch = std::get_if<imap::FetchData>(&response); fetch && fetch->uid) each(*fetch);
    };
}

}  // namespace

std::optional<std::pair<Uid, std::uint32_t>> CopyResult::destination_of(Uid source) const {
    if (!copyuid || !copyuid->source.contains(source)) return std::nullopt;
    const auto sources = copyuid->source.values();
    const auto destinations = copyuid->destination.values();
    const auto at = static_cast<std::size_t>(std::find(sources.begin(), sources.end(), source) - sources.begin());
    if (at >= destinations.size()) return std::nullopt;
    return std::make_pair(destinations[at], copyuid->uidvalidity);
}

bool AppendResult::needs_mailbox() const {
    return response.status == imap::Status::no && response.code &&
           std::holds_alternative<imap::code::TryCreate>(*response.code);
}

Refused refused_by(const std::string& command, const imap::StatusResponse& response) {
    bool retrying_can_help = response.status != imap::Status::bad;
    if (response.code) {
        if (std::holds_alternative<imap::code::Nonexistent>(*response.code)) retrying_can_help = false;
        if (const auto* other = std::get_if<imap::code::Other>(&*response.code)) {
            for (const char* never : {"CANNOT", "NOPERM", "ALREADYEXISTS"})
                if (ascii::iequals(other->name, never)) retrying_can_help = false;
        }
    }
    return Refused{server_said_no(command, response.text), retrying_can_help};
}

PushServer::PushServer(imap::Session& session) : session_(session) {
    condstore_ = session_.has_capability("CONDSTORE") || session_.has_capability("QRESYNC");
    session_.set_handler(nullptr);
}

PushServer::~PushServer() { session_.set_handler(nullptr); }

bool PushServer::select(const std::string& name) {
    if (selected_ && *selected_ == name) return true;
    imap::cmd::Select command;
    command.mailbox = name;
    command.condstore = condstore_;
    const auto selected = session_.select(command, true);
    if (!selected) {
        selected_.reset();
        return false;
    }
    selected_ = name;
    uidvalidity_ = selected->uidvalidity;
    return true;
}

void PushServer::leave() {
    if (!selected_) return;
    selected_.reset();
    if (session_.has_capability("UNSELECT")) session_.run(imap::cmd::Unselect{});
}

std::map<Uid, ServerFlags> PushServer::fetch_flags(const imap::SequenceSet& uids) {
    std::map<Uid, ServerFlags> found;
    ExchangeHandler handler(session_, on_fetch([&](const imap::FetchData& fetch) {
        if (!fetch.flags && !fetch.modseq) return;
        auto& entry = found[*fetch.uid];
        if (fetch.flags) entry.flags = normalize_flags(*fetch.flags);
        if (fetch.modseq) entry.modseq = *fetch.modseq;
    }));
    for (const auto& piece : uids.split(uid_set_bytes)) {
        imap::cmd::UidFetch fetch;
        fetch.uids = piece;
        fetch.items = {"UID", "FLAGS"};
        if (condstore_) fetch.items.emplace_back("MODSEQ");
        const auto response = session_.run(std::move(fetch));
        if (response.status != imap::Status::ok) throw refused_by("UID FETCH FLAGS", response);
    }
    std::erase_if(found, [&](const auto& entry) { return !uids.contains(entry.first); });
    return found;
}

std::optional<std::map<Uid, std::uint64_t>> PushServer::fetch_sizes(const imap::SequenceSet& uids) {
    std::map<Uid, std::uint64_t> sizes;
    ExchangeHandler handler(session_, on_fetch([&](const imap::FetchData& fetch) {
        if (fetch.rfc822_size) sizes[*fetch.uid] = *fetch.rfc822_size;
    }));
    imap::cmd::UidFetch fetch;
    fetch.uids = uids;
    fetch.items = {"UID", "RFC822.SIZE"};
    if (session_.run(std::move(fetch)).status != imap::Status::ok) return std::nullopt;
    return sizes;
}

StoreResult PushServer::store_flags(const imap::SequenceSet& uids, const FlagList& flags, imap::cmd::StoreMode mode,
                                    std::optional<std::uint64_t> unchanged_since) {
    StoreResult result;
    // With CONDSTORE the server reports the new MODSEQ even for a .SILENT store (RFC 7162 §3.1.3).
    ExchangeHandler handler(session_, on_fetch([&](const imap::FetchData& fetch) {
        if (fetch.modseq) result.new_modseqs[*fetch.uid] = *fetch.modseq;
    }));
    for (const auto& piece : uids.split(uid_set_bytes)) {
        imap::cmd::UidStore store;
        store.uids = piece;
        store.unchanged_since = unchanged_since;
        store.mode = mode;
        store.silent = true;
        store.flags = flags;
        const auto response = session_.run(std::move(store));
        if (response.code)
            if (const auto* m = std::get_if<imap::code::Modified>(&*response.code)) result.modified.add(m->set);
        if (response.status != imap::Status::ok) throw refused_by("UID STORE", response);
    }
    return result;
}

void PushServer::expunge_exactly(const imap::SequenceSet& uids) {
    for (const auto& piece : uids.split(uid_set_bytes)) {
        const auto response = session_.run(imap::cmd::UidExpunge{piece});
        if (response.status != imap::Status::ok) throw refused_by("UID EXPUNGE", response);
    }
}

std::optional<imap::SequenceSet> PushServer::search(imap::cmd::UidSearch search) {
    imap::SequenceSet found;
    ExchangeHandler handler(session_, [&](const imap::Response& response) {
        if (const auto* data = std::get_if<imap::SearchData>(&response)) {
            for (std::uint32_t uid : data->numbers)
                if (uid != 0) found.add(uid);
        } else if (const auto* esearch = std::get_if<imap::ESearchData>(&response)) {
            if (esearch->all) found.add(*esearch->all);
        }
    });
    if (session_.run(std::move(search)).status != imap::Status::ok) return std::nullopt;
    return found;
}

std::optional<imap::SequenceSet> PushServer::search_message_id(const std::string& message_id) {
    imap::cmd::UidSearch search;
    search.header = std::make_pair(std::string("Message-ID"), message_id);
    return this->search(std::move(search));
}

std::optional<imap::SequenceSet> PushServer::search_uids_from(Uid from) {
    imap::cmd::UidSearch search;
    search.criteria = fmt::format("UID {}:*", from);
    return this->search(std::move(search));
}

std::map<Uid, std::optional<HeaderDigest>> PushServer::header_digests(const imap::SequenceSet& uids) {
    std::map<Uid, std::optional<HeaderDigest>> digests;
    SelectedMailboxListener listener(session_, false);
    fetch_headers(session_, listener, uids, 1, [&](Uid uid, const std::optional<HeaderDigest>& digest) {
        digests[uid] = digest;
    });
    return digests;
}

std::optional<Uid> PushServer::uidnext(const std::string& name) {
    std::optional<Uid> next;
    ExchangeHandler handler(session_, [&](const imap::Response& response) {
        if (const auto* data = std::get_if<imap::StatusData>(&response);
            data && data->uidnext && same_mailbox_name(data->mailbox, name))
            next = *data->uidnext;
    });
    if (session_.run(imap::cmd::Status{name, {"UIDNEXT"}}).status != imap::Status::ok) return std::nullopt;
    return next;
}

std::optional<imap::SequenceSet> PushServer::search_deleted() {
    imap::cmd::UidSearch search;
    search.criteria = "DELETED";
    return this->search(std::move(search));
}

void PushServer::expunge_all_deleted_and_leave() {
    selected_.reset();
    const auto response = session_.run(imap::cmd::Close{});
    if (response.status != imap::Status::ok) throw refused_by("CLOSE (EXPUNGE)", response);
}

CopyResult PushServer::copy(const imap::SequenceSet& uids, const std::string& destination, bool move) {
    CopyResult result;
    // UID MOVE reports COPYUID in an untagged OK (RFC 6851 §4.3).
    ExchangeHandler handler(session_, [&](const imap::Response& response) {
        if (const auto* status = std::get_if<imap::StatusResponse>(&response); status && status->code)
            if (const auto* copy = std::get_if<imap::code::CopyUid>(&*status->code)) result.copyuid = *copy;
    });
    result.response = move ? session_.run(imap::cmd::UidMove{uids, destination})
                           : session_.run(imap::cmd::UidCopy{uids, destination});
    if (result.response.code)
        if (const auto* copy = std::get_if<imap::code::CopyUid>(&*result.response.code)) result.copyuid = *copy;
    return result;
}

AppendResult PushServer::append(const Upload& upload) {
    imap::cmd::Append command;
    command.mailbox = upload.mailbox;
    command.flags = normalize_flags(upload.flags);
    if (upload.internaldate != 0) command.internal_date = imap_internal_date(upload.internaldate, upload.zone_minutes);
    command.path = upload.path;
    std::error_code error;
    command.size = std::filesystem::file_size(command.path, error);
    if (error) throw Error(ErrorCategory::io, fmt::format("cannot read {}: {}", command.path, error.message()));
    AppendResult result;
    result.response = session_.run(std::move(command));
    if (result.response.code)
        if (const auto* uid = std::get_if<imap::code::AppendUid>(&*result.response.code); uid && uid->uids.min()) {
            result.uid = uid->uids.min();
            result.uidvalidity = uid->uidvalidity;
        }
    return result;
}

bool PushServer::mailbox_exists(const std::string& name) {
    std::vector<imap::ListData> listed;
    ExchangeHandler handler(session_, [&](const imap::Response& response) {
        if (const auto* list = std::get_if<imap::ListData>(&response)) listed.push_back(*list);
    });
    imap::cmd::List list;
    list.pattern = name;
    if (session_.run(std::move(list)).status != imap::Status::ok) return false;
    return std::any_of(listed.begin(), listed.end(), [&](const imap::ListData& data) {
        const auto has = [&](const char* attribute) {
            return std::find(data.attributes.begin(), data.attributes.end(), attribute) != data.attributes.end();
        };
        return same_mailbox_name(data.mailbox, name) && !has("\\NONEXISTENT") && !has("\\NOSELECT");
    });
}

std::optional<char> PushServer::hierarchy_delimiter() {
    std::optional<char> delimiter;
    ExchangeHandler handler(session_, [&](const imap::Response& response) {
        if (const auto* list = std::get_if<imap::ListData>(&response)) delimiter = list->delimiter;
    });
    imap::cmd::List list;
    list.pattern = "";   // RFC 3501 §6.3.8: the delimiter and the root name, no mailbox
    const auto response = session_.run(std::move(list));
    if (response.status != imap::Status::ok) throw refused_by("LIST \"\" \"\"", response);
    return delimiter;
}

std::optional<std::uint32_t> PushServer::message_count(const std::string& name) {
    std::uint32_t messages = 0;
    ExchangeHandler handler(session_, [&](const imap::Response& response) {
        // Only a STATUS with MESSAGES counts: under NOTIFY (watch) the server may also send one of
        // its own, e.g. (HIGHESTMODSEQ n) for a flag change, which says nothing of it.
        if (const auto* data = std::get_if<imap::StatusData>(&response);
            data && data->messages && same_mailbox_name(data->mailbox, name))
            messages = *data->messages;
    });
    if (session_.run(imap::cmd::Status{name, {"MESSAGES"}}).status != imap::Status::ok) return std::nullopt;
    return messages;
}

void PushServer::create(const std::string& name) {
    const auto response = run_create(name);
    if (response.status != imap::Status::ok && !mailbox_exists(name))
        throw refused_by("CREATE " + quoted_display_name(name), response);
    subscribe(name);
}

imap::StatusResponse PushServer::run_create(const std::string& name, std::optional<std::string> special_use) {
    return session_.run(imap::cmd::Create{name, std::move(special_use)});
}

imap::StatusResponse PushServer::run_rename(const std::string& from, const std::string& to) {
    return session_.run(imap::cmd::Rename{from, to});
}

imap::StatusResponse PushServer::run_delete(const std::string& name) { return session_.run(imap::cmd::Delete{name}); }

void PushServer::subscribe(const std::string& name) { session_.run(imap::cmd::Subscribe{name}); }

bool same_mailbox_name(const std::string& a, const std::string& b) {
    return a == b || (is_inbox(a) && is_inbox(b));
}


}  // namespace mailsync::sync

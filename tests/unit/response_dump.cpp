#include "tests/unit/response_dump.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mailsync::imap::test {

namespace {

template <class... Visitors>
struct Overloaded : Visitors... {
    using Visitors::operator()...;
};
template <class... Visitors>
Overloaded(Visitors...) -> Overloaded<Visitors...>;

template <class T>
std::string optional_text(const std::optional<T>& value) {
    return value ? fmt::format("{}", *value) : "nil";
}

std::string quoted(const std::optional<std::string>& value) {
    return value ? fmt::format("\"{}\"", *value) : "NIL";
}

std::string addresses(const std::vector<Address>& list) {
    std::string out = "[";
    for (const auto& address : list) {
        out += fmt::format("({} {} {} {})", quoted(address.name), quoted(address.adl),
                           quoted(address.mailbox), quoted(address.host));
    }
    return out + "]";
}

std::string code_text(const ResponseCode& code) {
    return std::visit(
        Overloaded{
            [](const code::Alert&) -> std::string { return "ALERT"; },
            [](const code::Capability& c) { return fmt::format("CAPABILITY {}", c.capabilities); },
            [](const code::PermanentFlags& c) { return fmt::format("PERMANENTFLAGS {}", c.flags); },
            [](const code::UidValidity& c) { return fmt::format("UIDVALIDITY {}", c.value); },
            [](const code::UidNext& c) { return fmt::format("UIDNEXT {}", c.value); },
            [](const code::Unseen& c) { return fmt::format("UNSEEN {}", c.seq); },
            [](const code::HighestModSeq& c) { return fmt::format("HIGHESTMODSEQ {}", c.value); },
            [](const code::NoModSeq&) -> std::string { return "NOMODSEQ"; },
            [](const code::AppendUid& c) {
                return fmt::format("APPENDUID {} {}", c.uidvalidity, c.uids.to_string());
            },
            [](const code::CopyUid& c) {
                return fmt::format("COPYUID {} {} {}", c.uidvalidity, c.source.to_string(),
                                   c.destination.to_string());
            },
            [](const code::UidNotSticky&) -> std::string { return "UIDNOTSTICKY"; },
            [](const code::Modified& c) { return fmt::format("MODIFIED {}", c.set.to_string()); },
            [](const code::Closed&) -> std::string { return "CLOSED"; },
            [](const code::ReadOnly&) -> std::string { return "READ-ONLY"; },
            [](const code::ReadWrite&) -> std::string { return "READ-WRITE"; },
            [](const code::TryCreate&) -> std::string { return "TRYCREATE"; },
            [](const code::Nonexistent&) -> std::string { return "NONEXISTENT"; },
            [](const code::NotificationOverflow&) -> std::string { return "NOTIFICATIONOVERFLOW"; },
            [](const code::Other& c) { return fmt::format("OTHER {} <{}>", c.name, c.arguments); },
        },
        code);
}

std::string status_name(Status status) {
    switch (status) {
    case Status::ok: return "OK";
    case Status::no: return "NO";
    case Status::bad: return "BAD";
    case Status::bye: return "BYE";
    case Status::preauth: return "PREAUTH";
    }
    return "?";
}

}  // namespace

std::string dump(const Response& response) {
    return std::visit(
        Overloaded{
            [](const StatusResponse& r) {
                return fmt::format("status tag={} {} code={} text=<{}>", optional_text(r.tag),
                                   status_name(r.status), r.code ? code_text(*r.code) : "none",
                                   r.text);
            },
            [](const Continuation& r) { return fmt::format("continue <{}>", r.text); },
            [](const CapabilityData& r) { return fmt::format("capability {}", r.capabilities); },
            [](const EnabledData& r) { return fmt::format("enabled {}", r.capabilities); },
            [](const ListData& r) {
                return fmt::format("{} {} delim={} <{}>", r.lsub ? "lsub" : "list", r.attributes,
                                   r.delimiter ? std::string(1, *r.delimiter) : "NIL", r.mailbox);
            },
            [](const StatusData& r) {
                return fmt::format("status-data <{}> messages={} uidnext={} uidvalidity={} "
                                   "unseen={} recent={} highestmodseq={} size={}",
                                   r.mailbox, optional_text(r.messages), optional_text(r.uidnext),
                                   optional_text(r.uidvalidity), optional_text(r.unseen),
                                   optional_text(r.recent), optional_text(r.highestmodseq),
                                   optional_text(r.size));
            },
            [](const ExistsData& r) { return fmt::format("exists {}", r.count); },
            [](const RecentData& r) { return fmt::format("recent {}", r.count); },
            [](const ExpungeData& r) { return fmt::format("expunge {}", r.seq); },
            [](const VanishedData& r) {
                return fmt::format("vanished earlier={} {}", r.earlier, r.uids.to_string());
            },
            [](const FlagsData& r) { return fmt::format("flags {}", r.flags); },
            [](const FetchData& r) {
                std::string out = fmt::format(
                    "fetch {} uid={} flags={} modseq={} date={} size={}", r.seq,
                    optional_text(r.uid), r.flags ? fmt::format("{}", *r.flags) : "nil",
                    optional_text(r.modseq), optional_text(r.internal_date),
                    optional_text(r.rfc822_size));
                if (r.envelope) {
                    const Envelope& e = *r.envelope;
                    out += fmt::format(" envelope({} {} from={} sender={} reply-to={} to={} cc={} "
                                       "bcc={} {} {})",
                                       quoted(e.date), quoted(e.subject), addresses(e.from),
                                       addresses(e.sender), addresses(e.reply_to),
                                       addresses(e.to), addresses(e.cc), addresses(e.bcc),
                                       quoted(e.in_reply_to), quoted(e.message_id));
                }
                for (const auto& s : r.sections) {
                    out += fmt::format(" {}[{}]<{}> nil={} size={} streamed={} data=<{}>", s.item,
                                       s.section, optional_text(s.origin), s.nil, s.size,
                                       s.streamed, s.data);
                }
                return out;
            },
            [](const SearchData& r) {
                return fmt::format("search {} modseq={}", r.numbers, optional_text(r.modseq));
            },
            [](const ESearchData& r) {
                return fmt::format("esearch tag={} uid={} min={} max={} count={} all={} modseq={}",
                                   optional_text(r.tag), r.uid, optional_text(r.min),
                                   optional_text(r.max), optional_text(r.count),
                                   r.all ? r.all->to_string() : "nil", optional_text(r.modseq));
            },
            [](const OtherData& r) { return fmt::format("other {} <{}>", r.keyword, r.line); },
        },
        response);
}

}  // namespace mailsync::imap::test

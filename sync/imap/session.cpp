#include "sync/imap/session.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/ascii.hpp"
#include "common/error.hpp"

namespace mailsync::imap {
namespace {

bool is_notification_overflow(const Response& response) {
    const auto* status = std::get_if<StatusResponse>(&response);
    return status && status->code && std::holds_alternative<code::NotificationOverflow>(*status->code);
}

// IDLE ends when the mailbox changed, or, under NOTIFY (RFC 5465), another mailbox did (STATUS),
// the mailbox list did (LIST), or the server stopped notifying (OK [NOTIFICATIONOVERFLOW]): no
// command is in progress during IDLE, so a STATUS or LIST then is always a notification.
// Dovecot's "* OK Still here" keep-alives are not a change.
// Whether a response answers something (see "Time limits" in the header). The greeting is decided
// by the caller.
bool answers_something(const Response& response) {
    const auto* status = std::get_if<StatusResponse>(&response);
    if (!status) return true;  // data, or a continuation (its own rule is in dispatch())
    // An untagged OK/NO/BAD/PREAUTH/BYE answers nothing (after the greeting): a BYE is followed by
    // the end of the connection, and a server that keeps it open after one has to be timed out.
    return status->tag.has_value();
}

std::string seconds_text(std::chrono::milliseconds duration) {
    return fmt::format("{:g} s", static_cast<double>((duration.count() + 99) / 100) / 10.0);
}

bool is_mailbox_event(const Response& response) {
    return std::holds_alternative<ExistsData>(response) ||
           std::holds_alternative<ExpungeData>(response) ||
           std::holds_alternative<VanishedData>(response) ||
           std::holds_alternative<FetchData>(response) ||
           std::holds_alternative<RecentData>(response) ||
           std::holds_alternative<StatusData>(response) ||
           std::holds_alternative<ListData>(response) ||
           is_notification_overflow(response);
}

// Each chunk gets a whole timeout of its own: the deadline measures inactivity, not the transfer.
void write_file(Transport& transport, const part::FileContent& file, std::chrono::milliseconds timeout) {
    const int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(ErrorCategory::io, fmt::format("cannot read {}: {}", file.path, std::strerror(errno)));
    std::array<char, 64 * 1024> buffer;
    std::uint64_t left = file.size;
    while (left > 0) {
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
        const ssize_t n = ::read(fd, buffer.data(), want);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            throw Error(ErrorCategory::io, fmt::format("{} changed while it was being sent: shorter than {} bytes", file.path, file.size));
        }
        transport.write_all(std::string_view(buffer.data(), static_cast<std::size_t>(n)), Clock::now() + timeout);
        left -= static_cast<std::uint64_t>(n);
    }
    ::close(fd);
}

}  // namespace

Session::Session(std::unique_ptr<Transport> transport, SessionOptions options)
    : transport_(std::move(transport)), options_(options), parser_(options.limits) {}

Session::~Session() = default;

Deadline Session::next_deadline() const { return Clock::now() + options_.timeout; }

bool Session::has_capability(std::string_view name) const { return capabilities_.count(ascii::to_upper(name)) > 0; }
bool Session::is_enabled(std::string_view name) const { return enabled_.count(ascii::to_upper(name)) > 0; }

EncoderOptions Session::encoder_options() const {
    EncoderOptions options;
    options.literal_plus = has_capability("LITERAL+");
    options.literal_minus = has_capability("LITERAL-");
    options.utf8_accept = is_enabled("UTF8=ACCEPT");
    return options;
}

// ---- reading ---------------------------------------------------------------------------------

void Session::pump_once(Deadline deadline) {
    if (state_ == SessionState::logged_out && !bye_text_) connection_lost("the connection is closed");
    std::array<char, 64 * 1024> buffer;
    const std::size_t n = transport_->read_some(buffer, deadline);
    if (n == 0) {
        // The parser cannot learn that the stream ended: a response it holds a part of (a line
        // without its end, a literal with fewer bytes than announced) will never complete.
        if (parser_.buffered() > 0)
            connection_lost(fmt::format("the server closed the connection in the middle of a response: a line or "
                                        "literal was cut short ({} bytes of it still unfinished)", parser_.buffered()));
        connection_lost("the server closed the connection");
    }
    received_since_progress_ += n;
    if (received_since_progress_ >= kProgressBytes) note_progress();
    parser_.feed(std::string_view(buffer.data(), n));
    while (auto response = parser_.next()) {
        dispatch(std::move(*response));
        if (starttls_tag_ && finished_.count(*starttls_tag_)) {
            // Anything after the STARTTLS answer arrived in clear text, where an attacker could
            // have injected it (CVE-2011-0411 and kin): it must not be read as if it came over TLS.
            if (parser_.buffered() > 0)
                throw Error(ErrorCategory::protocol, "server sent data after its STARTTLS answer, before the TLS handshake");
            return;
        }
        // What follows the COMPRESS answer is compressed: compress() hands it to the deflate layer.
        if (compress_tag_ && finished_.count(*compress_tag_)) return;
    }
}

void Session::pump_for_answer() {
    if (uplink_moved()) note_progress();
    // A server dripping bytes gets them read at once, so the deadline is checked here too.
    if (Clock::now() >= progress_deadline_) no_progress();
    // Reads last a second at most, to look at the send queue in between.
    const Deadline slice = std::min(progress_deadline_, Clock::now() + std::chrono::seconds(1));
    try {
        pump_once(slice);
    } catch (const Error& error) {
        // A read that timed out: the end of a slice (the caller pumps again), or of the wait. The
        // transport says "did not answer within" the time left of this read; no_progress() says
        // the whole.
        if (error.category() != ErrorCategory::unavailable || state_ == SessionState::logged_out || Clock::now() < slice)
            throw;
        if (Clock::now() < progress_deadline_) return;
        if (uplink_moved()) {
            note_progress();
            return;
        }
        no_progress();
    }
}

bool Session::uplink_moved() {
    const std::uint64_t unsent = transport_->unsent_bytes();
    const bool moved = unsent + kProgressBytes <= unsent_ || (unsent == 0 && unsent_ > 0);
    unsent_ = unsent;
    return moved;
}

void Session::note_answer() {
    note_progress();
    chatter_ = 0;
}

void Session::note_progress() {
    progress_deadline_ = next_deadline();
    received_since_progress_ = 0;
}

void Session::note_chatter() {
    if (idling_) return;  // keep-alives; idle_wait() has its own deadline
    if (++chatter_ <= options_.max_chatter) return;
    state_ = SessionState::logged_out;
    throw Error(ErrorCategory::unavailable,
                fmt::format("server sent {} responses in a row that answer nothing (such as \"* OK still here\") while "
                            "waiting for {}; giving up on this connection", chatter_, awaited()));
}

std::string Session::awaited() const {
    if (!greeting_seen_) return "its greeting";
    for (const auto& pending : pending_)
        if (!finished_.count(pending.tag)) return fmt::format("the answer to {}", pending.what);
    return "an answer";
}

[[noreturn]] void Session::no_progress() {
    state_ = SessionState::logged_out;
    const std::string waited = seconds_text(options_.timeout);
    if (unsent_ > 0)
        throw Error(ErrorCategory::unavailable,
                    fmt::format("server took less than {} of the {} bytes still queued for it in {} while we waited for "
                                "{}", kProgressBytes, unsent_, waited, awaited()));
    if (chatter_ == 0 && received_since_progress_ == 0)
        throw Error(ErrorCategory::unavailable, fmt::format("server sent nothing for {} while waiting for {}", waited, awaited()));
    std::string sent;
    if (chatter_ > 0) sent = fmt::format("{} responses that answer nothing (such as \"* OK still here\")", chatter_);
    if (received_since_progress_ > 0)
        sent += fmt::format("{}{} bytes of an unfinished response (less than {} bytes in {} is taken for a dead "
                            "connection)", sent.empty() ? "" : " and ", received_since_progress_, kProgressBytes, waited);
    throw Error(ErrorCategory::unavailable,
                fmt::format("server made no progress for {} while waiting for {}: it sent only {}", waited, awaited(), sent));
}

void Session::dispatch(Response response) {
    if (auto* continuation = std::get_if<Continuation>(&response)) {
        on_continuation(*continuation);
        return;
    }
    if (!greeting_seen_ || answers_something(response)) note_answer();
    else note_chatter();
    if (auto* status = std::get_if<StatusResponse>(&response); status && status->tag) {
        on_tagged(std::move(*status));
        return;
    }
    on_untagged(response);
    if (handler_) handler_->on_untagged(response);
}

void Session::on_untagged(const Response& response) {
    if (idling_ && is_mailbox_event(response)) idle_event_ = true;
    if (const auto* status = std::get_if<StatusResponse>(&response)) {
        if (!greeting_seen_) {
            greeting_seen_ = true;
            if (status->status == Status::preauth) state_ = SessionState::authenticated;
        }
        if (status->code) note_code(*status->code);
        if (status->status == Status::bye) {
            bye_text_ = status->text;
            state_ = SessionState::logged_out;
        }
    } else if (const auto* capability = std::get_if<CapabilityData>(&response)) {
        capabilities_.clear();
        for (const auto& name : capability->capabilities) capabilities_.insert(ascii::to_upper(name));
        capabilities_fresh_ = true;
    } else if (const auto* enabled = std::get_if<EnabledData>(&response)) {
        for (const auto& name : enabled->capabilities) enabled_.insert(ascii::to_upper(name));
    } else if (const auto* exists = std::get_if<ExistsData>(&response)) {
        sequence_map_.on_exists(exists->count);
        if (selecting_) selecting_->exists = exists->count;
        if (selected_) selected_->exists = exists->count;
    } else if (const auto* expunge = std::get_if<ExpungeData>(&response)) {
        // One above EXISTS (or 0) is ignored by the map, and so here: EXISTS follows the map.
        sequence_map_.on_expunge(expunge->seq);
        if (selected_) selected_->exists = sequence_map_.exists();
    } else if (const auto* vanished = std::get_if<VanishedData>(&response)) {
        if (!vanished->earlier) {
            sequence_map_.on_vanished(vanished->uids);
            if (selected_) selected_->exists = sequence_map_.exists();
        }
    } else if (const auto* fetch = std::get_if<FetchData>(&response)) {
        if (fetch->uid) sequence_map_.on_fetch_uid(fetch->seq, *fetch->uid);
    } else if (const auto* flags = std::get_if<FlagsData>(&response)) {
        if (selecting_) selecting_->flags = flags->flags;
    }
}

void Session::note_code(const ResponseCode& code) {
    if (const auto* capability = std::get_if<code::Capability>(&code)) {
        capabilities_.clear();
        for (const auto& name : capability->capabilities) capabilities_.insert(ascii::to_upper(name));
        capabilities_fresh_ = true;
        return;
    }
    if (std::holds_alternative<code::NotificationOverflow>(code)) {
        // RFC 5465 §5.8: the server behaves as after NOTIFY NONE from now on.
        notifying_ = false;
        return;
    }
    if (std::holds_alternative<code::Closed>(code)) {
        // QRESYNC (RFC 7162 §3.2.11): what follows belongs to the newly selected mailbox.
        sequence_map_.reset();
        return;
    }
    if (!selecting_) return;
    std::visit([&](const auto& c) {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, code::UidValidity>) selecting_->uidvalidity = c.value;
        else if constexpr (std::is_same_v<C, code::UidNext>) selecting_->uidnext = c.value;
        else if constexpr (std::is_same_v<C, code::HighestModSeq>) selecting_->highestmodseq = c.value;
        else if constexpr (std::is_same_v<C, code::NoModSeq>) selecting_->highestmodseq.reset();
        else if constexpr (std::is_same_v<C, code::PermanentFlags>) selecting_->permanent_flags = c.flags;
        else if constexpr (std::is_same_v<C, code::ReadOnly>) selecting_->read_only = true;
        else if constexpr (std::is_same_v<C, code::ReadWrite>) selecting_->read_only = false;
    }, code);
}

void Session::on_tagged(StatusResponse response) {
    auto it = std::find_if(pending_.begin(), pending_.end(),
        [&](const Pending& p) { return p.tag == *response.tag; });
    if (it == pending_.end())
        throw Error(ErrorCategory::protocol, fmt::format("server answered a command never sent (tag {:.40})", *response.tag));
    if (response.code) note_code(*response.code);
    if (it->kind == Pending::Kind::idle) idling_ = false;
    pending_.erase(it);
    // A pipelined login's answer is taken as it comes (nobody waits for it by tag); a refusal
    // throws from here to whatever wait is pumping.
    if (login_in_flight_ && login_in_flight_->tag == *response.tag) settle_login(response);
    else finished_.emplace(*response.tag, std::move(response));
    write_ready();
}

void Session::on_continuation(const Continuation&) {
    Pending* pending = awaiting_continuation();
    if (!pending) throw Error(ErrorCategory::protocol, "server sent a continuation request no command asked for");
    switch (pending->kind) {
    case Pending::Kind::idle:
        note_answer();
        idling_ = true;
        return;
    case Pending::Kind::authenticate:
        // Two "+" are all a one-step mechanism needs; more answer nothing (see the header) and
        // get no answer from us either: the tagged response, or the timeout, ends it.
        if (++pending->continuations > 2) {
            note_chatter();
            return;
        }
        note_answer();
        // The first "+" asks for the initial response (no SASL-IR); a later one carries an error
        // challenge (XOAUTH2), which is answered with an empty line so the server sends its NO.
        if (pending->sasl_response) {
            transport_->write_all(*pending->sasl_response + "\r\n", next_deadline());
            pending->sasl_response.reset();
        } else {
            transport_->write_all("\r\n", next_deadline());
        }
        return;
    case Pending::Kind::normal:
        note_answer();
        write_parts(*pending);
        write_ready();
        return;
    }
}

Session::Pending* Session::awaiting_continuation() {
    for (auto& pending : pending_) {
        if (pending.next_part == 0) return nullptr;  // nothing of it written: nothing can wait
        if (pending.kind != Pending::Kind::normal || !pending.written) return &pending;
    }
    return nullptr;
}

[[noreturn]] void Session::connection_lost(const std::string& why) {
    state_ = SessionState::logged_out;
    if (bye_text_) throw Error(ErrorCategory::unavailable, fmt::format("{} (it said: {})", why, *bye_text_));
    throw Error(ErrorCategory::unavailable, why);
}

// ---- writing ---------------------------------------------------------------------------------

std::string Session::send(Command command) {
    if (state_ == SessionState::logged_out) connection_lost("the connection is closed");
    Pending pending;
    pending.tag = fmt::format("m{}", next_tag_++);
    if (std::holds_alternative<cmd::Idle>(command)) pending.kind = Pending::Kind::idle;
    if (auto* authenticate = std::get_if<cmd::Authenticate>(&command)) {
        pending.kind = Pending::Kind::authenticate;
        if (!has_capability("SASL-IR") && authenticate->initial_response) {
            pending.sasl_response = std::move(authenticate->initial_response);
            authenticate->initial_response.reset();
        }
    }
    pending.what = describe(command);
    if (pending.what.size() > 80) pending.what = pending.what.substr(0, 77) + "...";
    pending.encoded = encode(pending.tag, command, encoder_options());
    pending_.push_back(std::move(pending));
    std::string tag = pending_.back().tag;
    write_ready();
    return tag;
}

void Session::write_ready() {
    std::size_t in_flight = 0;
    for (auto& pending : pending_) {
        if (pending.written) {
            ++in_flight;
            // Nothing may follow IDLE or AUTHENTICATE until they end: the server reads our next
            // line as DONE or as a SASL response (unless it needs none, login_pipelined()).
            if (pending.kind != Pending::Kind::normal && !pending.pipelinable) return;
            continue;
        }
        if (pending.next_part > 0) return;  // waits for "+": nothing may be written after it
        if (in_flight >= options_.max_in_flight) return;
        write_parts(pending);
        ++in_flight;
        if (!pending.written || (pending.kind != Pending::Kind::normal && !pending.pipelinable)) return;
    }
}

void Session::write_parts(Pending& pending) {
    auto& parts = pending.encoded.parts;
    while (pending.next_part < parts.size()) {
        const Part& part = parts[pending.next_part++];
        if (const auto* bytes = std::get_if<part::Bytes>(&part)) {
            transport_->write_all(bytes->bytes, next_deadline());
        } else if (const auto* file = std::get_if<part::FileContent>(&part)) {
            write_file(*transport_, *file, options_.timeout);
        } else {
            return;  // part::AwaitContinuation: resumed by on_continuation()
        }
        // Written is progress; from here on, the send queue draining is (pump_for_answer).
        note_progress();
        unsent_ = transport_->unsent_bytes();
    }
    pending.written = true;
}

StatusResponse Session::wait(const std::string& tag) {
    note_answer();
    while (true) {
        if (auto it = finished_.find(tag); it != finished_.end()) {
            StatusResponse response = std::move(it->second);
            finished_.erase(it);
            refresh_capabilities_after_login();
            return response;
        }
        if (std::none_of(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.tag == tag; }))
            throw Error(ErrorCategory::internal, fmt::format("waiting for unknown command tag {}", tag));
        pump_for_answer();
    }
}

void Session::wait_all() {
    note_answer();
    while (!pending_.empty()) pump_for_answer();
    finished_.clear();
    refresh_capabilities_after_login();
}

StatusResponse Session::run_ok(Command command) {
    const std::string what = describe(command);
    StatusResponse response = run(std::move(command));
    if (response.status != Status::ok)
        throw Error(ErrorCategory::protocol, fmt::format("server refused {}: {}", what, response.text));
    return response;
}

// ---- connection set-up -----------------------------------------------------------------------

void Session::read_greeting() {
    note_answer();
    while (!greeting_seen_) pump_for_answer();
    if (bye_text_) connection_lost("the server refused the connection");
    if (!capabilities_fresh_) refresh_capabilities();
}

void Session::refresh_capabilities() {
    capabilities_fresh_ = false;
    run_ok(cmd::Capability{});
    if (!capabilities_fresh_) throw Error(ErrorCategory::protocol, "server answered CAPABILITY without listing its capabilities");
}

void Session::starttls() {
    if (transport_->is_tls()) return;
    if (!has_capability("STARTTLS"))
        throw Error(ErrorCategory::protocol, "server does not offer STARTTLS; refusing to continue without TLS");
    wait_all();
    starttls_tag_ = send(cmd::StartTls{});
    const StatusResponse response = wait(*starttls_tag_);
    starttls_tag_.reset();
    if (response.status != Status::ok)
        throw Error(ErrorCategory::protocol, fmt::format("server refused STARTTLS ({}); refusing to continue without TLS", response.text));
    transport_->start_tls(next_deadline());
    capabilities_.clear();
    refresh_capabilities();  // RFC 3501 §6.2.1: capabilities from before TLS are void
}

std::vector<std::string> Session::enable(const std::vector<std::string>& capabilities) {
    run_ok(cmd::Enable{capabilities});
    std::vector<std::string> result;
    for (const auto& name : capabilities)
        if (is_enabled(name)) result.push_back(ascii::to_upper(name));
    return result;
}

std::optional<SelectedMailbox> Session::select(const cmd::Select& select, bool allow_no) {
    wait_all();
    // Without QRESYNC there is no CLOSED code to mark the switch; nothing is in flight, so
    // every untagged response from here on is about the new mailbox.
    if (!is_enabled("QRESYNC") || !selected_) sequence_map_.reset();
    selecting_ = SelectedMailbox{};
    selecting_->name = select.mailbox;
    selecting_->read_only = select.read_only;
    const StatusResponse response = run(select);
    std::optional<SelectedMailbox> result = std::move(selecting_);
    selecting_.reset();
    if (response.status == Status::ok) {
        selected_ = result;
        state_ = SessionState::selected;
        return result;
    }
    selected_.reset();  // RFC 9051 §6.3.2: a failed SELECT leaves no mailbox selected
    state_ = SessionState::authenticated;
    if (allow_no && response.status == Status::no) return std::nullopt;
    throw Error(ErrorCategory::protocol, fmt::format("cannot select mailbox \"{}\": {}", select.mailbox, response.text));
}

StatusResponse Session::notify(const cmd::Notify& notify) {
    const StatusResponse response = run(notify);
    if (response.status == Status::ok) notifying_ = !notify.groups.empty();
    return response;
}

void Session::logout() noexcept {
    try {
        // LOGOUT is sent, not waited for: nothing is left to do on this connection, and its answer
        // would cost a round trip (the server ends the session either way when we close).
        if (state_ != SessionState::logged_out && pending_.empty()) send(cmd::Logout{});
    } catch (const std::exception&) {
        // The connection is going away in any case.
    }
    state_ = SessionState::logged_out;
    transport_->close();
}

// ---- IDLE ------------------------------------------------------------------------------------

void Session::idle_start() {
    if (!has_capability("IDLE")) throw Error(ErrorCategory::internal, "IDLE used on a server without it");
    wait_all();
    idle_tag_ = send(cmd::Idle{});
    idle_event_ = false;
    note_answer();
    while (!idling_) {
        pump_for_answer();
        if (auto it = finished_.find(idle_tag_); it != finished_.end())
            throw Error(ErrorCategory::protocol, fmt::format("server refused IDLE: {}", it->second.text));
    }
}

bool Session::idle_wait(Deadline until) {
    while (!idle_event_) {
        if (Clock::now() >= until) return false;
        try {
            pump_once(until);
        } catch (const Error& error) {
            // The transport reports a deadline as `unavailable`; a deadline we set ourselves is
            // the normal end of a quiet IDLE, a lost connection is not.
            if (error.category() != ErrorCategory::unavailable || Clock::now() < until || state_ == SessionState::logged_out)
                throw;
            return false;
        }
    }
    idle_event_ = false;
    return true;
}

void Session::idle_done() {
    if (!idling_ && finished_.count(idle_tag_) == 0 && pending_.empty()) return;
    const EncodedCommand done = encode("", cmd::Done{}, encoder_options());
    for (const auto& part : done.parts)
        if (const auto* bytes = std::get_if<part::Bytes>(&part)) transport_->write_all(bytes->bytes, next_deadline());
    const StatusResponse response = wait(idle_tag_);
    idling_ = false;
    if (response.status != Status::ok)
        throw Error(ErrorCategory::protocol, fmt::format("server ended IDLE with an error: {}", response.text));
}

}  // namespace mailsync::imap

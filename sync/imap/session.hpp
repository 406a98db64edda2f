// An IMAP client session over a Transport: tags, a pipeline of in-flight commands, capability
// tracking, authentication, ENABLE, IDLE, NOTIFY, and dispatch of untagged responses whenever they
// arrive.
//
// The session is synchronous and single-threaded: send() queues a command (written at once while
// the pipeline has room), wait() pumps the connection until that command's tagged response is in,
// handing every untagged response to the UntaggedHandler on the way. Several send() calls before
// one wait() pipeline the commands.
//
// Time limits: no wait is open-ended. A command (and the greeting) must make progress within
// SessionOptions::timeout, else Error(unavailable) (exit 75). Progress is:
//   - an answer: a tagged response, a continuation request that a command waits for, the greeting,
//     or untagged data (FETCH, EXISTS, EXPUNGE, VANISHED, LIST, STATUS, SEARCH, CAPABILITY, ...);
//   - our own bytes accepted by the server (the transport renews its deadline every
//     kProgressBytes accepted, so a long APPEND on a slow uplink goes on while it moves), also
//     after write_all returned: while waiting for an answer, the kernel's send queue
//     (Transport::unsent_bytes) shrinking by kProgressBytes, or to empty, is progress;
//   - kProgressBytes received of responses not yet complete (a large literal arriving slowly): a
//     server that sends less than that in one timeout — one byte a second in the greeting or in a
//     literal — is taken for dead.
// Chatter is not progress: an untagged status response after the greeting (Dovecot's "* OK Still
// here", "* OK [ALERT] ...", "* NO ...", a BYE the server does not close the connection after),
// or an AUTHENTICATE challenge beyond the two a one-step mechanism can need. A server that only
// chatters times out after `timeout`, and one that chatters fast is stopped sooner, after
// `max_chatter` such responses in a row without an answer. During IDLE, chatter is the normal
// keep-alive and idle_wait()'s own deadline bounds the wait. LOGOUT is not waited for.
// Trade-offs: Dovecot's notes during a slow SEARCH ("* OK Searched 50% of the mailbox") are chatter
// too, so a command whose first answer takes longer than `timeout` fails (raise timeout_seconds for
// such a server); and a server that streams valid data for ever, say "* 1 EXISTS" in a loop, is
// not bounded here.
//
// States (RFC 9051 §3):
//   not_authenticated --LOGIN/AUTHENTICATE OK--> authenticated --SELECT OK--> selected
//   (greeting PREAUTH goes straight to authenticated; any state --LOGOUT/BYE--> logged_out)
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sync/imap/command.hpp"
#include "sync/imap/parser.hpp"
#include "sync/imap/response.hpp"
#include "sync/imap/sequence_map.hpp"
#include "sync/imap/transport.hpp"

namespace mailsync::imap {

enum class SessionState { not_authenticated, authenticated, selected, logged_out };

struct SessionOptions {
    std::size_t max_in_flight = 32;                 // commands written but not yet answered
    std::chrono::milliseconds timeout{60000};       // no progress for this long is a dead server
    std::size_t max_chatter = 1000;                 // untagged responses in a row that answer nothing
    ParserLimits limits;
};

// Receives every untagged response (and nothing else) as it arrives, in order.
class UntaggedHandler {
public:
    virtual ~UntaggedHandler() = default;
    virtual void on_untagged(const Response& response) = 0;
};

// What SELECT / EXAMINE reported.
struct SelectedMailbox {
    std::string name;
    bool read_only = false;
    std::uint32_t exists = 0;
    std::uint32_t uidvalidity = 0;
    std::uint32_t uidnext = 0;
    std::optional<std::uint64_t> highestmodseq;  // nullopt: NOMODSEQ or no CONDSTORE
    std::vector<std::string> flags;
    std::vector<std::string> permanent_flags;
};

class Session {
public:
    Session(std::unique_ptr<Transport> transport, SessionOptions options = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Reads the server greeting. BYE is Error(unavailable) with the server's text.
    void read_greeting();

    SessionState state() const { return state_; }
    bool has_capability(std::string_view name) const;  // case-insensitive
    const std::set<std::string>& capabilities() const { return capabilities_; }
    bool is_enabled(std::string_view name) const;
    Transport& transport() { return *transport_; }

    // STARTTLS; a NO/BAD or a server without STARTTLS is an error, never a fallback to plaintext.
    void starttls();
    // COMPRESS DEFLATE (RFC 4978, session_compress.cpp): after the server's OK every byte both
    // ways goes through DeflateTransport. Returns false, changing nothing, when the server does
    // not offer COMPRESS=DEFLATE, TLS already compresses, compression is on already, or the server
    // answers NO or BAD (its text then in compress_refusal()).
    bool compress();
    const std::optional<std::string>& compress_refusal() const { return compress_refusal_; }
    // LOGIN, or AUTHENTICATE PLAIN (with SASL-IR when offered). NO is Error(auth).
    void login(const std::string& user, const std::string& password);
    void authenticate_plain(const std::string& user, const std::string& password);
    // AUTHENTICATE mechanism with a client-first message (already encoded, not base64).
    // Refused (NO) is an answer, not an error, so the caller may refresh a token and retry; its
    // text is the server's reason, for the message the caller gives the user.
    struct AuthenticateAnswer {
        bool accepted = false;
        std::string text;  // the server's text of a refusal
        explicit operator bool() const { return accepted; }
    };
    AuthenticateAnswer authenticate(const std::string& mechanism, const std::string& initial_response);
    // LOGIN (or, `sasl_plain`, AUTHENTICATE PLAIN with SASL-IR) sent without waiting for its answer,
    // so that the commands sent next go in the same flight (RFC 9051 §5.5: a client may send
    // commands after LOGIN without waiting; a failed login makes the server refuse them). Until
    // the answer, has_capability() answers from `expected` (the list the server gave after the last
    // login; empty: the greeting's), so that what follows can be chosen; the answer's CAPABILITY
    // code (else a CAPABILITY command at the next wait) replaces it. The answer is taken whenever
    // it arrives: a refusal is Error(auth) (BAD: Error(protocol)) from the wait that read it, and
    // leaves the session logged out.
    void login_pipelined(const std::string& user, const std::string& password, bool sasl_plain,
                         const std::set<std::string>& expected);
    bool login_in_flight() const { return login_in_flight_.has_value(); }
    // ENABLE; returns what the server reported as enabled.
    std::vector<std::string> enable(const std::vector<std::string>& capabilities);
    // SELECT / EXAMINE; NO is Error(protocol) naming the mailbox unless `allow_no`, when nullopt.
    std::optional<SelectedMailbox> select(const cmd::Select& select, bool allow_no = false);
    const std::optional<SelectedMailbox>& selected() const { return selected_; }
    // Sends LOGOUT (when nothing is in flight) and closes, without waiting for the answer.
    void logout() noexcept;

    // ---- generic commands ----
    std::string send(Command command);
    StatusResponse wait(const std::string& tag);
    StatusResponse run(Command command) { return wait(send(std::move(command))); }
    // run(), but a NO or BAD is Error(protocol) "server refused <what>: <text>".
    StatusResponse run_ok(Command command);
    // Waits for every command sent so far.
    void wait_all();
    // Whether the tagged answer to `tag` has arrived and not yet been collected by wait(): while
    // responses are dispatched, the answers of pipelined commands come in the order they were sent.
    bool is_answered(const std::string& tag) const { return finished_.count(tag) > 0; }

    void set_handler(UntaggedHandler* handler) { handler_ = handler; }
    void set_body_sink(BodySink* sink) { parser_.set_body_sink(sink); }
    const SequenceMap& sequence_map() const { return sequence_map_; }

    // ---- IDLE (RFC 2177) ----
    void idle_start();
    // Pumps until a change is reported (true) or the deadline passes (false): EXISTS, EXPUNGE,
    // VANISHED, FETCH or RECENT of the selected mailbox, and under NOTIFY also STATUS (another
    // mailbox), LIST (the mailbox list) and OK [NOTIFICATIONOVERFLOW]. Keep-alives are not changes.
    bool idle_wait(Deadline until);
    void idle_done();

    // ---- NOTIFY (RFC 5465) ----
    // Sends NOTIFY SET / NONE and returns the server's answer. NO (e.g. [BADEVENT ...] or
    // [NOTIFICATIONOVERFLOW]) and BAD leave the notification state as it was; OK makes it that of
    // the command. Notifications then arrive at any time, to the UntaggedHandler.
    StatusResponse notify(const cmd::Notify& notify);
    // Whether the server has been asked to notify and has not stopped: false again after NOTIFY
    // NONE or an untagged OK [NOTIFICATIONOVERFLOW] (the server then behaves as after NOTIFY NONE).
    bool notifying() const { return notifying_; }

    EncoderOptions encoder_options() const;

private:
    struct Pending {
        enum class Kind { normal, idle, authenticate };
        std::string tag;
        std::string what;                 // the command in words, for timeout messages
        Kind kind = Kind::normal;
        int continuations = 0;            // "+" requests answered (AUTHENTICATE)
        EncodedCommand encoded;
        std::size_t next_part = 0;        // parts before this index are written
        bool written = false;             // every part is written
        std::optional<std::string> sasl_response;  // AUTHENTICATE without SASL-IR: sent after "+"
        bool pipelinable = false;         // an AUTHENTICATE that needs no "+": commands may follow it
    };
    struct LoginInFlight {
        std::string tag;
        std::string user;   // for the error message
    };

    void pump_once(Deadline deadline);
    // pump_once() bounded by the progress rule (header comment); a timeout names what was awaited.
    void pump_for_answer();
    void note_answer();    // an answer arrived: the deadline and the chatter count start again
    void note_progress();  // bytes moved: the deadline starts again, the chatter count does not
    void note_chatter();
    bool uplink_moved();   // the send queue drained by kProgressBytes, or to empty, since last asked
    std::string awaited() const;
    [[noreturn]] void no_progress();
    void dispatch(Response response);
    void on_continuation(const Continuation& continuation);
    void on_tagged(StatusResponse response);
    void on_untagged(const Response& response);
    void note_code(const ResponseCode& code);
    void write_ready();
    void write_parts(Pending& pending);
    Pending* awaiting_continuation();
    Deadline next_deadline() const;
    void refresh_capabilities();
    void settle_login(const StatusResponse& response);   // session_login.cpp
    void refresh_capabilities_after_login();
    [[noreturn]] void connection_lost(const std::string& why);

    std::unique_ptr<Transport> transport_;
    SessionOptions options_;
    Parser parser_;
    SessionState state_ = SessionState::not_authenticated;
    std::set<std::string> capabilities_;
    std::set<std::string> enabled_;
    std::uint64_t next_tag_ = 1;
    std::deque<Pending> pending_;        // in send order; answered ones are removed by wait()
    std::map<std::string, StatusResponse> finished_;  // answered but not yet collected by wait()
    UntaggedHandler* handler_ = nullptr;
    std::optional<SelectedMailbox> selected_;
    std::optional<SelectedMailbox> selecting_;  // filled by untagged data during SELECT
    SequenceMap sequence_map_;
    std::optional<std::string> bye_text_;
    bool greeting_seen_ = false;
    bool capabilities_fresh_ = false;  // a CAPABILITY list arrived since we last cleared it
    bool idling_ = false;
    bool notifying_ = false;
    bool idle_event_ = false;
    std::string idle_tag_;
    std::optional<std::string> starttls_tag_;  // STARTTLS in flight: nothing may follow its answer
    std::optional<std::string> compress_tag_;  // COMPRESS in flight: what follows its answer is compressed
    std::optional<std::string> compress_refusal_;  // the server's text when it refused COMPRESS
    std::optional<LoginInFlight> login_in_flight_;  // login_pipelined() not yet answered
    bool capabilities_after_login_ = false;         // logged in without a CAPABILITY code: ask at the next wait
    Deadline progress_deadline_{};             // when waiting for an answer must give up
    std::uint64_t received_since_progress_ = 0;  // bytes read since the deadline last moved
    std::size_t chatter_ = 0;                  // responses that answered nothing since the last answer
    std::uint64_t unsent_ = 0;                 // the send queue when last looked at
};

// Gives the session's untagged responses to `handler` while the scope lasts, then to nobody, also
// when an exception leaves it: a handler that outlives its scope would be called dangling.
class ScopedHandler {
public:
    ScopedHandler(Session& session, UntaggedHandler& handler) : session_(session) { session_.set_handler(&handler); }
    ~ScopedHandler() { session_.set_handler(nullptr); }
    ScopedHandler(const ScopedHandler&) = delete;
    ScopedHandler& operator=(const ScopedHandler&) = delete;

private:
    Session& session_;
};

}  // namespace mailsync::imap

// Session-level fault campaigns against the real Dovecot: connections cut at byte offsets spread
// over login, LIST and the FETCH of a large message, in both directions, and stalled servers.
// Every trial must end in completion or Error(unavailable) — never a hang, a crash, or another kind
// of error — and a stall must be detected by the session's deadline.
//
// Short version in CI. The long campaign is the same tests with more fault points:
//   MAILSYNC_FAULT_POINTS=200 ctest --test-dir build -R session_faults -V
// (each test prints its result table). When the sync engine lands, its scenarios (first sync,
// incremental sync, replay) become more Scenario functions here, with store checks after each.
#include <catch2/catch.hpp>

#include <iostream>

#include "common/error.hpp"
#include "sync/server/connect.hpp"
#include "sync/imap/session.hpp"
#include "tests/fault/fault_driver.hpp"
#include "tests/support/dovecot.hpp"

using namespace std::chrono_literals;
using namespace mailsync;
using namespace mailsync::test;

namespace {

constexpr auto kCutTimeout = 10s;    // a cut is seen as an end of stream, long before this
constexpr auto kStallTimeout = 1s;   // the session's silence deadline in stall trials
constexpr auto kHangBound = 30s;

struct Account {
    DovecotFixture::User user;
    std::chrono::milliseconds timeout = kCutTimeout;
};

sync::Connection open(const Account& account, std::uint16_t port, std::chrono::milliseconds timeout) {
    sync::ServerSettings settings;
    settings.endpoint.host = "127.0.0.1";
    settings.endpoint.port = port;
    settings.endpoint.tls = imap::TlsMode::none;
    settings.endpoint.connect_timeout = 5s;
    settings.user = account.user.name;
    settings.timeout = timeout;
    const std::string password = account.user.password;
    return sync::connect(settings, [password](bool) { return password; });
}

// Counts body bytes; keeps nothing (a large message must not sit in memory).
struct CountingSink : imap::BodySink {
    std::uint64_t announced = 0, received = 0;
    int finished = 0;
    void begin(const imap::BodyContext& context) override {
        announced = context.size;
        received = 0;
    }
    void write(std::string_view chunk) override { received += chunk.size(); }
    void finish() override { ++finished; }
};

// The scenarios. Each takes the session timeout so that stall trials can use a short one.
using TimedScenario = std::function<void(std::uint16_t port, std::chrono::milliseconds timeout)>;

TimedScenario login_scenario(const Account& account) {
    return [account](std::uint16_t port, std::chrono::milliseconds timeout) {
        auto connection = open(account, port, timeout);
        connection.session->logout();
    };
}

TimedScenario list_scenario(const Account& account) {
    return [account](std::uint16_t port, std::chrono::milliseconds timeout) {
        auto connection = open(account, port, timeout);
        imap::cmd::List list;
        list.return_special_use = true;
        list.return_status = {"MESSAGES", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ"};
        connection.session->run_ok(list);
        connection.session->logout();
    };
}

TimedScenario fetch_scenario(const Account& account, std::uint64_t size) {
    return [account, size](std::uint16_t port, std::chrono::milliseconds timeout) {
        auto connection = open(account, port, timeout);
        auto& session = *connection.session;
        imap::cmd::Select select;
        select.mailbox = "INBOX";
        session.select(select);
        CountingSink sink;
        session.set_body_sink(&sink);
        imap::cmd::UidFetch fetch;
        fetch.uids.add(1);
        fetch.to_star = true;
        fetch.items = {"UID", "FLAGS", "BODY.PEEK[]"};
        session.run_ok(fetch);
        session.set_body_sink(nullptr);
        // A completed FETCH delivered the whole body: a cut must never pass for a short message.
        if (sink.finished != 1 || sink.received != size || sink.announced != size)
            throw std::logic_error("FETCH completed with " + std::to_string(sink.received) + " of " +
                                   std::to_string(size) + " bytes");
        session.logout();
    };
}

CampaignSummary campaign(const std::string& name, const TimedScenario& scenario, std::size_t cuts, std::size_t stalls) {
    const auto& dovecot = DovecotFixture::get();
    FaultCampaign faults(dovecot.host, dovecot.imap_port, kHangBound);
    const auto [to_server, to_client] = faults.calibrate([&](std::uint16_t port) { scenario(port, kCutTimeout); });
    CAPTURE(to_server, to_client);
    REQUIRE(to_client > 0);
    const auto points = standard_fault_points(to_server, to_client, cuts, 0);
    CampaignSummary summary = faults.run(name, [&](std::uint16_t port) { scenario(port, kCutTimeout); }, points);
    // Stalls with a short session deadline: each costs about that deadline.
    std::vector<FaultPoint> stall_points;
    for (auto n : spread_offsets(to_client, stalls)) stall_points.push_back({FaultKind::stall, Direction::server_to_client, n});
    const CampaignSummary stalled = faults.run(name, [&](std::uint16_t port) { scenario(port, kStallTimeout); }, stall_points);
    summary.trials += stalled.trials;
    summary.stalls += stalled.stalls;
    summary.completed += stalled.completed;
    summary.unavailable += stalled.unavailable;
    summary.failures += stalled.failures;
    summary.max_seconds = std::max(summary.max_seconds, stalled.max_seconds);
    summary.failed.insert(summary.failed.end(), stalled.failed.begin(), stalled.failed.end());
    summary.bytes_to_server = to_server;
    summary.bytes_to_client = to_client;
    print_table(std::cout, {summary});
    std::cout << name << ": " << to_server << " bytes to the server, " << to_client << " to the client per run\n";
    return summary;
}

void check(const CampaignSummary& summary) {
    for (const auto& failure : summary.failed) FAIL_CHECK(failure.fault.describe() << ": " << failure.message);
    CHECK(summary.failures == 0);
    // Most faults must actually bite: a campaign whose trials all complete tests nothing.
    CHECK(summary.unavailable * 2 >= summary.trials);
}

}  // namespace

TEST_CASE("session faults: login cut or stalled anywhere", "[fault][session_faults]") {
    Account account{unique_user("flt_login")};
    const auto summary = campaign("login", login_scenario(account), fault_points_from_environment(24), 3);
    check(summary);
}

TEST_CASE("session faults: LIST cut or stalled anywhere", "[fault][session_faults]") {
    Account account{unique_user("flt_list")};
    const auto summary = campaign("list", list_scenario(account), fault_points_from_environment(24), 3);
    check(summary);
}

TEST_CASE("session faults: FETCH of a large message cut or stalled anywhere", "[fault][session_faults]") {
    Account account{unique_user("flt_fetch")};
    std::string message = "From: a@example.org\r\nTo: b@example.org\r\nSubject: large\r\n"
                          "Message-ID: <large@fault.test>\r\n\r\n";
    std::string line(76, 'x');
    line += "\r\n";
    while (message.size() < (2u << 20)) message += line;
    seed(account.user.name, "INBOX", message);
    const auto summary = campaign("fetch 2 MB", fetch_scenario(account, message.size()), fault_points_from_environment(32), 4);
    check(summary);
}

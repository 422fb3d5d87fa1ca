// The rate_limit filter in a running proxy: connection floods answered with 429 before the
// upgrade, excess messages dropped with an error frame or closed with 1008, byte limits, shadow
// mode, one limit shared by two processes through Redis, and Redis going away.
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_client.h"
#include "tests/support/redis_client.h"
#include "tests/support/source_address.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kLocal = R"(
instance: e2e-rate-limit
workers: 2
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: conns
        path: /conns
        filters:
          - rate_limit: { connections: { rate: 3/m } }
        upstream: { echo: {} }
      - name: drop
        path: /drop
        filters:
          - rate_limit: { messages: { rate: 5/m } }
        upstream: { echo: {} }
      - name: close
        path: /close
        filters:
          - rate_limit: { messages: { rate: 2/m, action: close } }
        upstream: { echo: {} }
      - name: bytes
        path: /bytes
        filters:
          - rate_limit: { bytes: { rate: 1KiB/m } }
        upstream: { echo: {} }
      - name: shadow
        path: /shadow
        filters:
          - rate_limit: { connections: { rate: 1/m }, messages: { rate: 2/m }, shadow: true }
        upstream: { echo: {} }
)";

constexpr std::string_view kShared = R"(
instance: e2e-rate-limit-@N@
workers: 2
admin: { address: 127.0.0.1:0 }
buses:
  redis: { url: "@REDIS@", reconnect_max: 200ms }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: shared
        path: /shared
        filters:
          - rate_limit:
              connections: { rate: 3/m }
              messages: { rate: 3/m }
              per: ip
              backend: redis
              key_prefix: "@PREFIX@"
        upstream: { echo: {} }
      - name: open
        path: /open
        filters:
          - rate_limit: { connections: { rate: 100/s }, backend: redis, key_prefix: "@PREFIX@" }
        upstream: { echo: {} }
      - name: closed
        path: /closed
        filters:
          - rate_limit:
              connections: { rate: 100/s }
              backend: redis
              failure_mode: deny
              key_prefix: "@PREFIX@"
        upstream: { echo: {} }
)";

std::string decisions(std::string_view decision) {
  return R"(holdfast_filter_decisions_total{filter="rate_limit",decision=")" +
         std::string(decision) + "\"}";
}

// The counter once it has reached `want` (counters move just after the client sees the answer).
double counted(const HoldfastProcess& proxy, std::string_view decision, double want) {
  return proxy.wait_metric(
      decisions(decision), [&](double v) { return v >= want; }, Millis(3000));
}

std::unique_ptr<WsClient> try_connect(const HoldfastProcess& proxy, const std::string& path) {
  auto ws = std::make_unique<WsClient>();
  ws->connect("127.0.0.1", proxy.port(), path);
  return ws;
}

bool is_error_frame(const WsEvent& ev) {
  return ev.kind == WsEvent::Kind::Text &&
         ev.data.find(R"("error":"rate_limited")") != std::string::npos &&
         ev.data.find(R"("message":"message rate limit exceeded")") != std::string::npos &&
         ev.data.find(R"("retry_after_ms":)") != std::string::npos;
}

void expect_echo(WsClient& ws, const std::string& text) {
  REQUIRE(ws.send_text(text));
  const WsEvent ev = ws.recv(Millis(5000));
  INFO(describe(ev));
  CHECK((ev.kind == WsEvent::Kind::Text && ev.data == text));
}

void expect_error_frame(WsClient& ws, const std::string& text) {
  REQUIRE(ws.send_text(text));
  const WsEvent ev = ws.recv(Millis(5000));
  INFO(describe(ev));
  CHECK(is_error_frame(ev));
}

// Two processes whose rate limits share Redis keys under one prefix of their own.
struct SharedSetup {
  explicit SharedSetup(std::string redis) : redis_url(std::move(redis)) {}
  std::string config(int n) const {
    return fill(kShared, {{"N", std::to_string(n)}, {"PREFIX", prefix}, {"REDIS", redis_url}});
  }
  std::string redis_url;
  std::string prefix = unique_topic("e2e:rl") + ":";
};

// The rate limiters' Redis links in kShared: two workers, three routes with `backend: redis`.
constexpr double kLimiterLinks = 6;
constexpr std::string_view kLimiterLinksUp = R"(holdfast_redis_links_up{link="rate_limit"})";

// Waits until every rate limiter's Redis link is up, so that the first decisions go to Redis
// rather than to failure_mode.
void settle(const HoldfastProcess& proxy) {
  CHECK(proxy.wait_metric(
            kLimiterLinksUp, [](double v) { return v >= kLimiterLinks; }, Millis(5000)) ==
        kLimiterLinks);
}

}  // namespace

TEST_CASE("rate_limit: a connection flood from one IP gets 429, another IP is unaffected",
          "[filters][rate_limit]") {
  HoldfastProcess proxy(fill(kLocal, {}));
  std::vector<std::unique_ptr<WsClient>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(try_connect(proxy, "/conns"));
    INFO("connection " << i << ": " << open.back()->error());
    REQUIRE(open.back()->response().status == 101);
  }
  auto flood = try_connect(proxy, "/conns");
  const HttpResponse& r = flood->response();
  CHECK(r.status == 429);
  const auto retry = r.header("Retry-After");
  REQUIRE(retry);
  CHECK(std::stoi(*retry) >= 19);  // one connection every 20 s
  CHECK(std::stoi(*retry) <= 20);
  CHECK(r.body.find(R"("error":"rate_limited")") != std::string::npos);
  CHECK(r.body.find(R"("message":"too many connection attempts")") != std::string::npos);
  CHECK(r.body.find(R"("retry_after_ms":)") != std::string::npos);

  UpgradeFrom other("127.0.0.2", "127.0.0.1", proxy.port(), "/conns");
  INFO(other.error());
  CHECK(other.response().status == 101);
  CHECK(try_connect(proxy, "/conns")->response().status == 429);  // still limited

  CHECK(counted(proxy, "allowed", 4) == 4);
  CHECK(counted(proxy, "limited", 2) == 2);
  CHECK(proxy.metric(R"(holdfast_connections_total{route="conns",result="rejected_rate"})") == 2);
  expect_echo(*open[0], "still here");
}

TEST_CASE(
    "rate_limit: excess messages are dropped, the client is told once a second, and the "
    "connection stays open",
    "[filters][rate_limit]") {
  HoldfastProcess proxy(fill(kLocal, {}));
  auto flood = open_ws(proxy, "/drop");
  for (int i = 0; i < 10; ++i)
    REQUIRE(flood->send_text("m" + std::to_string(i)));
  std::vector<std::string> echoed;
  int errors = 0;
  for (int i = 0; i < 6; ++i) {
    const WsEvent ev = flood->recv(Millis(5000));
    INFO(describe(ev));
    REQUIRE(ev.kind == WsEvent::Kind::Text);
    if (is_error_frame(ev)) {
      ++errors;
    } else {
      echoed.push_back(ev.data);
    }
  }
  // Five echoes and one notice for the five dropped in a row; nothing more comes.
  CHECK(errors == 1);
  CHECK(echoed == std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"});
  CHECK(counted(proxy, "limited", 5) == 5);
  const WsEvent quiet = flood->recv(Millis(300));
  INFO(describe(quiet));
  CHECK(quiet.kind == WsEvent::Kind::Timeout);

  // A well-behaved client on the same route is served, and the flooder is still connected and,
  // a second after the last notice, told again.
  auto calm = open_ws(proxy, "/drop");
  expect_echo(*calm, "hello");
  std::this_thread::sleep_for(Millis(1000));
  expect_error_frame(*flood, "again");
  CHECK(counted(proxy, "allowed", 6) == 6);
  CHECK(counted(proxy, "limited", 6) == 6);
  CHECK(proxy.metric(R"(holdfast_connections_active{route="drop"})") == 2);
}

TEST_CASE("rate_limit: action close closes the connection with 1008", "[filters][rate_limit]") {
  HoldfastProcess proxy(fill(kLocal, {}));
  auto ws = open_ws(proxy, "/close");
  expect_echo(*ws, "one");
  expect_echo(*ws, "two");
  REQUIRE(ws->send_text("three"));
  const WsEvent ev = ws->recv(Millis(5000));
  INFO(describe(ev));
  CHECK(ev.is_close(1008));
  CHECK(ev.close_reason == "rate limit exceeded");
  CHECK(ws->wait_eof(Millis(5000)));
  CHECK(counted(proxy, "limited", 1) == 1);
}

TEST_CASE("rate_limit: a byte limit per connection", "[filters][rate_limit]") {
  HoldfastProcess proxy(fill(kLocal, {}));
  auto ws = open_ws(proxy, "/bytes");
  expect_echo(*ws, std::string(600, 'a'));
  expect_error_frame(*ws, std::string(600, 'b'));   // 1200 bytes is over the 1 KiB burst
  expect_echo(*ws, std::string(424, 'c'));          // what is left of it
  expect_error_frame(*ws, std::string(2000, 'd'));  // never fits
  auto fresh = open_ws(proxy, "/bytes");            // another connection has its own
  expect_echo(*fresh, std::string(1000, 'e'));
  CHECK(counted(proxy, "allowed", 3) == 3);
  CHECK(counted(proxy, "limited", 2) == 2);
}

TEST_CASE("rate_limit: shadow lets everything through and counts what it would refuse",
          "[filters][rate_limit]") {
  HoldfastProcess proxy(fill(kLocal, {}));
  auto first = open_ws(proxy, "/shadow");
  auto second = open_ws(proxy, "/shadow");  // over 1/m, let through
  for (int i = 0; i < 5; ++i)
    expect_echo(*first, "s" + std::to_string(i));
  CHECK(counted(proxy, "shadow_limited", 4) == 1 + 3);
  CHECK(counted(proxy, "allowed", 3) == 1 + 2);
  CHECK(proxy.metric(decisions("limited")) == 0);
}

TEST_CASE("rate_limit: backend redis shares one limit between two processes",
          "[filters][rate_limit][redis]") {
  SharedSetup setup(redis_url());
  HoldfastProcess a(setup.config(1));
  HoldfastProcess b(setup.config(2));
  settle(a);
  settle(b);
  // Each connection's decision is back from Redis before the next connection is made: the two
  // processes' requests would otherwise race to Redis, and the fourth to arrive is refused.
  auto connect = [](const HoldfastProcess& p, double allowed_before) {
    auto ws = open_ws(p, "/shared");
    CHECK(counted(p, "allowed", allowed_before + 1) == allowed_before + 1);
    return ws;
  };
  auto a1 = connect(a, 0);
  auto b1 = connect(b, 0);
  auto a2 = connect(a, 1);
  // The fourth connection from this address: a Redis decision comes after the upgrade, so the
  // refusal is a close.
  auto b2 = open_ws(b, "/shared");
  const WsEvent refused = b2->recv(Millis(5000));
  INFO(describe(refused));
  CHECK(refused.is_close(1013));
  CHECK(refused.close_reason == "too many connection attempts");

  // Three messages a minute from this address, whichever process they reach.
  expect_echo(*a1, "one");
  expect_echo(*a2, "two");
  expect_echo(*b1, "three");
  expect_error_frame(*b1, "four");
  expect_error_frame(*a1, "five");

  CHECK(counted(a, "allowed", 4) + counted(b, "allowed", 2) == 6);
  CHECK(counted(a, "limited", 1) + counted(b, "limited", 2) == 3);
  CHECK(a.metric(decisions("backend_fail_allow")) + b.metric(decisions("backend_fail_allow")) == 0);
  RedisClient redis(redis_url());
  const auto ttl = redis.command({"PTTL", setup.prefix + "shared:msg:ip:127.0.0.1"});
  CHECK(ttl.integer > 0);
  CHECK(ttl.integer <= 60'000);
}

TEST_CASE("rate_limit: with Redis down, failure_mode allow lets through and deny refuses",
          "[filters][rate_limit][redis]") {
  RedisServer server;
  SharedSetup setup(server.url());
  HoldfastProcess proxy(setup.config(1));
  settle(proxy);
  auto up = open_ws(proxy, "/closed");  // Redis answers: allowed
  CHECK(counted(proxy, "allowed", 1) == 1);

  server.stop();
  // The links see the connection end.
  CHECK(proxy.wait_metric(
            kLimiterLinksUp, [](double v) { return v == 0; }, Millis(5000)) == 0);
  auto open = try_connect(proxy, "/open");
  CHECK(open->response().status == 101);
  auto closed = try_connect(proxy, "/closed");
  const HttpResponse& r = closed->response();
  CHECK(r.status == 429);  // decided at once, so still an HTTP answer
  CHECK(r.header("Retry-After") == std::optional<std::string>("1"));
  CHECK(r.body.find(R"("message":"rate limit unavailable")") != std::string::npos);
  CHECK(counted(proxy, "backend_fail_allow", 1) == 1);
  CHECK(counted(proxy, "backend_fail_deny", 1) == 1);
  CHECK(proxy.metric(decisions("allowed")) == 1);

  // Back again: decisions go to Redis again.
  server.start();
  const auto deadline = Clock::now() + Millis(10000);
  int status = 0;
  while (Clock::now() < deadline) {
    auto again = try_connect(proxy, "/closed");
    status = again->response().status;
    if (status == 101) break;
    std::this_thread::sleep_for(Millis(100));
  }
  CHECK(status == 101);
  CHECK(proxy.wait_metric(
            kLimiterLinksUp, [](double v) { return v >= kLimiterLinks; }, Millis(5000)) ==
        kLimiterLinks);
}

}  // namespace holdfast::test::e2e

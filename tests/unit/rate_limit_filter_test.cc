// The rate_limit filter's decisions with the local backend, against a host that records what the
// filter counts and resumes: the shape of every refusal, shared keys across workers, shadow.
#include <uv.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/loader.h"
#include "filters/rate_limit/rate_limit.h"
#include "filters/registry.h"
#include "proxy/stats.h"

namespace holdfast::filters::rate_limit {
namespace {

class RecordingHost final : public Host {
 public:
  RecordingHost() { uv_loop_init(&loop_); }
  ~RecordingHost() override { uv_loop_close(&loop_); }
  uv_loop_t* loop() override { return &loop_; }
  unsigned worker_index() const override { return 0; }
  Stats& stats() override { return stats_; }
  void resume(const Pending& pending, const Rejection* rejection) override {
    resumed.push_back({pending.handle, rejection != nullptr});
  }
  void count(size_t /*filter_type*/, uint8_t decision) override { ++counted[decision]; }

  std::map<uint8_t, int> counted;
  std::vector<std::pair<uint64_t, bool>> resumed;

 private:
  uv_loop_t loop_;
  Stats stats_{0};
};

// One rate_limit entry made the way the proxy makes it: config, factory, a filter per worker.
struct Setup {
  explicit Setup(const std::string& filter_yaml, bool with_redis = false) {
    std::string yaml = with_redis ? "buses:\n  redis: { url: \"redis://127.0.0.1:1\" }\n" : "";
    yaml += R"(listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
        filters:
          - rate_limit: )";
    yaml += filter_yaml;
    yaml += '\n';
    auto result = config::load_string(yaml, "holdfast.yaml");
    for (const auto& e : result.errors)
      FAIL(e.to_string());
    config = result.config;
    type = find_type("rate_limit");
    factory = type->make(config->listeners[0].routes[0]->filters[0].settings,
                         ProcessEnv{nullptr, config.get(), 1});
  }
  std::unique_ptr<Filter> worker(RecordingHost& host) {
    return factory->for_worker(WorkerEnv{&host, type_index(*type)});
  }

  std::shared_ptr<const config::Config> config;
  const FilterType* type = nullptr;
  std::shared_ptr<FilterFactory> factory;
};

// One connection through one filter.
struct Conn {
  Conn(Filter& f, std::string_view ip, std::string_view user = {}) : filter(f) {
    conn.client_ip.append(ip);
    conn.auth_id.append(user);
    conn.route = "a";
    conn.handle = 7;
    state = filter.new_state();
  }
  Verdict upgrade() {
    rejection = Rejection{};
    Call call{conn, state.get(), Pending{conn.handle, 0}, &rejection};
    return filter.on_upgrade(Request{}, call);
  }
  Verdict send(std::string_view data) {
    rejection = Rejection{};
    Call call{conn, state.get(), Pending{conn.handle, 0}, &rejection};
    return filter.on_message(Message{data, false}, call);
  }

  Filter& filter;
  Connection conn;
  std::unique_ptr<ConnectionState> state;
  Rejection rejection;
};

}  // namespace

TEST_CASE("rate_limit: excess messages are dropped with one shape of refusal") {
  Setup s("{ messages: { rate: 2/s } }");
  RecordingHost host;
  auto filter = s.worker(host);
  Conn c(*filter, "192.0.2.1");
  CHECK(c.send("one") == Verdict::Continue);
  CHECK(c.send("two") == Verdict::Continue);
  REQUIRE(c.send("three") == Verdict::Stop);
  const Rejection& r = c.rejection;
  CHECK(r.kind == RejectKind::Rate);
  CHECK(r.drop_message);
  CHECK(r.error == "rate_limited");
  CHECK(r.message == "message rate limit exceeded");
  CHECK(r.decision == kLimited);
  CHECK(r.retry_after == 1);
  CHECK(r.retry_after_ms > 0);
  CHECK(r.retry_after_ms <= 500);
  CHECK(host.counted[kAllowed] == 2);
  CHECK(host.counted.size() == 1);  // refusals are counted by the proxy, from the rejection

  // Another connection has its own limit.
  Conn other(*filter, "192.0.2.1");
  CHECK(other.send("hello") == Verdict::Continue);
}

TEST_CASE("rate_limit: action close closes with 1008") {
  Setup s("{ messages: { rate: 1/m, action: close } }");
  RecordingHost host;
  auto filter = s.worker(host);
  Conn c(*filter, "192.0.2.1");
  CHECK(c.send("one") == Verdict::Continue);
  REQUIRE(c.send("two") == Verdict::Stop);
  CHECK_FALSE(c.rejection.drop_message);
  CHECK(c.rejection.close_code == 1008);
  CHECK(c.rejection.message == "rate limit exceeded");
  CHECK(c.rejection.retry_after >= 59);
  CHECK(c.rejection.retry_after <= 60);
}

TEST_CASE("rate_limit: new connections per IP, shared by every worker") {
  Setup s("{ connections: { rate: 1/m, burst: 2 } }");
  RecordingHost host1, host2;
  auto worker1 = s.worker(host1);
  auto worker2 = s.worker(host2);
  CHECK(worker1->new_state() == nullptr);  // nothing kept per connection
  Conn a1(*worker1, "192.0.2.1"), a2(*worker2, "192.0.2.1"), a3(*worker1, "192.0.2.1");
  CHECK(a1.upgrade() == Verdict::Continue);
  CHECK(a2.upgrade() == Verdict::Continue);
  REQUIRE(a3.upgrade() == Verdict::Stop);
  const Rejection& r = a3.rejection;
  CHECK(r.kind == RejectKind::Rate);
  CHECK(r.status == 429);
  CHECK(r.close_code == 1013);
  CHECK(r.error == "rate_limited");
  CHECK(r.message == "too many connection attempts");
  CHECK(r.decision == kLimited);
  CHECK(r.retry_after >= 59);  // the burst is spent: one a minute from now on
  CHECK(r.retry_after <= 60);
  CHECK_FALSE(r.drop_message);

  Conn b(*worker2, "192.0.2.2");  // another address is not affected
  CHECK(b.upgrade() == Verdict::Continue);
  CHECK(host1.counted[kAllowed] + host2.counted[kAllowed] == 3);

  // Another entry of the same filter has its own table.
  Setup other("{ connections: { rate: 1/m, burst: 2 } }");
  RecordingHost host3;
  auto worker3 = other.worker(host3);
  Conn a4(*worker3, "192.0.2.1");
  CHECK(a4.upgrade() == Verdict::Continue);
}

TEST_CASE("rate_limit: per user shares the limit, anonymous connections count alone") {
  Setup s("{ messages: { rate: 2/m }, per: user }");
  RecordingHost host;
  auto filter = s.worker(host);
  Conn alice1(*filter, "192.0.2.1", "alice"), alice2(*filter, "192.0.2.2", "alice");
  CHECK(alice1.send("a") == Verdict::Continue);
  CHECK(alice2.send("b") == Verdict::Continue);
  CHECK(alice1.send("c") == Verdict::Stop);
  CHECK(alice2.send("d") == Verdict::Stop);
  Conn bob(*filter, "192.0.2.1", "bob");
  CHECK(bob.send("e") == Verdict::Continue);
  Conn anon1(*filter, "192.0.2.1"), anon2(*filter, "192.0.2.1");
  CHECK(anon1.send("f") == Verdict::Continue);
  CHECK(anon1.send("g") == Verdict::Continue);
  CHECK(anon1.send("h") == Verdict::Stop);
  CHECK(anon2.send("i") == Verdict::Continue);
}

TEST_CASE("rate_limit: per ip shares the message limit across connections") {
  Setup s("{ messages: { rate: 1/m }, per: ip }");
  RecordingHost host;
  auto filter = s.worker(host);
  Conn a(*filter, "192.0.2.1"), b(*filter, "192.0.2.1"), c(*filter, "192.0.2.9");
  CHECK(a.send("x") == Verdict::Continue);
  CHECK(b.send("x") == Verdict::Stop);
  CHECK(c.send("x") == Verdict::Continue);
}

TEST_CASE("rate_limit: bytes per connection, and a message above the burst never passes") {
  Setup s("{ bytes: { rate: 1KiB/m } }");
  RecordingHost host;
  auto filter = s.worker(host);
  Conn c(*filter, "192.0.2.1");
  CHECK(c.send(std::string(1000, 'a')) == Verdict::Continue);
  REQUIRE(c.send(std::string(100, 'b')) == Verdict::Stop);
  CHECK(c.rejection.drop_message);
  CHECK(c.rejection.message == "message rate limit exceeded");
  CHECK(c.send(std::string(24, 'c')) == Verdict::Continue);  // exactly what is left

  Conn d(*filter, "192.0.2.1");
  REQUIRE(d.send(std::string(1025, 'd')) == Verdict::Stop);
  CHECK(d.rejection.retry_after >= 1);
  CHECK(d.send(std::string(1024, 'd')) == Verdict::Continue);
}

TEST_CASE("rate_limit: a message refused by the message limit spends no bytes") {
  Setup s("{ messages: { rate: 1/m }, bytes: { rate: 100/m } }");
  RecordingHost host;
  auto filter = s.worker(host);
  Conn c(*filter, "192.0.2.1");
  CHECK(c.send(std::string(10, 'a')) == Verdict::Continue);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(c.send(std::string(90, 'b')) == Verdict::Stop);
    // Refused for the message count; had it spent bytes, a 90-byte one would fail on bytes
    // with a far longer wait.
    CHECK(c.rejection.retry_after <= 60);
  }
}

TEST_CASE("rate_limit: shadow counts what it would refuse and lets everything through") {
  Setup s("{ messages: { rate: 2/m }, connections: { rate: 1/m }, shadow: true }");
  RecordingHost host;
  auto filter = s.worker(host);
  Conn a(*filter, "192.0.2.1"), b(*filter, "192.0.2.1");
  CHECK(a.upgrade() == Verdict::Continue);
  CHECK(b.upgrade() == Verdict::Continue);
  for (int i = 0; i < 5; ++i)
    CHECK(a.send("x") == Verdict::Continue);
  CHECK(host.counted[kAllowed] == 1 + 2);
  CHECK(host.counted[kShadowLimited] == 1 + 3);
}

TEST_CASE("rate_limit: backend redis without a Redis bus makes no filter") {
  // The config check refuses such a file; a factory asked anyway answers null, not a crash.
  const auto result = config::load_string(R"(buses: { redis: { url: "redis://127.0.0.1:1" } }
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
        filters:
          - rate_limit: { backend: redis, connections: { rate: 1/s } }
)",
                                          "holdfast.yaml");
  REQUIRE(result.config);
  const FilterType* type = find_type("rate_limit");
  CHECK(type->make(result.config->listeners[0].routes[0]->filters[0].settings,
                   ProcessEnv{nullptr, nullptr, 1}) == nullptr);
}

TEST_CASE("rate_limit: backend redis decides by failure_mode while Redis is away") {
  // Nothing listens on port 1: the link is down from the start.
  for (const bool deny : {false, true}) {
    INFO("deny " << deny);
    Setup s(deny ? "{ backend: redis, connections: { rate: 1/s }, messages: { rate: 1/s }, "
                   "per: ip, failure_mode: deny }"
                 : "{ backend: redis, connections: { rate: 1/s }, messages: { rate: 1/s }, "
                   "per: ip, failure_mode: allow }",
            true);
    RecordingHost host;
    auto filter = s.worker(host);
    Conn c(*filter, "192.0.2.1");
    if (deny) {
      REQUIRE(c.upgrade() == Verdict::Stop);
      CHECK(c.rejection.status == 429);
      CHECK(c.rejection.decision == kBackendFailDeny);
      CHECK(c.rejection.message == "rate limit unavailable");
      CHECK(c.rejection.retry_after == 1);
      REQUIRE(c.send("x") == Verdict::Stop);
      CHECK(c.rejection.drop_message);
      CHECK(c.rejection.decision == kBackendFailDeny);
      CHECK(host.counted.empty());
    } else {
      CHECK(c.upgrade() == Verdict::Continue);
      CHECK(c.send("x") == Verdict::Continue);
      CHECK(host.counted[kBackendFailAllow] == 2);
    }
    CHECK(host.resumed.empty());
    filter.reset();  // closes its handles on the loop
    uv_run(host.loop(), UV_RUN_NOWAIT);
    uv_run(host.loop(), UV_RUN_NOWAIT);
  }
}

}  // namespace holdfast::filters::rate_limit

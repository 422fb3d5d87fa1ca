// The rate_limit script against a real redis-server: instances share one limit, the script
// comes back after SCRIPT FLUSH, keys expire, and a Redis that does not answer in time or is
// not there is reported as unavailable.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "filters/rate_limit/gcra.h"
#include "filters/rate_limit/redis_limiter.h"
#include "filters/rate_limit/redis_script.h"
#include "tests/integration/bus_harness.h"
#include "tests/support/env.h"
#include "tests/support/kafka_client.h"
#include "tests/support/redis_client.h"

namespace holdfast::test::integration {
namespace {

using filters::rate_limit::Limit;
using filters::rate_limit::RedisLimiter;

constexpr int64_t kSecond = 1'000'000'000;

struct Decision {
  uint64_t id;
  RedisLimiter::Outcome outcome;
  int64_t wait_ns;
};

class RecordingDecisions final : public RedisLimiter::Sink {
 public:
  void decided(const RedisLimiter::Ticket& t, RedisLimiter::Outcome outcome,
               int64_t wait_ns) override {
    got.push_back({t.pending.handle, outcome, wait_ns});
  }
  size_t count(RedisLimiter::Outcome outcome) const {
    size_t n = 0;
    for (const auto& d : got)
      n += d.outcome == outcome ? 1 : 0;
    return n;
  }
  std::vector<Decision> got;
};

config::RedisBus bus(const std::string& host, int port) {
  config::RedisBus cfg;
  cfg.host = host;
  cfg.port = static_cast<uint16_t>(port);
  cfg.reconnect_max = std::chrono::milliseconds(200);
  return cfg;
}

// One worker's link: its own sink and counters.
struct Instance {
  Instance(TestLoop& loop, const config::RedisBus& c, Millis timeout = Millis(1000))
      : cfg(c),
        limiter(std::make_unique<RedisLimiter>(loop.get(), cfg, stats, "itest", timeout, sink)) {
    limiter->start();
  }
  ~Instance() { limiter.reset(); }
  bool check(const std::string& key, const Limit& limit, uint64_t id) {
    const std::array<std::string_view, 1> parts = {key};
    return limiter->check(parts, limit.interval(1), limit.window(),
                          RedisLimiter::Ticket{filters::Pending{id, 0}, 0});
  }

  config::RedisBus cfg;
  Stats stats{0};
  RecordingDecisions sink;
  std::unique_ptr<RedisLimiter> limiter;
};

std::string unique_key(std::string_view what) {
  return unique_topic(std::string("itest:rl:") + std::string(what));
}

}  // namespace

TEST_CASE("rate_limit redis: two instances share one limit", "[redis][rate_limit]") {
  TestLoop loop;
  const auto cfg = bus(redis_address().host, redis_address().port);
  Instance a(loop, cfg), b(loop, cfg);
  REQUIRE(loop.run_until([&] { return a.limiter->usable() && b.limiter->usable(); }, Millis(5000)));
  const std::string key = unique_key("shared");
  const Limit limit{5, 60 * kSecond, 5};  // 5/m
  for (uint64_t i = 0; i < 10; ++i) {
    Instance& which = i % 2 == 0 ? a : b;
    REQUIRE(which.check(key, limit, i));
    // One at a time, so the order of decisions is the order of the calls.
    REQUIRE(loop.run_until([&] { return a.sink.got.size() + b.sink.got.size() == i + 1; },
                           Millis(5000)));
  }
  using O = RedisLimiter::Outcome;
  CHECK(a.sink.count(O::Allowed) + b.sink.count(O::Allowed) == 5);
  CHECK(a.sink.count(O::Limited) + b.sink.count(O::Limited) == 5);
  CHECK(a.sink.count(O::Unavailable) + b.sink.count(O::Unavailable) == 0);
  for (const auto* sink : {&a.sink, &b.sink}) {
    for (const auto& d : sink->got) {
      INFO("decision " << d.id);
      CHECK((d.outcome == O::Allowed) == (d.id < 5));
      if (d.outcome == O::Limited) {
        // The sixth waits for one emission interval (12 s), less the few ms that passed.
        CHECK(d.wait_ns > 11 * kSecond);
        CHECK(d.wait_ns <= 12 * kSecond);
      }
    }
  }
  CHECK(a.limiter->outstanding() == 0);
  CHECK(bus_errors(a.stats, BusError::RedisCommand) == 0);
  RedisClient redis(redis_url());
  redis.command({"DEL", key});
}

TEST_CASE("rate_limit redis: the script comes back after SCRIPT FLUSH", "[redis][rate_limit]") {
  TestLoop loop;
  Instance a(loop, bus(redis_address().host, redis_address().port));
  REQUIRE(loop.run_until([&] { return a.limiter->usable(); }, Millis(5000)));
  const std::string key = unique_key("flush");
  const Limit limit{3, 60 * kSecond, 3};
  REQUIRE(a.check(key, limit, 1));
  REQUIRE(loop.run_until([&] { return a.sink.got.size() == 1; }, Millis(5000)));

  RedisClient redis(redis_url());
  const auto flushed = redis.command({"SCRIPT", "FLUSH"});
  REQUIRE(flushed.kind == RedisValue::Kind::Status);
  const auto gone = redis.command({"SCRIPT", "EXISTS", filters::rate_limit::script::sha1()});
  REQUIRE(gone.items.size() == 1);
  REQUIRE(gone.items[0].integer == 0);

  // Several at once: each that meets NOSCRIPT goes again as EVAL; the state carries on.
  REQUIRE(a.check(key, limit, 2));
  REQUIRE(a.check(key, limit, 3));
  REQUIRE(a.check(key, limit, 4));
  REQUIRE(loop.run_until([&] { return a.sink.got.size() == 4; }, Millis(5000)));
  using O = RedisLimiter::Outcome;
  CHECK(a.sink.count(O::Allowed) == 3);
  CHECK(a.sink.count(O::Limited) == 1);
  CHECK(a.sink.count(O::Unavailable) == 0);
  CHECK(bus_errors(a.stats, BusError::RedisCommand) == 0);
  const auto back = redis.command({"SCRIPT", "EXISTS", filters::rate_limit::script::sha1()});
  REQUIRE(back.items.size() == 1);
  CHECK(back.items[0].integer == 1);
  redis.command({"DEL", key});
}

TEST_CASE("rate_limit redis: keys expire once they are idle", "[redis][rate_limit]") {
  TestLoop loop;
  Instance a(loop, bus(redis_address().host, redis_address().port));
  REQUIRE(loop.run_until([&] { return a.limiter->usable(); }, Millis(5000)));
  const std::string key = unique_key("expire");
  const Limit limit{10, kSecond, 2};  // T = 100 ms, window 200 ms
  REQUIRE(a.check(key, limit, 1));
  REQUIRE(a.check(key, limit, 2));
  REQUIRE(loop.run_until([&] { return a.sink.got.size() == 2; }, Millis(5000)));
  RedisClient redis(redis_url());
  const auto ttl = redis.command({"PTTL", key});
  REQUIRE(ttl.kind == RedisValue::Kind::Integer);
  CHECK(ttl.integer > 0);
  CHECK(ttl.integer <= 200);  // never longer than the window
  loop.run_for(Millis(400));
  CHECK(redis.command({"EXISTS", key}).integer == 0);
  // And a key that comes back starts with its whole burst.
  REQUIRE(a.check(key, limit, 3));
  REQUIRE(a.check(key, limit, 4));
  REQUIRE(a.check(key, limit, 5));
  REQUIRE(loop.run_until([&] { return a.sink.got.size() == 5; }, Millis(5000)));
  CHECK(a.sink.got[2].outcome == RedisLimiter::Outcome::Allowed);
  CHECK(a.sink.got[3].outcome == RedisLimiter::Outcome::Allowed);
  CHECK(a.sink.got[4].outcome == RedisLimiter::Outcome::Limited);
  redis.command({"DEL", key});
}

TEST_CASE("rate_limit redis: a reply later than the timeout counts as unavailable",
          "[redis][rate_limit]") {
  // A socket that listens but never accepts: the connection completes in the kernel, and no
  // reply ever comes.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 8) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  {
    TestLoop loop;
    Instance a(loop, bus("127.0.0.1", ntohs(addr.sin_port)), Millis(30));
    REQUIRE(loop.run_until([&] { return a.limiter->usable(); }, Millis(5000)));
    const Limit limit{10, kSecond, 10};
    const auto sent = Clock::now();
    REQUIRE(a.check("itest:rl:silent", limit, 1));
    REQUIRE(a.check("itest:rl:silent", limit, 2));
    REQUIRE(loop.run_until([&] { return a.sink.got.size() == 2; }, Millis(5000)));
    const auto took = std::chrono::duration_cast<Millis>(Clock::now() - sent).count();
    CHECK(took >= 25);
    CHECK(took < 1000);
    CHECK(a.sink.count(RedisLimiter::Outcome::Unavailable) == 2);
    CHECK(a.limiter->outstanding() == 0);
    loop.run_for(Millis(50));
    CHECK(a.sink.got.size() == 2);  // nothing more, ever
  }
  ::close(fd);
}

TEST_CASE("rate_limit redis: with no Redis, check refuses at once", "[redis][rate_limit]") {
  TestLoop loop;
  Instance a(loop, bus("127.0.0.1", free_loopback_port()));
  loop.run_for(Millis(100));
  CHECK_FALSE(a.limiter->usable());
  CHECK_FALSE(a.check("itest:rl:nobody", Limit{1, kSecond, 1}, 1));
  loop.run_for(Millis(50));
  CHECK(a.sink.got.empty());
}

TEST_CASE("rate_limit redis: a link going down answers what it had out", "[redis][rate_limit]") {
  TestLoop loop;
  RedisServer server;
  Instance a(loop, bus("127.0.0.1", server.port()), Millis(5000));
  REQUIRE(loop.run_until([&] { return a.limiter->usable(); }, Millis(5000)));
  const Limit limit{100, kSecond, 100};
  REQUIRE(a.check("itest:rl:down", limit, 1));
  REQUIRE(loop.run_until([&] { return a.sink.got.size() == 1; }, Millis(5000)));
  CHECK(a.sink.got[0].outcome == RedisLimiter::Outcome::Allowed);
  server.stop();
  REQUIRE(loop.run_until([&] { return !a.limiter->usable(); }, Millis(5000)));
  CHECK_FALSE(a.check("itest:rl:down", limit, 2));
  server.start();
  REQUIRE(loop.run_until([&] { return a.limiter->usable(); }, Millis(10000)));
  REQUIRE(a.check("itest:rl:down", limit, 3));
  REQUIRE(loop.run_until([&] { return a.sink.got.size() == 2; }, Millis(5000)));
  CHECK(a.sink.got[1].outcome == RedisLimiter::Outcome::Allowed);
}

}  // namespace holdfast::test::integration

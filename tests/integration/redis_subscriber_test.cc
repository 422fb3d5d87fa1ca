// A worker's Redis subscription against a real redis-server: which reply channels reach it (its
// own connections', and everything shared), which do not (another instance's, another worker's),
// and that it subscribes again after a restart.
#include "proxy/bus/redis_subscriber.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "proxy/util/ids.h"
#include "tests/integration/bus_harness.h"
#include "tests/support/env.h"
#include "tests/support/kafka_client.h"
#include "tests/support/redis_client.h"

namespace holdfast::test::integration {
namespace {

struct SubscriberFixture {
  SubscriberFixture(const std::string& host, int port, const std::string& prefix) {
    cfg.host = host;
    cfg.port = static_cast<uint16_t>(port);
    cfg.prefix = prefix;
    cfg.reconnect_max = std::chrono::milliseconds(200);
    subscriber = std::make_unique<holdfast::RedisSubscriber>(
        loop.get(), cfg, stats, util::IdGenerator(1).prefix(),
        [this](std::string_view channel, std::string_view payload) {
          received.emplace_back(std::string(channel), std::string(payload));
        });
  }
  // Destroying the link frees its connection; stop() has a test of its own.
  ~SubscriberFixture() { subscriber.reset(); }
  bool subscribe() {
    subscriber->start();
    return loop.run_until([&] { return subscriber->subscribed(); }, Millis(5000));
  }

  TestLoop loop;
  config::RedisBus cfg;
  Stats stats{0};
  Headers received;  // channel, payload
  std::unique_ptr<holdfast::RedisSubscriber> subscriber;
};

}  // namespace

TEST_CASE("redis subscriber receives its own reply channels and no one else's", "[redis]") {
  const std::string prefix = unique_topic("itest:rsub") + ":";
  const HostPort addr = redis_address();
  SubscriberFixture f(addr.host, addr.port, prefix);
  REQUIRE(f.subscribe());

  const std::string boot(util::boot_id());
  REQUIRE(boot.size() == util::kBootIdSize);
  const std::string foreign_boot = boot == "zzzzzzzzzzzz" ? "yyyyyyyyyyyy" : "zzzzzzzzzzzz";
  RedisClient redis(redis_url());
  // Published first: were they delivered, they would arrive before the rest. The subscription
  // is worker 1's: worker 0's and worker 10's connections, and another instance's, are not its.
  CHECK(redis.publish(prefix + "conn:" + foreign_boot + "-1-1", "not this instance") == 0);
  CHECK(redis.publish(prefix + "conn:" + boot + "-0-1", "not this worker") == 0);
  CHECK(redis.publish(prefix + "conn:" + boot + "-10-1", "not this worker either") == 0);

  const Headers expected = {
      {prefix + "conn:" + boot + "-1-x", std::string("to a connection\0\xff", 17)},
      {prefix + "user:alice", "to a user"},
      {prefix + "channel:room:1", "to a channel"},
      {prefix + "broadcast", "to everyone"},
      {prefix + "control", R"({"target":"broadcast","control":"close"})"},
  };
  for (const auto& [channel, payload] : expected)
    CHECK(redis.publish(channel, payload) == 1);
  REQUIRE(f.loop.run_until([&] { return f.received.size() >= expected.size(); }, Millis(5000)));
  f.loop.run_for(Millis(100));
  CHECK(f.received == expected);
}

TEST_CASE("redis subscriber subscribes again after a restart", "[redis][restart]") {
  RedisServer server;
  SubscriberFixture f("127.0.0.1", server.port(), "holdfast:");
  REQUIRE(f.subscribe());
  RedisClient before(server.url());
  CHECK(before.publish("holdfast:broadcast", "before") == 1);
  REQUIRE(f.loop.run_until([&] { return f.received.size() == 1; }, Millis(5000)));

  const uint64_t drops = bus_errors(f.stats, BusError::RedisConnect);
  server.stop();
  REQUIRE(f.loop.run_until([&] { return !f.subscriber->subscribed(); }, Millis(5000)));
  // The loop keeps running while Redis is down, so reconnect attempts meet a closed port.
  f.loop.run_for(Millis(600));
  CHECK_FALSE(f.subscriber->subscribed());
  const uint64_t failures_while_down = bus_errors(f.stats, BusError::RedisConnect) - drops;
  INFO(failures_while_down << " connection failures counted while redis was down");
  CHECK(failures_while_down >= 2);  // the drop, then at least one refused reconnect
  server.start();
  REQUIRE(f.loop.run_until([&] { return f.subscriber->subscribed(); }, Millis(10000)));

  RedisClient after(server.url());
  const std::string conn = "holdfast:conn:" + std::string(util::boot_id()) + "-1-b";
  CHECK(after.publish(conn, "after") == 1);
  CHECK(after.publish("holdfast:user:bob", "after, to bob") == 1);
  REQUIRE(f.loop.run_until([&] { return f.received.size() >= 3; }, Millis(5000)));
  const Headers expected = {
      {"holdfast:broadcast", "before"}, {conn, "after"}, {"holdfast:user:bob", "after, to bob"}};
  CHECK(f.received == expected);
}

}  // namespace holdfast::test::integration

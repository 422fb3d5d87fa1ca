// Redis restarts while a client streams into a Redis stream: every message ends up in the
// stream, in order, and the client never notices.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_client.h"
#include "tests/support/redis_client.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kConfig = R"(
instance: e2e-restart
workers: 2
admin: { address: 127.0.0.1:0 }
buses:
  redis: { url: "@REDIS@", reconnect_max: 200ms }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: rstream
        path: /redis/in
        upstream: { redis: { stream: "@STREAM@" } }
        bus_timeout: 30s
)";

std::vector<int> stream_numbers(RedisClient& redis, const std::string& stream) {
  std::vector<int> out;
  for (const auto& e : redis.xrange(stream))
    out.push_back(seq_number(e.field("data").value_or("")));
  return out;
}

}  // namespace

// Duplicates are allowed only as what a re-send makes: commands written before the drop whose
// replies were lost are written again, so a run of the newest numbers may appear twice (see
// check_in_order_at_least_once). Strictly adjacent repeats alone would be too narrow: a replayed
// batch repeats a run, not a single neighbour. Apart from that, 0..1999 in order, no gap.
TEST_CASE("redis restart mid-stream loses nothing and keeps the client", "[redis]") {
  constexpr int kCount = 2000;
  constexpr int kRestartAt = 700;
  RedisServer server;
  const std::string stream = unique_topic("e2e:restart");
  HoldfastProcess proxy(fill(kConfig, {{"REDIS", server.url()}, {"STREAM", stream}}));
  auto ws = open_ws(proxy, "/redis/in");

  std::atomic<int> sent{0};
  std::atomic<int> restarted_at{-1};
  std::string restart_error;
  {
    std::jthread restarter;
    for (int i = 0; i < kCount; ++i) {
      if (i == kRestartAt) {
        restarter = std::jthread([&] {
          try {
            server.restart(Millis(300));
          } catch (const std::exception& e) {
            restart_error = e.what();
          }
          restarted_at = sent.load();
        });
      }
      REQUIRE(ws->send_text(seq_payload(i)));
      sent = i + 1;
      std::this_thread::sleep_for(Millis(2));
    }
  }  // joins the restart
  REQUIRE(restart_error.empty());
  INFO("redis was back after message " << restarted_at.load());
  CHECK(restarted_at.load() < kCount);  // it was back before the stream ended

  RedisClient redis(server.url());
  const auto deadline = Clock::now() + Millis(30000);
  std::vector<int> got = stream_numbers(redis, stream);
  size_t duplicates = 0;
  std::string broken = check_in_order_at_least_once(got, kCount, duplicates);
  while (!broken.empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(Millis(200));
    got = stream_numbers(redis, stream);
    broken = check_in_order_at_least_once(got, kCount, duplicates);
  }
  INFO(got.size() << " entries, " << duplicates << " repeats");
  INFO("proxy log:\n" << proxy.log_text());
  CHECK(broken.empty());

  // The connection is open and still works.
  const WsEvent ev = ws->recv(Millis(300));
  INFO(describe(ev));
  CHECK(ev.kind == WsEvent::Kind::Timeout);
  const std::string last_id = redis.xrange(stream).back().id;
  REQUIRE(ws->send_text("after the restart"));
  const auto after = redis.read_stream(stream, last_id, 1, Millis(15000));
  REQUIRE(after.size() == 1);
  CHECK(after[0].field("data") == "after the restart");
}

}  // namespace holdfast::test::e2e

// Configs that load, value by value: kafka key modes, the embedded broker, replies over Redis,
// and sizes and durations in every unit.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/loader.h"

using namespace holdfast::config;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const Config> load(std::string_view yaml) {
  if (!yaml.empty() && yaml[0] == '\n') yaml.remove_prefix(1);
  LoadResult result = load_string(yaml, "holdfast.yaml");
  for (const auto& e : result.errors)
    UNSCOPED_INFO(e.to_string());
  REQUIRE(result.errors.empty());
  REQUIRE(result.config);
  return result.config;
}

std::string render(const Template& t) {
  TemplateContext ctx;
  ctx.connection_id = "c42";
  return t.render(ctx);
}

}  // namespace

TEST_CASE("config: kafka key modes and the embedded broker") {
  const auto config = load(R"(
buses:
  kafka: { brokers: embedded }
  redis: { url: "redis://[::1]" }
listeners:
  - address: "[::]:8080"
    routes:
      - { name: a, path: /a, upstream: { kafka: { topic: a } } }
      - { name: b, path: /b, upstream: { kafka: { topic: b, key: none } } }
      - { name: c, path: /c, upstream: { kafka: { topic: c, key: "{connection}" } } }
      - { name: d, path: /d, upstream: { echo: {} }, replies: { redis: } }
      - { name: e, path: /e, upstream: { echo: {} }, replies: { redis: {} } }
      - { name: f, path: /f, upstream: { echo: {} }, replies: { redis: false } }
)");
  REQUIRE(config->kafka);
  CHECK(config->kafka->embedded);
  CHECK(config->kafka->brokers.empty());
  CHECK(config->redis->host == "::1");
  CHECK(config->redis->port == 6379);
  CHECK(config->redis->db == 0);
  CHECK(config->redis->password.empty());
  CHECK(config->redis->prefix == "holdfast:");
  CHECK(config->redis->reconnect_max == 5s);
  CHECK(config->listeners[0].host == "::");
  const auto& routes = config->listeners[0].routes;
  CHECK(routes[0]->upstream.kafka.key_mode == KeyMode::Connection);
  CHECK(routes[1]->upstream.kafka.key_mode == KeyMode::None);
  CHECK(routes[2]->upstream.kafka.key_mode == KeyMode::Template);
  CHECK(render(routes[2]->upstream.kafka.key) == "c42");
  CHECK(routes[3]->replies.redis);
  CHECK(routes[4]->replies.redis);
  CHECK_FALSE(routes[5]->replies.redis);
}

TEST_CASE("config: sizes and durations take every unit") {
  const auto config = load(R"(
drain_timeout: 0
listeners:
  - address: localhost:1
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
        max_message_size: 67108864
        max_inflight_bytes: 1KiB
        max_outbound_bytes: 3MiB
        bus_timeout: 1h
        keepalive: { ping_interval: 2m, pong_timeout: 100ms, idle_timeout: 24h }
)");
  CHECK(config->drain_timeout == 0ms);
  const RouteConfig& route = *config->listeners[0].routes[0];
  CHECK(route.limits.max_message_size == 64 * 1024 * 1024);
  CHECK(route.limits.max_inflight_bytes == 1024);
  CHECK(route.limits.max_outbound_bytes == 3 * 1024 * 1024);
  CHECK(route.limits.bus_timeout == 1h);
  CHECK(route.keepalive.ping_interval == 2min);
  CHECK(route.keepalive.pong_timeout == 100ms);
  CHECK(route.keepalive.idle_timeout == 24h);
}

// The rate_limit filter's settings as a user writes them: defaults, every key, and the exact
// error for each mistake.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "config/loader.h"
#include "filters/rate_limit/rate_limit.h"
#include "filters/rate_limit/settings.h"
#include "filters/registry.h"
#include "tests/unit/config_test_support.h"

namespace holdfast::filters::rate_limit {
namespace {

using config::testing::Errors;
using config::testing::errors;

constexpr int64_t kSecond = 1'000'000'000;

// The settings of the only filter of the only route.
std::shared_ptr<const Settings> settings_of(const config::Config& cfg) {
  return std::static_pointer_cast<const Settings>(
      cfg.listeners.at(0).routes.at(0)->filters.at(0).settings);
}

config::LoadResult load(std::string_view yaml) {
  if (!yaml.empty() && yaml[0] == '\n') yaml.remove_prefix(1);
  return config::load_string(yaml, "holdfast.yaml");
}

}  // namespace

TEST_CASE("rate_limit: settings take their defaults") {
  const auto result = load(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
        filters:
          - rate_limit: { messages: { rate: 20/s } }
)");
  REQUIRE(result.errors.empty());
  const auto s = settings_of(*result.config);
  REQUIRE(s->messages);
  CHECK(s->messages->count == 20);
  CHECK(s->messages->period_ns == kSecond);
  CHECK(s->messages->burst == 20);  // the rate's count
  CHECK_FALSE(s->connections);
  CHECK_FALSE(s->bytes);
  CHECK(s->action == Action::Drop);
  CHECK(s->per == Per::Connection);
  CHECK(s->backend == Backend::Local);
  CHECK(s->fail_open);
  CHECK(s->key_prefix == "holdfast:rl:");
  CHECK(s->redis_timeout == std::chrono::milliseconds(50));
  CHECK_FALSE(s->shadow);
  CHECK(s->table_size == 65536);
  CHECK_FALSE(s->has_shared_keys());
}

TEST_CASE("rate_limit: settings read every key") {
  const auto result = load(R"(
buses:
  redis: { url: "redis://127.0.0.1:6379" }
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
        filters:
          - rate_limit:
              connections: { rate: 5/m, burst: 2 }
              messages: { rate: 100/h, burst: 10, action: close }
              bytes: { rate: 64KiB/s, burst: 1MiB }
              per: user
              backend: redis
              failure_mode: deny
              key_prefix: "rl:"
              redis_timeout: 20ms
              shadow: true
)");
  REQUIRE(result.errors.empty());
  const auto s = settings_of(*result.config);
  REQUIRE(s->connections);
  CHECK(s->connections->count == 5);
  CHECK(s->connections->period_ns == 60 * kSecond);
  CHECK(s->connections->burst == 2);
  REQUIRE(s->messages);
  CHECK(s->messages->count == 100);
  CHECK(s->messages->period_ns == 3'600 * kSecond);
  CHECK(s->messages->burst == 10);
  REQUIRE(s->bytes);
  CHECK(s->bytes->count == 65536);
  CHECK(s->bytes->burst == 1 << 20);
  CHECK(s->action == Action::Close);
  CHECK(s->per == Per::User);
  CHECK(s->backend == Backend::Redis);
  CHECK_FALSE(s->fail_open);
  CHECK(s->key_prefix == "rl:");
  CHECK(s->redis_timeout == std::chrono::milliseconds(20));
  CHECK(s->shadow);
  CHECK(s->has_shared_keys());
}

TEST_CASE("rate_limit: settings errors name the place") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
        filters:
          - rate_limit: { messages: { rate: 20/x, burst: 0, action: kick }, per: host, bogus: 1 }
          - rate_limit: { connections: { rate: 0/s }, bytes: { rate: 64KiB, burst: 2TiB } }
          - rate_limit: { bytes: { rate: 2000GiB/s, burst: 0 }, shadow: yes }
          - rate_limit:
          - rate_limit: { connections: { burst: 3, per: ip }, failure_mode: deny, table_size: 10 }
          - rate_limit: { backend: redis, bytes: { rate: 1KiB/s }, table_size: 2048, per: ip }
          - rate_limit: { backend: memcached, redis_timeout: 0ms, key_prefix: "" }
          - rate_limit: { connections: 10/s, messages: [1/s], bytes: {} }
          - rate_limit: {}
)") == Errors{
           "holdfast.yaml:8:45: invalid rate '20/x' for 'messages.rate'; expected a count per s, "
           "m or h (e.g. 20/s)",
           "holdfast.yaml:8:58: messages.burst must be between 1 and 1000000000, got 0",
           "holdfast.yaml:8:69: invalid action 'kick' for 'messages.action'; expected drop or "
           "close",
           "holdfast.yaml:8:82: invalid limit key 'host' for 'per'; expected connection, user or "
           "ip",
           "holdfast.yaml:8:88: unknown key 'bogus' in filters[0].rate_limit; expected one of: "
           "connections, messages, bytes, per, backend, failure_mode, key_prefix, redis_timeout, "
           "shadow, table_size",
           "holdfast.yaml:9:48: connections.rate must be between 1 and 1000000000 per s, m or h, "
           "got 0/s",
           "holdfast.yaml:9:70: invalid rate '64KiB' for 'bytes.rate'; expected a size per s, m "
           "or h (e.g. 64KiB/s)",
           "holdfast.yaml:9:84: invalid size '2TiB' for 'bytes.burst'; expected bytes or a number "
           "with KiB, MiB or GiB (e.g. 64KiB)",
           "holdfast.yaml:10:42: bytes.rate must be between 1 and 1099511627776 bytes per s, m or "
           "h, got 2000GiB/s",
           "holdfast.yaml:10:60: bytes.burst must be between 1 and 1099511627776 bytes, got 0",
           "holdfast.yaml:10:73: invalid boolean 'yes' for 'shadow'; expected true or false",
           "holdfast.yaml:11:13: expected a map for 'filters[3].rate_limit', got an empty value",
           "holdfast.yaml:12:40: missing required key 'rate' in filters[4].rate_limit.connections",
           "holdfast.yaml:12:52: unknown key 'per' in filters[4].rate_limit.connections; expected "
           "one of: rate, burst",
           "holdfast.yaml:12:63: 'failure_mode' applies only to backend: redis",
           "holdfast.yaml:12:95: table_size must be between 1024 and 16777216, got 10",
           "holdfast.yaml:13:36: route 'a' filter rate_limit uses redis but buses.redis is not "
           "configured",
           "holdfast.yaml:13:68: 'table_size' applies only to backend: local",
           "holdfast.yaml:13:86: 'per' picks the key for 'messages', which is not set",
           "holdfast.yaml:14:25: expected at least one of connections, messages or bytes in "
           "'filters[6].rate_limit'",
           "holdfast.yaml:14:36: invalid backend 'memcached' for 'backend'; expected local or "
           "redis",
           "holdfast.yaml:14:62: redis_timeout must be between 1ms and 10s, got 0ms",
           "holdfast.yaml:14:79: expected a non-empty string for 'key_prefix', got an empty "
           "string",
           "holdfast.yaml:15:40: expected a map for 'connections', got a string",
           "holdfast.yaml:15:56: expected a map for 'messages', got a sequence",
           "holdfast.yaml:15:70: missing required key 'rate' in filters[7].rate_limit.bytes",
           "holdfast.yaml:16:25: expected at least one of connections, messages or bytes in "
           "'filters[8].rate_limit'",
       });
}

}  // namespace holdfast::filters::rate_limit

// Stage one errors: unknown keys, wrong types, missing keys, bad values, bounds. Each case
// asserts the whole line a user would see.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/loader.h"
#include "tests/unit/config_test_support.h"

using holdfast::config::load_string;

using holdfast::config::testing::Errors;
using holdfast::config::testing::errors;

TEST_CASE("config: unknown key names file:line:col") {
  CHECK(errors(R"(
buses:
  kafka: { brokers: embedded }
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: orders
        path: /orders
        upstream:
          kafka:
            topik: orders
)") == Errors{
           "holdfast.yaml:10:13: unknown key 'topik' in upstream.kafka; expected one of: "
           "topic, key",
           "holdfast.yaml:10:13: missing required key 'topic' in upstream.kafka",
       });
}

TEST_CASE("config: unknown top-level key lists the known ones") {
  CHECK(errors(R"(
listners: []
)") == Errors{
           "holdfast.yaml:1:1: unknown key 'listners' at the top level; expected one of: "
           "instance, workers, file_limit, log, tracing, reload, drain_timeout, admin, buses, "
           "listeners",
           "holdfast.yaml:1:1: missing required key 'listeners' at the top level",
       });
}

TEST_CASE("config: an empty file misses its listeners") {
  CHECK(errors("") ==
        Errors{"holdfast.yaml:1:1: missing required key 'listeners' at the top level"});
  CHECK(errors("- a\n") ==
        Errors{"holdfast.yaml:1:1: expected a map at the top level, got a sequence"});
}

TEST_CASE("config: a repeated key points back at the first") {
  CHECK(errors(R"(
workers: 2
workers: 3
listeners: []
)") == Errors{
           "holdfast.yaml:2:1: duplicate key 'workers' at the top level (first at "
           "holdfast.yaml:1:1)",
           "holdfast.yaml:3:12: expected at least one listener for 'listeners', got an empty "
           "sequence",
       });
}

TEST_CASE("config: wrong types say what was expected and what was found") {
  CHECK(errors(R"(
instance: [a, b]
workers: four
log: debug
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: { first: x }
        path: /a
        upstream: [echo]
        subscribe: room
        metadata: { room: [1] }
        replies: { redis: [true] }
        filters: { jwt: {} }
  - address: 127.0.0.1:8081
    routes: true
)") == Errors{
           "holdfast.yaml:1:11: expected a string for 'instance', got a sequence",
           "holdfast.yaml:2:10: invalid integer 'four' for 'workers'; expected a whole number",
           "holdfast.yaml:3:6: expected a map for 'log', got a string",
           "holdfast.yaml:7:15: expected a string for 'name', got a map",
           "holdfast.yaml:9:19: expected a map for 'upstream', got a sequence",
           "holdfast.yaml:10:20: expected a sequence for 'subscribe', got a string",
           "holdfast.yaml:11:27: expected a string for 'metadata.room', got a sequence",
           "holdfast.yaml:12:27: expected a map or a boolean for 'redis', got a sequence",
           "holdfast.yaml:13:18: expected a sequence for 'filters', got a map",
           "holdfast.yaml:15:13: expected a sequence for 'routes', got a boolean",
       });
}

TEST_CASE("config: an empty value points at its key") {
  CHECK(errors(R"(
listeners:
  - address:
    routes:
      - name: echo
        path: /echo
        upstream:
)") == Errors{
           "holdfast.yaml:2:5: expected a string for 'address', got an empty value",
           "holdfast.yaml:6:9: expected a map for 'upstream', got an empty value",
       });
}

TEST_CASE("config: missing required keys name the map they belong in") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
      - name: b
        upstream: { echo: {} }
  - routes: []
)") == Errors{
           "holdfast.yaml:7:9: missing required key 'path' in listeners[0].routes[1]",
           "holdfast.yaml:9:5: missing required key 'address' in listeners[1]",
           "holdfast.yaml:9:13: expected at least one route for 'routes', got an empty sequence",
       });
}

TEST_CASE("config: bad duration") {
  CHECK(errors(R"(
drain_timeout: 30
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
        bus_timeout: 5 parsecs
)") == Errors{
           "holdfast.yaml:1:16: invalid duration '30' for 'drain_timeout'; expected a number "
           "with ms, s, m or h (e.g. 500ms, 30s)",
           "holdfast.yaml:8:22: invalid duration '5 parsecs' for 'bus_timeout'; expected a "
           "number with ms, s, m or h (e.g. 500ms, 30s)",
       });
}

TEST_CASE("config: bad size") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
        max_message_size: 12 furlongs
        max_outbound_bytes: 1MB
)") == Errors{
           "holdfast.yaml:7:27: invalid size '12 furlongs' for 'max_message_size'; expected "
           "bytes or a number with KiB, MiB or GiB (e.g. 64KiB)",
           "holdfast.yaml:8:29: invalid size '1MB' for 'max_outbound_bytes'; expected bytes or "
           "a number with KiB, MiB or GiB (e.g. 64KiB)",
       });
}

TEST_CASE("config: file_limit out of range") {
  CHECK(errors(R"(
file_limit: 100
listeners:
  - address: 127.0.0.1:8080
    routes:
      - { name: a, path: /a, upstream: { echo: {} } }
)") == Errors{"holdfast.yaml:1:13: file_limit must be between 256 and 16777216, got 100"});
}

TEST_CASE("config: values out of range") {
  CHECK(errors(R"(
workers: 65
drain_timeout: 11m
log: { level: verbose }
listeners:
  - address: 127.0.0.1:8080
    receive_buffer: 100
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
        max_message_size: 0
        max_inflight_bytes: 2GiB
        bus_timeout: 50ms
        keepalive: { ping_interval: 10ms, pong_timeout: 0 }
)") == Errors{
           "holdfast.yaml:1:10: workers must be between 0 and 64, got 65",
           "holdfast.yaml:2:16: drain_timeout must be between 0 and 10m, got 11m",
           "holdfast.yaml:3:15: invalid log level 'verbose' for 'level'; expected debug, info, "
           "warn or error",
           "holdfast.yaml:6:21: receive_buffer must be between 256 and 65536 bytes, got 100",
           "holdfast.yaml:11:27: max_message_size must be between 1 and 67108864 bytes, got 0",
           "holdfast.yaml:12:29: max_inflight_bytes must be between 1024 and 1073741824 bytes, "
           "got 2GiB",
           "holdfast.yaml:13:22: bus_timeout must be between 100ms and 1h, got 50ms",
           "holdfast.yaml:14:37: ping_interval must be 0 (off) or between 100ms and 1h, got "
           "10ms",
           "holdfast.yaml:14:57: pong_timeout must be between 100ms and 1h, got 0",
       });
}

TEST_CASE("config: names, paths and addresses must be well formed") {
  CHECK(errors(R"(
instance: edge one
admin: { address: 9901 }
listeners:
  - address: "::1:8080"
    routes:
      - { name: Orders, path: orders, upstream: { echo: {} } }
      - { name: a, path: "/a/{id}/{id}", upstream: { echo: {} } }
      - { name: b, path: "/b/x{id}", upstream: { echo: {} } }
  - address: 0.0.0.0:70000
    routes:
      - { name: c, path: "/c//d", upstream: { echo: {} } }
      - { name: d, path: "/d/{Id}", upstream: { echo: {} } }
)") == Errors{
           "holdfast.yaml:1:11: invalid instance 'edge one'; expected 1 to 64 letters, digits, "
           "'.', '_' or '-'",
           "holdfast.yaml:2:19: invalid address '9901' for 'address'; expected host:port (e.g. "
           "0.0.0.0:8080 or [::1]:8080)",
           "holdfast.yaml:4:14: invalid address '::1:8080' for 'address'; write an IPv6 "
           "address in brackets (e.g. [::1]:8080)",
           "holdfast.yaml:6:17: invalid route name 'Orders'; expected 1 to 64 lowercase "
           "letters, digits, '.', '_' or '-'",
           "holdfast.yaml:6:31: path 'orders' must start with '/'",
           "holdfast.yaml:7:26: duplicate parameter {id} in path '/a/{id}/{id}'",
           "holdfast.yaml:8:26: segment 'x{id}' in path '/b/x{id}' must be literal text or "
           "exactly one {name}",
           "holdfast.yaml:9:14: invalid port '70000' in address '0.0.0.0:70000'; expected 0 to "
           "65535",
           "holdfast.yaml:11:26: empty segment in path '/c//d'; remove the extra '/'",
           "holdfast.yaml:12:26: invalid parameter name {Id} in path '/d/{Id}'; expected "
           "lowercase letters, digits and '_'",
       });
}

TEST_CASE("config: redis url forms") {
  CHECK(errors(R"(
buses:
  redis: { url: "rediss://cache:6380" }
listeners: []
)") == Errors{
           "holdfast.yaml:2:17: rediss:// is not supported; expected "
           "redis://[:password@]host[:port][/db]",
           "holdfast.yaml:3:12: expected at least one listener for 'listeners', got an empty "
           "sequence",
       });
  CHECK(errors(R"(
buses:
  redis: { url: "redis://:hunter2@cache:0/x" }
listeners: []
)")
            .at(0) ==
        "holdfast.yaml:2:17: invalid Redis URL 'redis://:***@cache:0/x' for 'url'; the port "
        "must be between 1 and 65535");
  CHECK(errors(R"(
buses:
  redis: { url: "http://cache" }
listeners: []
)")
            .at(0) ==
        "holdfast.yaml:2:17: invalid Redis URL 'http://cache' for 'url'; expected "
        "redis://[:password@]host[:port][/db]");
}

// Stage two errors (templates, buses, duplicates, TLS files), environment expansion errors and
// YAML syntax errors. Each case asserts the whole line a user would see.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "config/loader.h"
#include "tests/unit/config_test_support.h"

using holdfast::config::load_string;

using holdfast::config::testing::Errors;
using holdfast::config::testing::errors;

TEST_CASE("config: bad templates name the template and the path's parameters") {
  CHECK(errors(R"(
buses:
  kafka: { brokers: embedded }
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: rooms
        path: /rooms/{room}
        upstream:
          kafka: { topic: "rooms.{rom}", key: "{room" }
        subscribe: ["room:{}", "room:{room}}", "{claim.}", "{a b}"]
      - name: echo
        path: /echo
        upstream: { echo: {} }
        metadata: { room: "{room}" }
      - name: two
        path: /t/{tenant}/{room}
        upstream: { kafka: { topic: "in {room}" } }
        events: { kafka: { topic: "ev.{id}" } }
)") == Errors{
           "holdfast.yaml:9:27: unknown parameter {rom} in template 'rooms.{rom}'; the path "
           "has {room}",
           "holdfast.yaml:9:47: unclosed '{' in template '{room'; variables are written {name}",
           "holdfast.yaml:10:21: empty {} in template 'room:{}'; expected {param}, "
           "{claim.NAME}, {connection} or {user}",
           "holdfast.yaml:10:32: unmatched '}' in template 'room:{room}}'; variables are "
           "written {name}",
           "holdfast.yaml:10:48: missing claim name in {claim.} in template '{claim.}'; "
           "expected {claim.NAME}",
           "holdfast.yaml:10:60: invalid variable {a b} in template '{a b}'; expected {param}, "
           "{claim.NAME}, {connection} or {user}",
           "holdfast.yaml:14:27: unknown parameter {room} in template '{room}'; the path has "
           "no parameters",
           "holdfast.yaml:17:37: invalid Kafka topic 'in {room}' for 'topic'; expected "
           "letters, digits, '.', '_' or '-'",
           "holdfast.yaml:18:35: unknown parameter {id} in template 'ev.{id}'; the path has "
           "{tenant} and {room}",
       });
}

TEST_CASE("config: the user template cannot use the {user} it defines") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - { name: a, path: /a, upstream: { echo: {} }, user: "u-{user}" }
)") == Errors{
           "holdfast.yaml:4:60: the 'user' template cannot use {user}, which it defines; the "
           "path has no {user} parameter",
       });
}

TEST_CASE("config: a rate_limit with backend redis needs buses.redis") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: chat
        path: /chat
        filters:
          - rate_limit: { messages: { rate: 5/s }, backend: redis }
          - rate_limit: { messages: { rate: 50/s } }
        upstream: { echo: {} }
)") == Errors{
           "holdfast.yaml:7:61: route 'chat' filter rate_limit uses redis but buses.redis is not "
           "configured",
       });
}

TEST_CASE("config: a route that uses a bus needs that bus") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: orders
        path: /orders
        upstream:
          kafka: { topic: orders }
        replies:
          kafka: { topic: orders.replies }
          redis: {}
        events:
          redis: { stream: "orders:events" }
      - name: quiet
        path: /quiet
        upstream: { echo: {} }
        replies: { redis: false }
      - name: Loud
        path: /loud
        upstream: { kafka: { topic: loud } }
)") == Errors{
           "holdfast.yaml:7:11: route 'orders' uses kafka but buses.kafka is not configured",
           "holdfast.yaml:9:11: route 'orders' uses kafka but buses.kafka is not configured",
           "holdfast.yaml:10:11: route 'orders' uses redis but buses.redis is not configured",
           "holdfast.yaml:12:11: route 'orders' uses redis but buses.redis is not configured",
           "holdfast.yaml:17:15: invalid route name 'Loud'; expected 1 to 64 lowercase letters, "
           "digits, '.', '_' or '-'",
           "holdfast.yaml:19:21: listeners[0].routes[2] uses kafka but buses.kafka is not "
           "configured",
       });
}

TEST_CASE("config: route names are unique across the whole file") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - { name: echo, path: /echo, upstream: { echo: {} } }
  - address: 127.0.0.1:8081
    routes:
      - { name: echo, path: /echo, upstream: { echo: {} } }
)") == Errors{
           "holdfast.yaml:7:17: duplicate route name 'echo' (first at holdfast.yaml:4:17)",
       });
}

TEST_CASE("config: paths are unique within a listener") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - { name: a, path: /echo, upstream: { echo: {} } }
      - { name: b, path: /echo/, upstream: { echo: {} } }
      - { name: c, path: "/rooms/{room}", upstream: { echo: {} } }
      - { name: d, path: "/rooms/{id}", upstream: { echo: {} } }
)") == Errors{
           "holdfast.yaml:5:26: duplicate path '/echo/' in listeners[0]; it matches the same "
           "requests as '/echo' (first at holdfast.yaml:4:26, route 'a')",
           "holdfast.yaml:7:26: duplicate path '/rooms/{id}' in listeners[0]; it matches the "
           "same requests as '/rooms/{room}' (first at holdfast.yaml:6:26, route 'c')",
       });
}

TEST_CASE("config: listener addresses are unique and differ from admin") {
  CHECK(errors(R"(
admin: { address: "127.0.0.1:9000" }
listeners:
  - address: 0.0.0.0:8080
    routes: [{ name: a, path: /a, upstream: { echo: {} } }]
  - address: 0.0.0.0:8080
    routes: [{ name: b, path: /b, upstream: { echo: {} } }]
  - address: 127.0.0.1:9000
    routes: [{ name: c, path: /c, upstream: { echo: {} } }]
  - address: 127.0.0.1:0
    routes: [{ name: d, path: /d, upstream: { echo: {} } }]
  - address: 127.0.0.1:0
    routes: [{ name: e, path: /e, upstream: { echo: {} } }]
)") == Errors{
           "holdfast.yaml:5:14: duplicate listener address '0.0.0.0:8080' (first at "
           "holdfast.yaml:3:14)",
           "holdfast.yaml:7:14: listener address '127.0.0.1:9000' is also the admin address "
           "(at holdfast.yaml:1:19)",
       });
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:9901
    routes: [{ name: a, path: /a, upstream: { echo: {} } }]
)") == Errors{
           "holdfast.yaml:2:14: listener address '127.0.0.1:9901' is also the admin address; "
           "set admin.address to another port",
       });
}

TEST_CASE("config: tls files must be readable") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8443
    tls: { cert: /nonexistent/tls.crt, key: /nonexistent/tls.key }
    routes: [{ name: a, path: /a, upstream: { echo: {} } }]
  - address: 127.0.0.1:8444
    tls: { cert: /nonexistent/tls.crt }
    routes: [{ name: b, path: /b, upstream: { echo: {} } }]
)") == Errors{
           "holdfast.yaml:3:18: cannot read TLS certificate '/nonexistent/tls.crt': No such "
           "file or directory",
           "holdfast.yaml:3:45: cannot read TLS key '/nonexistent/tls.key': No such file or "
           "directory",
           "holdfast.yaml:6:10: missing required key 'key' in listeners[1].tls",
       });
}

TEST_CASE("config: an unset environment variable without a default is an error") {
  unsetenv("HOLDFAST_TEST_MISSING");
  CHECK(errors(R"(
instance: ${HOLDFAST_TEST_MISSING}
buses:
  kafka: { brokers: "${HOLDFAST_TEST_MISSING:-127.0.0.1:9092}" }
listeners:
  - address: "127.0.0.1:${HOLDFAST_TEST_MISSING"
    routes: [{ name: a, path: /a, upstream: { echo: {} }, content_type: "${1X}" }]
)") == Errors{
           "holdfast.yaml:1:11: environment variable 'HOLDFAST_TEST_MISSING' is not set and "
           "has no default",
           "holdfast.yaml:5:14: unclosed '${' in '127.0.0.1:${HOLDFAST_TEST_MISSING'; expected "
           "${NAME} or ${NAME:-default}",
           "holdfast.yaml:6:73: invalid environment reference '${1X}'; expected ${NAME} or "
           "${NAME:-default}",
       });
}

TEST_CASE("config: a YAML syntax error is reported at its place") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes: [{ name: a, path: /a
)") == Errors{"holdfast.yaml:4:1: invalid YAML: end of map flow not found"});
  CHECK(
      errors("listeners:\n\t- address: x\n") ==
      Errors{"holdfast.yaml:2:2: invalid YAML: illegal block entry; indent with spaces, not tabs"});
}

TEST_CASE("config: errors from both stages come out in file order") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - { name: a, path: /a, upstream: { kafka: { topic: a } } }
      - { name: a, path: /b, upstream: { echo: {} }, bus_timeout: forever }
)") == Errors{
           "holdfast.yaml:4:42: route 'a' uses kafka but buses.kafka is not configured",
           "holdfast.yaml:5:17: duplicate route name 'a' (first at holdfast.yaml:4:17)",
           "holdfast.yaml:5:67: invalid duration 'forever' for 'bus_timeout'; expected a "
           "number with ms, s, m or h (e.g. 500ms, 30s)",
       });
}

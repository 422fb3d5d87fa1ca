// Stage one errors inside a route: its targets, metadata, filters and replies. Each case
// asserts the whole line a user would see.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/loader.h"
#include "tests/unit/config_test_support.h"

using holdfast::config::load_string;

using holdfast::config::testing::Errors;
using holdfast::config::testing::errors;

TEST_CASE("config: upstream and events need exactly one target") {
  CHECK(errors(R"(
buses:
  kafka: { brokers: embedded }
  redis: { url: "redis://127.0.0.1" }
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a
        upstream: {}
      - name: b
        path: /b
        upstream:
          kafka: { topic: b }
          redis: { stream: b }
        events:
          redis: { channel: b }
      - name: c
        path: /c
        upstream:
          redis: { channel: c, maxlen: 10 }
          echo: { reply: true }
)") == Errors{
           "holdfast.yaml:9:19: upstream needs exactly one of kafka, redis or echo; found none",
           "holdfast.yaml:14:11: upstream needs exactly one of kafka, redis or echo; found "
           "kafka and redis",
           "holdfast.yaml:16:18: missing required key 'stream' in events.redis",
           "holdfast.yaml:16:20: unknown key 'channel' in events.redis; expected one of: "
           "stream, maxlen",
           "holdfast.yaml:21:11: upstream needs exactly one of kafka, redis or echo; found "
           "redis and echo",
       });
}

TEST_CASE("config: metadata names are lowercase and not reserved") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a/{room}
        upstream: { echo: {} }
        metadata:
          Room: "{room}"
          id: "{room}"
          room: ""
        content_type: json
)") == Errors{
           "holdfast.yaml:8:11: invalid metadata name 'Room'; expected lowercase letters and "
           "digits (e.g. room)",
           "holdfast.yaml:9:11: metadata name 'id' is reserved; every event already carries "
           "that attribute",
           "holdfast.yaml:10:17: expected a non-empty string for 'metadata.room', got an empty "
           "string",
           "holdfast.yaml:11:23: invalid content type 'json' for 'content_type'; expected "
           "type/subtype (e.g. application/json)",
       });
}

TEST_CASE("config: unknown filter") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
        filters:
          - jwtt: { issuer: https://id.example }
          - rate_limit: {}
            origin: {}
          - origin: { allow: [app.example], colour: red }
          - max_connections: {}
)") == Errors{
           "holdfast.yaml:8:13: unknown filter 'jwtt'; expected one of: jwt, rate_limit, origin "
           "or max_connections",
           "holdfast.yaml:9:13: expected one filter name as the only key of filters[1] (e.g. - "
           "jwt: {...}), got 2 keys",
           "holdfast.yaml:11:31: invalid origin 'app.example' for 'allow[0]'; expected "
           "scheme://host[:port] or scheme://*.domain (e.g. https://app.example)",
           "holdfast.yaml:11:45: unknown key 'colour' in filters[2].origin; expected one of: "
           "allow, allow_missing",
           "holdfast.yaml:12:30: expected at least one of per_listener, per_ip or per_user in "
           "'filters[3].max_connections'",
       });
}

TEST_CASE("config: replies go to one fixed kafka topic") {
  CHECK(errors(R"(
buses:
  kafka: { brokers: embedded }
  redis: { url: "redis://127.0.0.1" }
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a/{room}
        upstream: { kafka: { topic: "in.{room}" } }
        replies: { kafka: { topic: "out.{room}" } }
      - name: b
        path: /b
        upstream: { redis: { channel: b, maxlen: 5 } }
        replies: { kafka: { topic: "out b" }, redis: maybe }
)") == Errors{
           "holdfast.yaml:10:36: expected a fixed topic name for 'topic', got the template "
           "'out.{room}'; every instance reads the one reply topic",
           "holdfast.yaml:13:42: maxlen applies only to a stream, not to a channel",
           "holdfast.yaml:14:36: invalid Kafka topic 'out b' for 'topic'; expected up to 249 "
           "letters, digits, '.', '_' or '-'",
           "holdfast.yaml:14:54: invalid boolean 'maybe' for 'redis'; expected true or false",
       });
}

TEST_CASE("config: an unquoted template is a YAML map and the error says to quote it") {
  CHECK(errors(R"(
buses:
  kafka: { brokers: embedded }
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: rooms
        path: /rooms/{room}
        upstream:
          kafka:
            topic: rooms
            key: {room}
)") == Errors{
           "holdfast.yaml:11:18: expected a string for 'key', got a map; a value that starts "
           "with '{' must be quoted (e.g. \"{room}\")",
       });
}

TEST_CASE("config: echo and an empty replies.redis take no keys") {
  CHECK(errors(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a
        upstream: { echo: { delay: 1s } }
        replies: { redis: { channel: x } }
)") == Errors{
           "holdfast.yaml:6:29: unknown key 'delay' in upstream.echo; it takes no keys",
           "holdfast.yaml:7:20: route 'a' uses redis but buses.redis is not configured",
           "holdfast.yaml:7:29: unknown key 'channel' in replies.redis; it takes no keys",
       });
}

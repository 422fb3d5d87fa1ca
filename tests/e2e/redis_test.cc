// Client messages through Redis: a stream upstream and a pub/sub channel upstream, with replies
// PUBLISHed to the connection's reply channel.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.h"
#include "tests/support/json_lite.h"
#include "tests/support/kafka_client.h"
#include "tests/support/redis_client.h"

namespace holdfast::test::e2e {
namespace {

constexpr Millis kWait{15000};

constexpr std::string_view kConfig = R"(
instance: e2e-redis
workers: 2
admin: { address: 127.0.0.1:0 }
buses:
  redis: { url: "@REDIS@" }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: recho
        path: /redis/echo
        upstream: { redis: { stream: "@STREAM@" } }
        replies: { redis: {} }
      - name: rchan
        path: /redis/chan
        upstream: { redis: { channel: "@CHANNEL@" } }
        replies: { redis: {} }
      - name: rlimited
        path: /redis/limited
        max_inflight_bytes: 1KiB
        upstream: { redis: { stream: "@STREAM@" } }
)";

std::string config(const std::string& stream, const std::string& channel) {
  return fill(kConfig, {{"STREAM", stream}, {"CHANNEL", channel}});
}

void check_stream_fields(const StreamEntry& e, std::string_view content_type) {
  for (const char* name : {"data", "specversion", "id", "source", "type", "time", "datacontenttype",
                           "connectionid", "replyto", "traceparent"}) {
    INFO("field " << name);
    CHECK(e.field(name).has_value());
  }
  for (const auto& [name, value] : e.fields) {
    INFO("field " << name);
    CHECK(name.rfind("ce_", 0) != 0);  // no ce_ prefix on Redis
  }
  CHECK(e.field("specversion") == "1.0");
  CHECK(!e.field("id").value_or("").empty());
  CHECK(e.field("source") == "/holdfast/e2e-redis/recho");
  CHECK(e.field("type") == "io.holdfast.message");
  CHECK(is_recent_rfc3339_utc(e.field("time").value_or("")));
  CHECK(e.field("datacontenttype") == std::string(content_type));
  CHECK(is_traceparent(e.field("traceparent").value_or("")));
  const std::string conn = e.field("connectionid").value_or("");
  CHECK(!conn.empty());
  CHECK(e.field("replyto") == "holdfast:conn:" + conn);
}

}  // namespace

TEST_CASE("redis stream round trip", "[redis]") {
  const std::string stream = unique_topic("e2e:stream");
  DeleteKeyAtEnd cleanup{stream};
  HoldfastProcess proxy(config(stream, unique_topic("e2e:unused")));
  RedisClient redis(redis_url());

  auto ws = open_ws(proxy, "/redis/echo");
  REQUIRE(ws->send_text("hello stream"));
  auto entries = redis.read_stream(stream, "0", 1, kWait);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].field("data") == "hello stream");
  check_stream_fields(entries[0], "text/plain; charset=utf-8");
  const std::string reply_to = entries[0].field("replyto").value_or("");

  CHECK(redis.publish(reply_to, "reply \xE2\x9C\x93") >= 1);  // holdfast listens
  auto ev = ws->recv(kWait);
  INFO(describe(ev));
  CHECK(ev.kind == WsEvent::Kind::Text);
  CHECK(ev.data == "reply \xE2\x9C\x93");

  const std::string bytes("\x00\x01\xFF\xFEraw", 7);
  REQUIRE(ws->send_binary(bytes));
  auto more = redis.read_stream(stream, entries[0].id, 1, kWait);
  REQUIRE(more.size() == 1);
  CHECK(more[0].field("data") == bytes);
  check_stream_fields(more[0], "application/octet-stream");
  CHECK(more[0].field("id") != entries[0].field("id"));
  CHECK(more[0].field("connectionid") == entries[0].field("connectionid"));

  const std::string not_utf8("\xC3\x28\x00\xFF", 4);
  CHECK(redis.publish(reply_to, not_utf8) >= 1);
  ev = ws->recv(kWait);
  INFO(describe(ev));
  CHECK(ev.kind == WsEvent::Kind::Binary);
  CHECK(ev.data == not_utf8);
}

TEST_CASE("redis channel upstream publishes structured CloudEvents", "[redis]") {
  const std::string channel = unique_topic("e2e:chan");
  HoldfastProcess proxy(config(unique_topic("e2e:unused"), channel));
  RedisSubscriber sub(redis_url(), {channel});
  RedisClient redis(redis_url());

  auto ws = open_ws(proxy, "/redis/chan");
  REQUIRE(ws->send_text("hello \"pubsub\"\n"));
  auto msg = sub.next(kWait);
  REQUIRE(msg);
  CHECK(msg->channel == channel);
  INFO("payload " << msg->payload);
  auto json = parse_json(msg->payload);
  REQUIRE(json);
  REQUIRE(json->kind == Json::Kind::Object);
  CHECK(json->str("specversion") == "1.0");
  CHECK(!json->str("id").empty());
  CHECK(json->str("source") == "/holdfast/e2e-redis/rchan");
  CHECK(json->str("type") == "io.holdfast.message");
  CHECK(is_recent_rfc3339_utc(json->str("time")));
  CHECK(json->str("datacontenttype") == "text/plain; charset=utf-8");
  const std::string conn = json->str("connectionid");
  CHECK(!conn.empty());
  CHECK(json->str("replyto") == "holdfast:conn:" + conn);
  CHECK((*json)["data"].is_string());
  CHECK(json->str("data") == "hello \"pubsub\"\n");
  CHECK_FALSE(json->has("data_base64"));

  const std::string bytes("\x00\x01\xFF\xFE\x80", 5);
  REQUIRE(ws->send_binary(bytes));
  msg = sub.next(kWait);
  REQUIRE(msg);
  INFO("payload " << msg->payload);
  json = parse_json(msg->payload);
  REQUIRE(json);
  CHECK(json->str("datacontenttype") == "application/octet-stream");
  CHECK_FALSE(json->has("data"));
  REQUIRE((*json)["data_base64"].is_string());
  CHECK(base64_decode(json->str("data_base64")) == bytes);
  CHECK(json->str("connectionid") == conn);

  // One event per message: nothing else was published.
  CHECK_FALSE(sub.next(Millis(500)));

  // Replies use the same reply channel as with a stream.
  CHECK(redis.publish("holdfast:conn:" + conn, "back") >= 1);
  auto ev = ws->recv(kWait);
  INFO(describe(ev));
  CHECK(ev.kind == WsEvent::Kind::Text);
  CHECK(ev.data == "back");
}

TEST_CASE("a connection paused for its in-flight bytes is read again and loses nothing",
          "[redis]") {
  const std::string stream = unique_topic("e2e:paused");
  DeleteKeyAtEnd cleanup{stream};
  HoldfastProcess proxy(config(stream, unique_topic("e2e:unused")));
  auto ws = open_ws(proxy, "/redis/limited");
  check_paused_burst_reaches_stream(*ws, stream);
  CHECK(proxy.metric("holdfast_backpressure_pauses_total") > 0);
}

}  // namespace holdfast::test::e2e

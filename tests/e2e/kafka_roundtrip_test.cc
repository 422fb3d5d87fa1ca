// A client message through Kafka and a reply back, checked against message contract v1.
#include <catch2/catch.hpp>
#include <map>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_client.h"

namespace holdfast::test::e2e {
namespace {

constexpr Millis kWait{15000};

constexpr std::string_view kConfig = R"(
instance: e2e-rt
workers: 2
admin: { address: 127.0.0.1:0 }
buses:
  kafka: { brokers: "@KAFKA@" }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: kecho
        path: /kafka/echo
        upstream: { kafka: { topic: "@IN@", key: connection } }
        replies: { kafka: { topic: "@OUT@" } }
        events: { kafka: { topic: "@EV@" } }
      - name: rooms
        path: /rooms/{room}
        upstream: { kafka: { topic: "@ROOMS@", key: "{room}" } }
        replies: { kafka: { topic: "@OUT@" } }
        metadata: { room: "{room}" }
)";

struct Topics {
  std::string in = unique_topic("e2e.rt.in");
  std::string out = unique_topic("e2e.rt.out");
  std::string ev = unique_topic("e2e.rt.ev");
  std::string rooms = unique_topic("e2e.rt.rooms");
  ScopedTopics topics{{in, out, ev, rooms}};
  std::string config() const {
    return fill(kConfig, {{"IN", in}, {"OUT", out}, {"EV", ev}, {"ROOMS", rooms}});
  }
};

// Every header the contract names for a message, present exactly once.
void check_message_headers(const KafkaRecord& r, const std::string& route,
                           const std::string& reply_topic, std::string_view content_type) {
  for (const char* name :
       {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type",
        "ce_connectionid", "kafka_replyTopic", "kafka_correlationId", "traceparent"}) {
    INFO("header " << name);
    CHECK(r.header_count(name) == 1);
  }
  CHECK(r.header("ce_specversion") == "1.0");
  CHECK(!r.header("ce_id").value_or("").empty());
  CHECK(r.header("ce_source") == "/holdfast/e2e-rt/" + route);
  CHECK(r.header("ce_type") == "io.holdfast.message");
  INFO("ce_time " << r.header("ce_time").value_or("(none)"));
  CHECK(is_recent_rfc3339_utc(r.header("ce_time").value_or("")));
  CHECK(r.header("content-type") == std::string(content_type));
  CHECK(!r.header("ce_connectionid").value_or("").empty());
  CHECK(r.header("kafka_replyTopic") == reply_topic);
  CHECK(!r.header("kafka_correlationId").value_or("").empty());
  INFO("traceparent " << r.header("traceparent").value_or("(none)"));
  CHECK(is_traceparent(r.header("traceparent").value_or("")));
  CHECK(r.header_count("ce_authid") == 0);  // anonymous route
}

}  // namespace

TEST_CASE("kafka round trip follows the message contract", "[kafka]") {
  Topics t;
  KafkaConsumer inbound(std::vector<std::string>{t.in, t.rooms});
  KafkaProducer replies;
  HoldfastProcess proxy(t.config());

  auto ws = open_ws(proxy, "/kafka/echo");
  const std::string text = "hello, holdfast \xE2\x9C\x93";  // ends in U+2713
  REQUIRE(ws->send_text(text));
  const auto rec = inbound.next(kWait);
  REQUIRE(rec);
  CHECK(rec->topic == t.in);
  CHECK(rec->value == text);
  check_message_headers(*rec, "kecho", t.out, "text/plain; charset=utf-8");
  const std::string conn = rec->header("ce_connectionid").value_or("");
  const std::string correlation = rec->header("kafka_correlationId").value_or("");
  CHECK(rec->key == conn);  // key: connection

  // A reply carrying the correlation id comes back on this connection; UTF-8 without a
  // content type is a text frame.
  replies.produce(t.out, "reply \xE2\x9C\x93", {{"kafka_correlationId", correlation}});
  replies.flush();
  auto ev = ws->recv(kWait);
  INFO(describe(ev));
  CHECK(ev.kind == WsEvent::Kind::Text);
  CHECK(ev.data == "reply \xE2\x9C\x93");

  // Binary: octet-stream inbound; a non-UTF-8 reply without a content type is a binary frame.
  const std::string bytes("\x00\xFF\xFE binary\x80", 12);
  REQUIRE(ws->send_binary(bytes));
  const auto bin = inbound.next(kWait);
  REQUIRE(bin);
  CHECK(bin->value == bytes);
  check_message_headers(*bin, "kecho", t.out, "application/octet-stream");
  CHECK(bin->header("ce_connectionid") == conn);
  CHECK(bin->key == conn);
  CHECK(bin->header("ce_id") != rec->header("ce_id"));  // unique per event

  const std::string not_utf8("\xFF\x00\xC3\x28", 4);
  replies.produce(t.out, not_utf8, {{"kafka_correlationId", correlation}});
  // The content type decides when present: octet-stream is binary even for ASCII, JSON is text.
  replies.produce(
      t.out, "abc",
      {{"kafka_correlationId", correlation}, {"content-type", "application/octet-stream"}});
  replies.produce(t.out, R"({"ok":true})",
                  {{"kafka_correlationId", correlation}, {"content-type", "application/json"}});
  replies.flush();
  // The three records may sit on different partitions, so their order is not fixed.
  std::map<std::string, WsEvent::Kind> got;
  for (int i = 0; i < 3; ++i) {
    auto e = ws->recv(kWait);
    INFO(describe(e));
    REQUIRE(e.is_message());
    got[e.data] = e.kind;
  }
  CHECK(got == std::map<std::string, WsEvent::Kind>{{not_utf8, WsEvent::Kind::Binary},
                                                    {"abc", WsEvent::Kind::Binary},
                                                    {R"({"ok":true})", WsEvent::Kind::Text}});

  // A path template as the key, route metadata as ce_<name>, and the client's trace continued.
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  WsClient::Options with_trace;
  with_trace.headers = {{"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"}};
  auto room = open_ws(proxy, "/rooms/lobby", with_trace);
  REQUIRE(room->send_text("hi room"));
  const auto rr = inbound.next(kWait);
  REQUIRE(rr);
  CHECK(rr->topic == t.rooms);
  CHECK(rr->value == "hi room");
  check_message_headers(*rr, "rooms", t.out, "text/plain; charset=utf-8");
  CHECK(rr->key == "lobby");
  CHECK(rr->header("ce_room") == "lobby");
  CHECK(rr->header("ce_connectionid") != conn);
  CHECK(rr->header("traceparent").value_or("").substr(3, 32) == trace_id);
}

TEST_CASE("a message in five fragments becomes one record", "[kafka]") {
  Topics t;
  KafkaConsumer inbound(t.in);
  HoldfastProcess proxy(t.config());

  auto ws = open_ws(proxy, "/kafka/echo");
  const std::vector<std::string> parts = {"one ", "two ", "three ", "four ", "five"};
  for (size_t i = 0; i < parts.size(); ++i) {
    REQUIRE(ws->send_frame(i == 0 ? WsOpcode::Text : WsOpcode::Continuation, parts[i],
                           i + 1 == parts.size()));
    if (i == 2) REQUIRE(ws->send_ping("mid-message"));  // control frames may interleave
  }
  // A binary message of five fragments whose split points cut nothing special.
  REQUIRE(ws->send_fragmented(WsOpcode::Binary, std::string(5000, '\x01') + "end", 5));

  const auto text = inbound.next(kWait);
  REQUIRE(text);
  CHECK(text->value == "one two three four five");
  CHECK(text->header("content-type") == "text/plain; charset=utf-8");
  const auto bin = inbound.next(kWait);
  REQUIRE(bin);
  CHECK(bin->value == std::string(5000, '\x01') + "end");
  CHECK(bin->header("content-type") == "application/octet-stream");
  // Nothing else: each fragment did not become a record of its own.
  CHECK_FALSE(inbound.next(Millis(1000)));
}

TEST_CASE("a reply's own traceparent names its trace in the reply's log lines", "[kafka]") {
  Topics t;
  KafkaConsumer inbound(t.in);
  KafkaProducer replies;
  HoldfastProcess proxy(t.config());
  auto ws = open_ws(proxy, "/kafka/echo");
  REQUIRE(ws->send_text("who am i"));
  const auto rec = inbound.next(kWait);
  REQUIRE(rec);
  const std::string conn = rec->header("ce_connectionid").value_or("");
  const std::string client_trace = rec->header("traceparent").value_or("").substr(3, 32);

  // The service's own span, in another trace than the connection's.
  const std::string reply_trace = "0af7651916cd43dd8448eb211c80319c";
  REQUIRE(reply_trace != client_trace);
  replies.produce(t.out, "",
                  {{"holdfast-target", "connection:" + conn},
                   {"holdfast-control", "close"},
                   {"holdfast-close-code", "4001"},
                   {"traceparent", "00-" + reply_trace + "-b7ad6b7169203331-01"}});
  replies.flush();
  const WsEvent closed = ws->recv(kWait);
  INFO(describe(closed));
  CHECK(closed.is_close(4001));
  const auto line = proxy.wait_for_log(
      [](const LogLine& l) { return l.msg() == "close requested by upstream"; }, kWait);
  REQUIRE(line);
  CHECK(line->field("trace_id") == reply_trace);
  CHECK(line->field("conn_id") == conn);
  // The connection's own lines keep the connection's trace.
  const auto access = proxy.wait_for_log(
      [&](const LogLine& l) { return l.field("conn_id") == conn && l.msg() != line->msg(); },
      kWait);
  REQUIRE(access);
  CHECK(access->field("trace_id") == client_trace);
}

}  // namespace holdfast::test::e2e

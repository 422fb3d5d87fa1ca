// Connection events on the events topic, and replies that find no connection.
#include <catch2/catch.hpp>
#include <thread>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_client.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kConfig = R"(
instance: e2e-events
workers: 2
admin: { address: 127.0.0.1:0 }
buses:
  kafka: { brokers: "@KAFKA@" }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: kecho
        path: /kafka/echo
        upstream: { kafka: { topic: "@IN@" } }
        replies: { kafka: { topic: "@OUT@" } }
        events: { kafka: { topic: "@EV@" } }
)";

struct Setup {
  std::string in = unique_topic("e2e.events.in");
  std::string out = unique_topic("e2e.events.out");
  std::string ev = unique_topic("e2e.events.ev");
  ScopedTopics topics{{in, out, ev}};
  std::string config() const { return fill(kConfig, {{"IN", in}, {"OUT", out}, {"EV", ev}}); }
};

// Closes with `code` and `reason`, expects the server to answer with the same code, then EOF.
void close_from_client(WsClient& ws, int code, const std::string& reason) {
  REQUIRE(ws.send_close(code, reason));
  const WsEvent ev = ws.recv(Millis(10000));
  INFO(describe(ev));
  CHECK(ev.is_close(code));
  CHECK(ws.wait_eof(Millis(10000)));
}

}  // namespace

TEST_CASE("disconnect events carry the client's close code and reason", "[kafka]") {
  Setup s;
  KafkaConsumer events(s.ev);
  HoldfastProcess proxy(s.config());

  const struct {
    int code;
    std::string reason;
  } cases[] = {{4000, "bye"}, {1000, ""}};
  for (const auto& c : cases) {
    INFO("close code " << c.code);
    auto ws = open_ws(proxy, "/kafka/echo");
    const auto connect = events.next(Millis(15000));
    REQUIRE(connect);
    CHECK(connect->header("ce_type") == "io.holdfast.connect");
    CHECK(connect->header("ce_specversion") == "1.0");
    CHECK(connect->header("ce_source") == "/holdfast/e2e-events/kecho");
    CHECK(is_recent_rfc3339_utc(connect->header("ce_time").value_or("")));
    CHECK(connect->header_count("ce_closecode") == 0);
    const std::string id = connect->header("ce_connectionid").value_or("");
    REQUIRE(!id.empty());

    close_from_client(*ws, c.code, c.reason);
    const auto disconnect = events.next(Millis(15000));
    REQUIRE(disconnect);
    CHECK(disconnect->header("ce_type") == "io.holdfast.disconnect");
    CHECK(disconnect->header("ce_connectionid") == id);
    CHECK(disconnect->header("ce_closecode") == std::to_string(c.code));
    CHECK(disconnect->header("ce_closereason").value_or("") == c.reason);
    CHECK(disconnect->header("ce_id") != connect->header("ce_id"));
  }
  CHECK_FALSE(events.next(Millis(500)));  // exactly two events per connection
}

TEST_CASE("a reply to a gone connection is counted once and dropped", "[kafka]") {
  Setup s;
  KafkaConsumer inbound(s.in);
  KafkaProducer producer;
  HoldfastProcess proxy(s.config());
  const std::string undeliverable =
      R"(holdfast_replies_undeliverable_total{reason="no_connection"})";
  const std::string active = "holdfast_connections_active";

  std::string correlation;
  {
    auto ws = open_ws(proxy, "/kafka/echo");
    REQUIRE(ws->send_text("soon gone"));
    const auto r = inbound.next(Millis(15000));
    REQUIRE(r);
    correlation = r->header("kafka_correlationId").value_or("");
    REQUIRE(!correlation.empty());
    close_from_client(*ws, 1000, "");
  }
  CHECK(proxy.wait_metric(
            active, [](double v) { return v == 0; }, Millis(10000)) == 0);
  const double before = proxy.metric(undeliverable);

  producer.produce(s.out, "too late", {{"kafka_correlationId", correlation}});
  producer.flush();
  const double after = proxy.wait_metric(
      undeliverable, [&](double v) { return v > before; }, Millis(15000));
  CHECK(after == before + 1);
  std::this_thread::sleep_for(Millis(500));
  CHECK(proxy.metric(undeliverable) == before + 1);  // counted once, not per worker

  // Still serving: a new connection round-trips.
  auto ws = open_ws(proxy, "/kafka/echo");
  REQUIRE(ws->send_text("still here?"));
  const auto r = inbound.next(Millis(15000));
  REQUIRE(r);
  producer.produce(s.out, "yes",
                   {{"kafka_correlationId", r->header("kafka_correlationId").value_or("")}});
  producer.flush();
  const WsEvent ev = ws->recv(Millis(15000));
  INFO(describe(ev));
  CHECK(ev.kind == WsEvent::Kind::Text);
  CHECK(ev.data == "yes");
  CHECK(proxy.metric(undeliverable) == before + 1);
}

}  // namespace holdfast::test::e2e

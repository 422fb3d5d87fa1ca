// How the proxy refuses or ends connections: the close code for each kind of trouble.
#include <catch2/catch.hpp>
#include <map>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_client.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kConfig = R"(
instance: e2e-close
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
        max_message_size: 1KiB
        max_outbound_bytes: 64KiB
        bus_timeout: 1s
)";

struct Setup {
  std::string in = unique_topic("e2e.close.in");
  std::string out = unique_topic("e2e.close.out");
  ScopedTopics topics{{in, out}};
  std::string config() const { return fill(kConfig, {{"IN", in}, {"OUT", out}}); }
};

// The server's close frame, then the end of the connection.
void expect_close(WsClient& ws, int code, Millis timeout = Millis(10000)) {
  const WsEvent ev = ws.recv(timeout);
  INFO("expected close " << code << ", got " << describe(ev));
  CHECK(ev.is_close(code));
  CHECK(ws.wait_eof(Millis(10000)));
}

}  // namespace

TEST_CASE("a message over max_message_size closes with 1009", "[kafka]") {
  Setup s;
  KafkaConsumer inbound(s.in);
  HoldfastProcess proxy(s.config());

  auto exact = open_ws(proxy, "/kafka/echo");
  REQUIRE(exact->send_text(std::string(1024, 'a')));  // exactly the limit: accepted
  const auto r = inbound.next(Millis(15000));
  REQUIRE(r);
  CHECK(r->value.size() == 1024);

  auto whole = open_ws(proxy, "/kafka/echo");
  REQUIRE(whole->send_text(std::string(1025, 'b')));
  expect_close(*whole, 1009);

  // Each fragment is small; together they pass the limit.
  auto fragmented = open_ws(proxy, "/kafka/echo");
  REQUIRE(fragmented->send_fragmented(WsOpcode::Binary, std::string(2048, 'c'), 8));
  expect_close(*fragmented, 1009);

  CHECK_FALSE(inbound.next(Millis(1000)));  // neither oversized message was produced
  CHECK(proxy.metric("holdfast_message_too_big_total") == 2);
  const WsEvent ev = exact->recv(Millis(100));  // the well-behaved client is still open
  INFO(describe(ev));
  CHECK(ev.kind == WsEvent::Kind::Timeout);
}

TEST_CASE("invalid UTF-8 in a text message closes with 1007", "[kafka]") {
  Setup s;
  KafkaConsumer inbound(s.in);
  HoldfastProcess proxy(s.config());

  // A character split across fragments is still valid.
  auto split = open_ws(proxy, "/kafka/echo");
  REQUIRE(split->send_frame(WsOpcode::Text, "caf\xC3", false));
  REQUIRE(split->send_frame(WsOpcode::Continuation, "\xA9", true));
  const auto r = inbound.next(Millis(15000));
  REQUIRE(r);
  CHECK(r->value == "caf\xC3\xA9");

  auto bad = open_ws(proxy, "/kafka/echo");
  REQUIRE(bad->send_text("bad \xC3\x28 text"));
  expect_close(*bad, 1007);

  // The same bytes as binary are fine.
  auto binary = open_ws(proxy, "/kafka/echo");
  REQUIRE(binary->send_binary("bad \xC3\x28 bytes"));
  const auto b = inbound.next(Millis(15000));
  REQUIRE(b);
  CHECK(b->value == "bad \xC3\x28 bytes");
  CHECK_FALSE(inbound.next(Millis(500)));  // the invalid text was not produced
}

TEST_CASE("an unknown path is refused with HTTP 404 before the upgrade", "[kafka]") {
  Setup s;
  HoldfastProcess proxy(s.config());
  for (const char* path : {"/nope", "/kafka", "/kafka/echo/extra"}) {
    INFO(path);
    WsClient ws;
    CHECK_FALSE(ws.connect("127.0.0.1", proxy.port(), path));
    CHECK(ws.response().status == 404);
    CHECK_FALSE(ws.response().header("Sec-WebSocket-Accept"));
  }
  auto ok = open_ws(proxy, "/kafka/echo");  // the known path still upgrades
  // The worker counts the session just after it writes the 101, so the scrape may race it.
  CHECK(proxy.wait_metric(
            "holdfast_connections_active", [](double v) { return v == 1; }, Millis(5000)) == 1);
}

TEST_CASE("a bus that stays down closes with 1013 after bus_timeout", "[kafka]") {
  // A port nothing listens on: the broker is unreachable for the whole test.
  const std::string yaml =
      fill(kConfig, {{"KAFKA", "127.0.0.1:" + std::to_string(free_loopback_port())},
                     {"IN", "e2e.down.in"},
                     {"OUT", "e2e.down.out"}});
  HoldfastProcess::Options options;
  options.wait_ready = false;
  HoldfastProcess proxy(yaml, options);

  CHECK(proxy.http_get("/healthz").status == 200);
  CHECK(proxy.http_get("/readyz").status == 503);
  CHECK(proxy.metric("holdfast_ready") == 0);

  auto ws = open_ws(proxy, "/kafka/echo");
  const auto sent_at = Clock::now();
  REQUIRE(ws->send_text("nobody hears this"));
  expect_close(*ws, 1013, Millis(8000));
  const auto took = std::chrono::duration_cast<Millis>(Clock::now() - sent_at).count();
  INFO("closed after " << took << " ms");
  CHECK(took >= 900);   // not before bus_timeout (1s)
  CHECK(took <= 6000);  // and soon after it
  CHECK(proxy.metric("holdfast_bus_timeout_closes_total") == 1);
}

TEST_CASE("a client that does not read is closed with 1008 and others go on", "[kafka]") {
  Setup s;
  KafkaConsumer inbound(s.in);
  KafkaProducer producer;
  HoldfastProcess proxy(s.config());

  WsClient::Options tiny;
  tiny.rcvbuf = 4096;  // a small window, so the proxy's queue fills quickly
  auto slow = open_ws(proxy, "/kafka/echo", tiny);
  auto fast = open_ws(proxy, "/kafka/echo");
  REQUIRE(slow->send_text("slow"));
  REQUIRE(fast->send_text("fast"));
  std::map<std::string, std::string> ids;  // payload -> connection id
  for (int i = 0; i < 2; ++i) {
    const auto r = inbound.next(Millis(15000));
    REQUIRE(r);
    ids[r->value] = r->header("ce_connectionid").value_or("");
  }
  REQUIRE(!ids["slow"].empty());
  REQUIRE(!ids["fast"].empty());

  // About 6 MiB for the slow client, far over its 64 KiB outbound bound and the socket buffers.
  const std::string chunk(32 * 1024, 'x');
  for (int i = 0; i < 200; ++i)
    producer.produce(s.out, chunk, {{"holdfast-target", "connection:" + ids["slow"]}});
  producer.produce(s.out, "for the fast one", {{"holdfast-target", "connection:" + ids["fast"]}});
  producer.flush();

  // The fast client is served while the slow one is stuck.
  const WsEvent ev = fast->recv(Millis(15000));
  INFO(describe(ev));
  CHECK(ev.kind == WsEvent::Kind::Text);
  CHECK(ev.data == "for the fast one");
  const double closes = proxy.wait_metric(
      "holdfast_slow_consumer_closes_total", [](double v) { return v >= 1; }, Millis(20000));
  CHECK(closes == 1);

  // Now read: whatever frames made it out, then the 1008 close.
  WsEvent last;
  size_t frames = 0;
  const auto deadline = Clock::now() + Millis(20000);
  do {
    last = slow->recv(Millis(millis_left(deadline)));
    if (last.is_message()) ++frames;
  } while (last.is_message());
  INFO("after " << frames << " frames: " << describe(last));
  CHECK(last.is_close(1008));
  CHECK(frames < 200);  // the queue was dropped, not delivered
}

}  // namespace holdfast::test::e2e

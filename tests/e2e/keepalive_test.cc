// Keepalive and idle timeouts: a peer that answers pings stays, one that does not is dropped,
// a connection with no messages is closed once idle_timeout passes, and messages keep it open.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kConfig = R"(
instance: e2e-keepalive
workers: 1
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: ping
        path: /ping
        upstream: { echo: {} }
        keepalive: { ping_interval: 500ms, pong_timeout: 500ms }
      - name: idle
        path: /idle
        upstream: { echo: {} }
        keepalive: { ping_interval: 0, idle_timeout: 1s }
)";

// One echo route on a listener whose receive buffer is @BUFFER@.
constexpr std::string_view kBufferConfig = R"(
instance: e2e-keepalive
workers: 1
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    receive_buffer: @BUFFER@
    routes:
      - name: buffered
        path: /buffered
        upstream: { echo: {} }
)";

// Sends a ping with `payload` and then a message, and checks the message's echo.
void ping_then_echo(WsClient& ws, const std::string& payload, int round) {
  REQUIRE(ws.send_ping(payload));
  REQUIRE(ws.send_text("after ping " + std::to_string(round)));
  const WsEvent e = ws.recv(Millis(2000));
  INFO(describe(e));
  REQUIRE(e.kind == WsEvent::Kind::Text);
  CHECK(e.data == "after ping " + std::to_string(round));
}

// Waits for the pong to the `n`th ping and checks its payload.
void check_pong(WsClient& ws, size_t n, const std::string& payload) {
  for (int i = 0; i < 10 && ws.pongs() < n; ++i)
    ws.recv(Millis(200));
  CHECK(ws.pongs() == n);
  CHECK(ws.last_pong() == payload);
}

}  // namespace

TEST_CASE("a peer that answers pings stays, a silent one is dropped", "[keepalive]") {
  HoldfastProcess proxy(fill(kConfig, {}));
  auto live = open_ws(proxy, "/ping");
  auto silent = open_ws(proxy, "/ping");

  // recv() answers every ping on the way; 3 s is several ping intervals.
  const WsEvent nothing = live->recv(Millis(3000));
  CHECK(nothing.kind == WsEvent::Kind::Timeout);
  // Empty pings: their pongs leave an idle connection's receive buffer untouched. The proxy
  // learns of the pongs from the kernel, so the live client was not dropped.
  CHECK(live->pings() >= 2);
  CHECK(live->ping_payload_bytes() == 0);
  REQUIRE(live->send_text("still here"));
  const WsEvent echoed = live->recv(Millis(2000));
  CHECK(echoed.data == "still here");

  // The silent client never read its pings, so the proxy has given up on it by now.
  CHECK(silent->wait_eof(Millis(2000)));
  CHECK_FALSE(silent->close_received());
  CHECK(proxy.wait_metric(R"(holdfast_disconnects_total{route="ping",code="1006"})",
                          [](double v) { return v == 1; }, Millis(3000)) == 1);
}

TEST_CASE("a connection with no messages is closed after idle_timeout", "[keepalive]") {
  HoldfastProcess proxy(fill(kConfig, {}));
  auto ws = open_ws(proxy, "/idle");
  const auto start = Clock::now();
  const WsEvent e = ws->recv(Millis(4000));
  const auto waited = std::chrono::duration_cast<Millis>(Clock::now() - start);
  INFO(describe(e));
  CHECK(e.is_close(1000));
  CHECK(e.close_reason == "idle timeout");
  CHECK(waited >= Millis(900));
  CHECK(waited <= Millis(3000));
}

TEST_CASE("messages keep a connection from idling out", "[keepalive]") {
  HoldfastProcess proxy(fill(kConfig, {}));
  auto ws = open_ws(proxy, "/idle");
  // Twice the idle timeout, with a message every 300 ms: each one counts as activity.
  for (int i = 0; i < 7; ++i) {
    REQUIRE(ws->send_text("tick " + std::to_string(i)));
    const WsEvent e = ws->recv(Millis(300));
    INFO(describe(e));
    REQUIRE(e.kind == WsEvent::Kind::Text);
    CHECK(e.data == "tick " + std::to_string(i));
    ws->recv(Millis(300 - 50));  // nothing comes; waits out the rest of the period
  }
  const WsEvent last = ws->recv(Millis(4000));
  INFO(describe(last));
  CHECK(last.is_close(1000));
}

TEST_CASE("a client's ping is answered with its payload, in the smallest receive buffer",
          "[keepalive]") {
  // libwebsockets copies a control frame's payload into the connection's receive buffer, which
  // holdfast allocates apart from everything else; 125 bytes is the most a ping may carry.
  HoldfastProcess proxy(fill(kBufferConfig, {{"BUFFER", "256"}}));
  auto ws = open_ws(proxy, "/buffered");
  std::string payload;
  for (int i = 0; i < 125; ++i)
    payload.push_back(static_cast<char>('!' + i % 90));
  for (int round = 0; round < 3; ++round) {
    ping_then_echo(*ws, payload, round);
    // The pong may follow the echo: wait a little for it.
    if (ws->pongs() < static_cast<size_t>(round + 1)) ws->recv(Millis(500));
    CHECK(ws->pongs() == static_cast<size_t>(round + 1));
    CHECK(ws->last_pong() == payload);
  }
}

TEST_CASE("a receive buffer whose first page goes back after pings answers each ping whole",
          "[keepalive]") {
  // With a buffer of a page or more, the worker gives back the page a ping's payload was written
  // to on its next tick (every 250 ms), but never while a frame is part read.
  HoldfastProcess proxy(fill(kBufferConfig, {{"BUFFER", "16KiB"}}));
  auto ws = open_ws(proxy, "/buffered");
  size_t pings = 0;
  for (int round = 0; round < 3; ++round) {
    const std::string payload = "ping " + std::to_string(round) + std::string(100, 'a' + round);
    ping_then_echo(*ws, payload, round);
    check_pong(*ws, ++pings, payload);
    ws->recv(Millis(600));  // ticks go by: the page is given back
  }
  // A ping cut in two, with ticks between the halves: its payload is part read meanwhile.
  const std::string payload = "split " + std::string(110, 'z');
  const std::string frame = ws->encode_frame(WsOpcode::Ping, payload, true);
  REQUIRE(ws->send_raw(frame.substr(0, 60)));
  CHECK(ws->recv(Millis(700)).kind == WsEvent::Kind::Timeout);
  REQUIRE(ws->send_raw(frame.substr(60)));
  check_pong(*ws, ++pings, payload);
  REQUIRE(ws->send_text("still whole"));
  CHECK(ws->recv(Millis(2000)).data == "still whole");
}

}  // namespace holdfast::test::e2e

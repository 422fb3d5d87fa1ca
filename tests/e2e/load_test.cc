// Volume and concurrency: many messages on one connection, many connections at once, and the
// echo route, each answered in order and to the right client; messages larger than the receive
// buffer arrive whole.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_echo.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kConfig = R"(
instance: e2e-load
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
      - name: echo
        path: /echo
        upstream: { echo: {} }
)";

struct Setup {
  std::string in = unique_topic("e2e.load.in");
  std::string out = unique_topic("e2e.load.out");
  ScopedTopics topics{{in, out}};
  std::string config() const { return fill(kConfig, {{"IN", in}, {"OUT", out}}); }
};

}  // namespace

TEST_CASE("10000 messages on one connection arrive and are answered in order", "[kafka]") {
  constexpr int kCount = 10000;
  constexpr int kWindow = 500;  // messages sent and not yet answered
  Setup s;
  KafkaEchoService service(s.in);
  HoldfastProcess proxy(s.config());
  auto ws = open_ws(proxy, "/kafka/echo");

  const auto deadline = Clock::now() + Millis(120000);
  int sent = 0;
  int answered = 0;
  while (answered < kCount) {
    REQUIRE(Clock::now() < deadline);
    while (sent < kCount && sent - answered < kWindow)
      REQUIRE(ws->send_text(seq_payload(sent++)));
    const WsEvent ev = ws->recv(Millis(15000));
    INFO("after " << answered << " replies: " << describe(ev)
                  << "; service error: " << service.error());
    REQUIRE(ev.kind == WsEvent::Kind::Text);
    REQUIRE(ev.data == seq_payload(answered));
    ++answered;
  }
  service.stop();
  CHECK(service.error().empty());

  // What the proxy produced: every message once, in the order it was sent, from one connection.
  const auto records = service.records();
  REQUIRE(records.size() == static_cast<size_t>(kCount));
  const auto conn = records.front().header("ce_connectionid");
  REQUIRE(conn);
  for (int i = 0; i < kCount; ++i) {
    const auto& r = records[static_cast<size_t>(i)];
    if (r.value != seq_payload(i) || r.header("ce_connectionid") != conn) {
      FAIL("record " << i << " is '" << r.value << "' from "
                     << r.header("ce_connectionid").value_or("?"));
    }
  }
  CHECK_FALSE(ws->has_pending());  // no extra replies
}

TEST_CASE("100 concurrent connections each get only their own replies", "[kafka]") {
  constexpr int kClients = 100;
  constexpr int kMessages = 20;
  Setup s;
  KafkaEchoService service(s.in);
  HoldfastProcess proxy(s.config());

  std::vector<std::unique_ptr<WsClient>> clients;
  for (int c = 0; c < kClients; ++c)
    clients.push_back(open_ws(proxy, "/kafka/echo"));
  const auto payload = [](int c, int m) {
    return "client-" + std::to_string(c) + "-msg-" + std::to_string(m);
  };
  // Interleaved, so every connection has messages in flight at the same time.
  for (int m = 0; m < kMessages; ++m) {
    for (int c = 0; c < kClients; ++c)
      REQUIRE(clients[c]->send_text(payload(c, m)));
  }
  for (int c = 0; c < kClients; ++c) {
    for (int m = 0; m < kMessages; ++m) {
      const WsEvent ev = clients[c]->recv(Millis(20000));
      INFO("client " << c << " reply " << m << ": " << describe(ev)
                     << "; service error: " << service.error());
      REQUIRE(ev.kind == WsEvent::Kind::Text);
      REQUIRE(ev.data == payload(c, m));
    }
  }
  // Nobody received a reply meant for someone else: the count per client would be off.
  std::vector<WsClient*> all;
  for (auto& c : clients)
    all.push_back(c.get());
  const int extra = wait_any(all, Millis(500));
  INFO("client with an extra message: " << extra);
  CHECK(extra == -1);
  service.stop();
  CHECK(service.echoed() == static_cast<size_t>(kClients * kMessages));
  CHECK(service.error().empty());
}

TEST_CASE("the echo route answers text and binary in order", "[kafka]") {
  constexpr int kCount = 1000;
  constexpr int kWindow = 100;
  Setup s;
  HoldfastProcess proxy(s.config());
  auto ws = open_ws(proxy, "/echo");
  const auto message = [](int i) {
    // Even: text. Odd: binary that is not UTF-8, so a text frame would be wrong.
    return i % 2 == 0 ? seq_payload(i) : std::string("\xFF\x00", 2) + seq_payload(i);
  };
  int sent = 0;
  for (int answered = 0; answered < kCount; ++answered) {
    while (sent < kCount && sent - answered < kWindow) {
      const std::string m = message(sent);
      REQUIRE((sent % 2 == 0 ? ws->send_text(m) : ws->send_binary(m)));
      ++sent;
    }
    const WsEvent ev = ws->recv(Millis(10000));
    INFO("reply " << answered << ": " << describe(ev));
    REQUIRE(ev.kind == (answered % 2 == 0 ? WsEvent::Kind::Text : WsEvent::Kind::Binary));
    REQUIRE(ev.data == message(answered));
  }
  CHECK(ws->recv(Millis(300)).kind == WsEvent::Kind::Timeout);
}

TEST_CASE("a burst of echoes, several to a write, arrives whole and in order", "[kafka]") {
  Setup s;
  HoldfastProcess proxy(s.config());
  auto ws = open_ws(proxy, "/echo");
  check_burst_echo(*ws);
}

TEST_CASE("messages around and past the receive buffer arrive whole, with any buffer size") {
  for (const char* buffer : {"256", "64KiB"}) {
    INFO("receive_buffer: " << buffer);
    HoldfastProcess proxy(fill(R"(
instance: e2e-rxbuf
workers: 1
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    receive_buffer: @BUFFER@
    routes:
      - { name: echo, path: /echo, upstream: { echo: {} } }
)",
                               {{"BUFFER", buffer}}));
    auto ws = open_ws(proxy, "/echo");
    // Sizes on either side of the buffer (less lws's own 4 to 20 bytes) and of the 16-bit frame
    // length, several times the buffer, and a burst of them sent without waiting.
    const std::vector<size_t> sizes = {1, 235, 236, 237, 256, 4095, 65515, 65536, 200000};
    for (size_t i = 0; i < sizes.size(); ++i) {
      std::string m(sizes[i], static_cast<char>('a' + i));
      m.replace(0, std::min<size_t>(m.size(), 1), 1, static_cast<char>('A' + i));
      REQUIRE(ws->send_text(m));
    }
    for (size_t i = 0; i < sizes.size(); ++i) {
      const WsEvent ev = ws->recv(Millis(10000));
      INFO("message " << i << " of " << sizes[i] << " bytes: " << describe(ev));
      REQUIRE(ev.kind == WsEvent::Kind::Text);
      REQUIRE(ev.data.size() == sizes[i]);
      CHECK(ev.data[0] == static_cast<char>('A' + i));
      CHECK(ev.data.back() == static_cast<char>(sizes[i] == 1 ? 'A' + i : 'a' + i));
    }
    CHECK(ws->recv(Millis(300)).kind == WsEvent::Kind::Timeout);
  }
}

TEST_CASE("a client writing many small frames at once is read a share per turn, losing none") {
  HoldfastProcess proxy(R"(
instance: e2e-share
workers: 1
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    routes:
      - { name: echo, path: /echo, upstream: { echo: {} } }
)");
  auto burst = open_ws(proxy, "/echo");
  auto other = open_ws(proxy, "/echo");
  constexpr int kFrames = 3000;  // about 48 KB: each 16 KiB read holds a thousand
  std::string frames;
  for (int i = 0; i < kFrames; ++i)
    frames += burst->encode_frame(WsOpcode::Text, seq_payload(i), true);
  REQUIRE(burst->send_raw(frames));
  REQUIRE(other->send_text("beside the burst"));
  const WsEvent beside = other->recv(Millis(10000));
  INFO(describe(beside));
  CHECK((beside.kind == WsEvent::Kind::Text && beside.data == "beside the burst"));
  for (int i = 0; i < kFrames; ++i) {
    const WsEvent ev = burst->recv(Millis(10000));
    INFO("echo " << i << ": " << describe(ev));
    REQUIRE(ev.kind == WsEvent::Kind::Text);
    REQUIRE(ev.data == seq_payload(i));
  }
  CHECK(burst->recv(Millis(300)).kind == WsEvent::Kind::Timeout);
  // Each turn took at most a share of 32 frames from the burst, so most turns used theirs up.
  CHECK(proxy.metric("holdfast_read_budget_spent_total") >= kFrames / 32 / 2);
}

}  // namespace holdfast::test::e2e

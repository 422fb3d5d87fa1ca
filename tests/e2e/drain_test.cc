// SIGTERM while a client streams: the client is closed with 1001, the process exits 0, and what
// the proxy read from the client reached Kafka, in order and without a gap.
//
// The invariant, exactly: let W be the frames the client wrote completely (it stops writing when
// it sees the close frame or the socket stops taking bytes), and P the sequence numbers this
// connection has in Kafka once the process has exited. Then the first appearances in P are
// exactly 0..K-1, in order, with K > 0 and K <= W; K also covers everything seen in Kafka
// before the signal. A frame may be in W and not in P: after SIGTERM the proxy stops reading,
// so frames still in the kernel's buffers are never read and never acknowledged; the 1001 close
// tells the client to send them again elsewhere. What the proxy did read is never lost, and a
// later message never overtakes an earlier one. When the proxy logs how many messages it read
// from the connection ("connection closed", messages_in), K must equal that number.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_client.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kConfig = R"(
instance: e2e-drain
workers: 2
drain_timeout: 4s
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
)";

}  // namespace

TEST_CASE("SIGTERM drains: close 1001, exit 0, nothing read is lost", "[kafka]") {
  const std::string in = unique_topic("e2e.drain.in");
  const std::string out = unique_topic("e2e.drain.out");
  ScopedTopics topics({in, out});
  KafkaConsumer inbound(in);
  HoldfastProcess proxy(fill(kConfig, {{"IN", in}, {"OUT", out}}));
  auto ws = open_ws(proxy, "/kafka/echo");

  std::vector<int> produced;
  const auto take_available = [&](Millis wait) {
    while (auto r = inbound.next(wait))
      produced.push_back(seq_number(r->value));
  };

  // Stream until Kafka has a few hundred of them, so the signal lands mid-stream.
  int written = 0;
  const auto warmup_deadline = Clock::now() + Millis(60000);
  while (produced.size() < 300) {
    REQUIRE(Clock::now() < warmup_deadline);
    for (int k = 0; k < 50; ++k)
      REQUIRE(ws->send_text(seq_payload(written++)));
    take_available(Millis(1));
  }
  const size_t seen_before_signal = produced.size();
  proxy.signal(SIGTERM);

  // Keep writing until the close frame arrives or the socket stops taking bytes (the proxy no
  // longer reads); a write that times out is not counted.
  ws->send_timeout = Millis(500);
  WsEvent close_event;
  bool writing = true;
  const auto close_deadline = Clock::now() + Millis(30000);
  while (Clock::now() < close_deadline) {
    if (ws->has_pending() || !writing) {
      close_event = ws->recv(Millis(millis_left(close_deadline)));
      if (close_event.kind == WsEvent::Kind::Timeout && writing) continue;  // a partial frame
      break;
    }
    if (ws->send_text(seq_payload(written))) {
      ++written;
    } else {
      writing = false;
    }
  }
  INFO("after SIGTERM the client saw: " << describe(close_event) << "; wrote " << written);
  CHECK(close_event.is_close(1001));

  const auto status = proxy.wait_exit(Millis(20000));
  INFO(proxy.log_text());
  REQUIRE(status);
  CHECK(*status == 0);

  // The producer was flushed before exit, so everything is in Kafka now; read until quiet.
  take_available(Millis(3000));
  REQUIRE(!produced.empty());
  const int count = *std::max_element(produced.begin(), produced.end()) + 1;
  size_t duplicates = 0;
  const std::string broken = check_in_order_at_least_once(produced, count, duplicates);
  INFO("produced " << produced.size() << " records, " << duplicates << " repeats; written "
                   << written << "; seen before the signal " << seen_before_signal);
  CHECK(broken.empty());
  CHECK(count <= written);
  CHECK(static_cast<size_t>(count) >= seen_before_signal);
  // The proxy's own count of messages it read from this client, when its log reports it: every
  // one of them must have been produced.
  const auto closed = proxy.wait_for_log(
      [](const LogLine& l) { return l.msg() == "connection closed" && l.json->has("messages_in"); },
      Millis(0));
  if (closed) CHECK(closed->field("messages_in") == std::to_string(count));
  if (duplicates > 0) WARN(duplicates << " messages were produced more than once");
}

}  // namespace holdfast::test::e2e

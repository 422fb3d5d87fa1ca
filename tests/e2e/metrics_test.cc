// The counters agree exactly with what clients did: connections, closes by code, messages and
// bytes each way, and the duration histogram's count.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.h"

namespace holdfast::test::e2e {

TEST_CASE("metrics agree with what the clients observed", "[metrics]") {
  HoldfastProcess proxy(fill(R"(
instance: e2e-metrics
workers: 2
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: echo
        path: /echo
        upstream: { echo: {} }
)",
                             {}));
  constexpr int kClients = 6;
  constexpr int kMessages = 25;
  size_t bytes = 0;
  for (int c = 0; c < kClients; ++c) {
    auto ws = open_ws(proxy, "/echo");
    for (int m = 0; m < kMessages; ++m) {
      const std::string payload = seq_payload(c * 1000 + m);
      bytes += payload.size();
      REQUIRE(ws->send_text(payload));
      REQUIRE(ws->recv(Millis(5000)).data == payload);
    }
    REQUIRE(ws->send_close(c % 2 == 0 ? 1000 : 4000, "done"));
    REQUIRE(ws->wait_eof(Millis(5000)));
  }
  const auto equals = [](double want) { return [want](double v) { return v == want; }; };
  CHECK(proxy.wait_metric(R"(holdfast_connections_active{route="echo"})", equals(0),
                          Millis(3000)) == 0);
  CHECK(proxy.metric(R"(holdfast_connections_total{route="echo",result="accepted"})") == kClients);
  CHECK(proxy.metric(R"(holdfast_disconnects_total{route="echo",code="1000"})") == kClients / 2);
  CHECK(proxy.metric(R"(holdfast_disconnects_total{route="echo",code="4000"})") == kClients / 2);
  CHECK(proxy.metric(R"(holdfast_connection_duration_seconds_count{route="echo"})") == kClients);
  CHECK(proxy.metric(R"(holdfast_messages_total{route="echo",direction="in"})") ==
        kClients * kMessages);
  CHECK(proxy.metric(R"(holdfast_messages_total{route="echo",direction="out"})") ==
        kClients * kMessages);
  CHECK(proxy.metric(R"(holdfast_message_bytes_total{route="echo",direction="in"})") ==
        static_cast<double>(bytes));
  CHECK(proxy.metric(R"(holdfast_message_bytes_total{route="echo",direction="out"})") ==
        static_cast<double>(bytes));

  // A path with no route is counted as such and is not a connection.
  WsClient lost;
  CHECK_FALSE(lost.connect("127.0.0.1", proxy.port(), "/nowhere"));
  CHECK(lost.response().status == 404);
  CHECK(proxy.metric(R"(holdfast_connections_total{route="",result="no_route"})") == 1);
}

}  // namespace holdfast::test::e2e

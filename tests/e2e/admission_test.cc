// The filter chain's admission path with the origin and max_connections filters: refusals before
// the upgrade are HTTP answers with a JSON body, counted per filter and decision.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kConfig = R"(
instance: e2e-admission
workers: 2
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    xff_trusted_hops: 1
    routes:
      - name: guarded
        path: /guarded
        filters:
          - origin: { allow: ["https://app.example", "https://*.example.org"] }
        upstream: { echo: {} }
      - name: capped
        path: /capped
        filters:
          - max_connections: { per_ip: 2 }
        upstream: { echo: {} }
      - name: strict
        path: /strict
        filters:
          - origin: { allow: ["https://app.example"], allow_missing: false }
        upstream: { echo: {} }
)";

std::unique_ptr<WsClient> try_connect(const HoldfastProcess& proxy, const std::string& path,
                                      Headers headers) {
  auto ws = std::make_unique<WsClient>();
  WsClient::Options options;
  options.headers = std::move(headers);
  ws->connect("127.0.0.1", proxy.port(), path, options);
  return ws;
}

void expect_echo(WsClient& ws) {
  REQUIRE(ws.send_text("ping"));
  const WsEvent ev = ws.recv(Millis(5000));
  INFO(describe(ev));
  CHECK((ev.kind == WsEvent::Kind::Text && ev.data == "ping"));
}

}  // namespace

TEST_CASE("origin: an allowed Origin connects, another gets 403 with a JSON body", "[filters]") {
  HoldfastProcess proxy(fill(kConfig, {}));
  const double refused0 =
      proxy.metric(R"(holdfast_filter_decisions_total{filter="origin",decision="forbidden"})");

  auto good = try_connect(proxy, "/guarded", {{"Origin", "https://app.example"}});
  REQUIRE(good->response().status == 101);
  expect_echo(*good);
  auto sub = try_connect(proxy, "/guarded", {{"Origin", "https://chat.example.org"}});
  CHECK(sub->response().status == 101);
  auto bare = try_connect(proxy, "/guarded", {});  // no Origin: allowed by default
  CHECK(bare->response().status == 101);

  auto evil = try_connect(proxy, "/guarded", {{"Origin", "https://evil.example"}});
  CHECK(evil->response().status == 403);
  CHECK(evil->response().body.find(R"("error":"forbidden")") != std::string::npos);
  auto apex = try_connect(proxy, "/guarded", {{"Origin", "https://example.org"}});
  CHECK(apex->response().status == 403);  // *.example.org is subdomains only
  auto missing = try_connect(proxy, "/strict", {});
  CHECK(missing->response().status == 403);

  CHECK(proxy.metric(R"(holdfast_filter_decisions_total{filter="origin",decision="forbidden"})") ==
        refused0 + 2);
  CHECK(proxy.metric(R"(holdfast_filter_decisions_total{filter="origin",decision="missing"})") ==
        1);
  CHECK(proxy.metric(R"(holdfast_connections_total{route="guarded",result="rejected_origin"})") ==
        2);
}

TEST_CASE("max_connections: the cap per client IP answers 429 with Retry-After, others pass",
          "[filters]") {
  HoldfastProcess proxy(fill(kConfig, {}));
  // One trusted proxy in front: the client is the last X-Forwarded-For address.
  const Headers a = {{"X-Forwarded-For", "10.0.0.1"}};
  const Headers b = {{"X-Forwarded-For", "192.0.2.9, 10.0.0.2"}};
  auto a1 = try_connect(proxy, "/capped", a);
  auto a2 = try_connect(proxy, "/capped", a);
  REQUIRE(a1->response().status == 101);
  REQUIRE(a2->response().status == 101);
  auto a3 = try_connect(proxy, "/capped", a);
  CHECK(a3->response().status == 429);
  CHECK(a3->response().header("retry-after") == std::optional<std::string>("1"));
  CHECK(a3->response().body.find(R"("error":"too_many_connections")") != std::string::npos);

  auto b1 = try_connect(proxy, "/capped", b);  // another address is not affected
  CHECK(b1->response().status == 101);
  expect_echo(*b1);

  // Closing one frees its place.
  REQUIRE(a1->send_close(1000));
  CHECK(a1->wait_eof(Millis(5000)));
  const double freed = proxy.wait_metric(R"(holdfast_connections_active{route="capped"})",
                                         [](double v) { return v == 2; }, Millis(5000));
  CHECK(freed == 2);
  auto a4 = try_connect(proxy, "/capped", a);
  CHECK(a4->response().status == 101);

  CHECK(proxy.metric(
            R"(holdfast_filter_decisions_total{filter="max_connections",decision="ip_full"})") ==
        1);
  CHECK(proxy.metric(R"(holdfast_connections_total{route="capped",result="rejected_rate"})") == 1);
}

TEST_CASE(
    "subprotocols: an offer without holdfast gets 400 and one too long for the server gets "
    "431, each counted, and an offer with holdfast is answered with it",
    "[admission]") {
  HoldfastProcess proxy(fill(kConfig, {}));
  auto chat = try_connect(proxy, "/capped", {{"Sec-WebSocket-Protocol", "chat, superchat"}});
  INFO(chat->error());
  CHECK(chat->response().status == 400);
  CHECK(chat->response().body.find(R"("error":"unsupported_subprotocol")") != std::string::npos);

  const std::string long_token(200, 't');
  auto huge =
      try_connect(proxy, "/capped", {{"Sec-WebSocket-Protocol", long_token + ", holdfast"}});
  CHECK(huge->response().status == 431);
  CHECK(huge->response().body.find(R"("error":"header_too_large")") != std::string::npos);

  auto good = try_connect(proxy, "/capped", {{"Sec-WebSocket-Protocol", "chat, holdfast"}});
  REQUIRE(good->response().status == 101);
  CHECK(good->response().header("Sec-WebSocket-Protocol") ==
        std::optional<std::string>("holdfast"));
  expect_echo(*good);

  CHECK(proxy.metric(R"(holdfast_connections_total{route="capped",result="bad_request"})") == 2);
  CHECK(proxy.metric(R"(holdfast_connections_total{route="capped",result="accepted"})") == 1);
  // The filters never saw the refused requests.
  CHECK(proxy.metric(
            R"(holdfast_filter_decisions_total{filter="max_connections",decision="allowed"})") ==
        1);
}

}  // namespace holdfast::test::e2e

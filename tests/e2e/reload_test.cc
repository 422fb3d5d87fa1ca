// Live reload: SIGHUP, or a change to a watched file, loads the config file again. New routes and
// filters apply to new connections; open connections are not dropped; a bad file or a change that
// needs a restart leaves the running config in place, and each outcome is logged and counted.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "tests/e2e/e2e_support.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kBefore = R"(
instance: e2e-reload
workers: 2
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
)";

// The listener keeps port 0 here: the reload compares the configured address, not the bound one.
constexpr std::string_view kAfter = R"(
instance: e2e-reload
workers: 2
log: { level: info }
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
      - name: b
        path: /b
        filters:
          - origin: { allow: ["https://app.example"] }
        upstream: { echo: {} }
)";

void rewrite(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".new";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
  }
  REQUIRE(std::rename(tmp.c_str(), path.c_str()) == 0);
}

double reloads(const HoldfastProcess& proxy, const char* result) {
  return proxy.metric(std::string("holdfast_config_reloads_total{result=\"") + result + "\"}");
}

void expect_echo(WsClient& ws, const std::string& text) {
  REQUIRE(ws.send_text(text));
  const WsEvent ev = ws.recv(Millis(5000));
  INFO(describe(ev));
  REQUIRE(ev.kind == WsEvent::Kind::Text);
  CHECK(ev.data == text);
}

int upgrade_status(const HoldfastProcess& proxy, const std::string& path, Headers headers) {
  WsClient ws;
  WsClient::Options options;
  options.headers = std::move(headers);
  ws.connect("127.0.0.1", proxy.port(), path, options);
  return ws.response().status;
}

}  // namespace

TEST_CASE("SIGHUP adds a route and its filters while open connections go on", "[reload]") {
  HoldfastProcess proxy(fill(kBefore, {}));
  auto held = open_ws(proxy, "/a");
  expect_echo(*held, "before");
  CHECK(upgrade_status(proxy, "/b", {}) == 404);

  rewrite(proxy.config_path(), fill(kAfter, {}));
  proxy.signal(SIGHUP);
  REQUIRE(proxy.wait_metric(R"(holdfast_config_reloads_total{result="success"})",
                            [](double v) { return v == 1; }, Millis(10000)) == 1);
  REQUIRE(proxy.wait_for_log("config reloaded", Millis(5000)));

  expect_echo(*held, "after");  // the connection made before the reload is still served
  CHECK(upgrade_status(proxy, "/b", {{"Origin", "https://app.example"}}) == 101);
  CHECK(upgrade_status(proxy, "/b", {{"Origin", "https://evil.example"}}) == 403);
  CHECK(upgrade_status(proxy, "/a", {}) == 101);
}

TEST_CASE("a bad file is rejected with its errors and the running config stays", "[reload]") {
  HoldfastProcess proxy(fill(kAfter, {}));
  rewrite(proxy.config_path(), "listeners:\n  - address: 127.0.0.1:0\n    routes: []\n");
  proxy.signal(SIGHUP);
  REQUIRE(proxy.wait_metric(R"(holdfast_config_reloads_total{result="failure"})",
                            [](double v) { return v == 1; }, Millis(10000)) == 1);
  const auto line = proxy.wait_for_log("config reload rejected", Millis(5000));
  REQUIRE(line);
  CHECK(line->raw.find(".yaml:3:13:") != std::string::npos);  // file:line:col of the error
  CHECK(reloads(proxy, "success") == 0);
  CHECK(upgrade_status(proxy, "/b", {{"Origin", "https://app.example"}}) == 101);
}

TEST_CASE("a change that needs a restart is reported and not applied", "[reload]") {
  HoldfastProcess proxy(fill(kBefore, {}));
  std::string moved = fill(kAfter, {});
  moved.replace(moved.find("instance: e2e-reload"), 20, "instance: e2e-other");
  rewrite(proxy.config_path(), moved);
  proxy.signal(SIGHUP);
  REQUIRE(proxy.wait_metric(R"(holdfast_config_reloads_total{result="restart_required"})",
                            [](double v) { return v == 1; }, Millis(10000)) == 1);
  const auto line = proxy.wait_for_log("needs a restart", Millis(5000));
  REQUIRE(line);
  CHECK(line->raw.find("instance") != std::string::npos);
  CHECK(upgrade_status(proxy, "/b", {}) == 404);  // the new route was not applied either
}

TEST_CASE("with reload.watch, a changed file is reloaded without a signal, once per change",
          "[reload]") {
  const std::string watched = "reload: { watch: true }\n";
  HoldfastProcess proxy(watched + fill(kBefore, {}));
  REQUIRE(proxy.wait_for_log("watching the config file", Millis(5000)));
  auto held = open_ws(proxy, "/a");
  CHECK(upgrade_status(proxy, "/b", {}) == 404);

  // Replaced by a rename, as editors and ConfigMap updates do.
  rewrite(proxy.config_path(), watched + fill(kAfter, {}));
  REQUIRE(proxy.wait_metric(R"(holdfast_config_reloads_total{result="success"})",
                            [](double v) { return v >= 1; }, Millis(10000)) == 1);
  CHECK(upgrade_status(proxy, "/b", {{"Origin", "https://app.example"}}) == 101);
  expect_echo(*held, "still here");

  // The same content again is no change; a broken file is refused and counted.
  rewrite(proxy.config_path(), watched + fill(kAfter, {}));
  std::this_thread::sleep_for(Millis(1000));
  CHECK(reloads(proxy, "success") == 1);
  rewrite(proxy.config_path(), watched + "listeners: 7\n");
  REQUIRE(proxy.wait_metric(R"(holdfast_config_reloads_total{result="failure"})",
                            [](double v) { return v >= 1; }, Millis(10000)) == 1);
  CHECK(upgrade_status(proxy, "/b", {{"Origin", "https://app.example"}}) == 101);

  // Turning the watch off is itself a change that needs a restart.
  rewrite(proxy.config_path(), fill(kAfter, {}));
  REQUIRE(proxy.wait_metric(R"(holdfast_config_reloads_total{result="restart_required"})",
                            [](double v) { return v >= 1; }, Millis(10000)) == 1);
  const auto line = proxy.wait_for_log("needs a restart", Millis(5000));
  REQUIRE(line);
  CHECK(line->raw.find("reload.watch") != std::string::npos);
}

TEST_CASE("reloads under load drop no connection and lose no message", "[reload]") {
  HoldfastProcess proxy(fill(kBefore, {}));
  constexpr int kClients = 20;
  constexpr int kMessages = 1000;
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < kClients; ++i)
    clients.push_back(open_ws(proxy, "/a"));

  // Five reloads, each one waited for, while every client keeps sending.
  std::thread reloader([&] {
    for (int i = 0; i < 5; ++i) {
      rewrite(proxy.config_path(), fill(i % 2 == 0 ? kAfter : kBefore, {}));
      proxy.signal(SIGHUP);
      proxy.wait_metric(R"(holdfast_config_reloads_total{result="success"})",
                        [i](double v) { return v >= i + 1; }, Millis(10000));
    }
  });
  int received = 0;
  for (int m = 0; m < kMessages; ++m) {
    for (auto& c : clients)
      REQUIRE(c->send_text(seq_payload(m)));
    for (auto& c : clients) {
      const WsEvent ev = c->recv(Millis(5000));
      INFO(describe(ev));
      REQUIRE(ev.kind == WsEvent::Kind::Text);
      REQUIRE(seq_number(ev.data) == m);
      ++received;
    }
  }
  reloader.join();
  CHECK(received == kClients * kMessages);
  CHECK(proxy.wait_metric(R"(holdfast_config_reloads_total{result="success"})",
                          [](double v) { return v == 5; }, Millis(10000)) == 5);
  CHECK(proxy.metric(R"(holdfast_connections_active{route="a"})") == kClients);
  CHECK(proxy.metric(R"(holdfast_disconnects_total{route="a"})") == 0);
}

}  // namespace holdfast::test::e2e

// The open-file limit: `file_limit` sets it, and once every descriptor is in use the proxy
// answers new connections with 503 (counted) instead of leaving them queued, keeps its CPU to
// itself, and takes connections again as soon as some close.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "tests/e2e/e2e_support.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kConfig = R"(
instance: e2e-file-limit
workers: 1
file_limit: @LIMIT@
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    routes:
      - { name: echo, path: /echo, upstream: { echo: {} } }
)";

// The soft "Max open files" of a process, from /proc/<pid>/limits.
long soft_file_limit(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) == 0) return std::stol(line.substr(26));
  }
  return -1;
}

// utime + stime of a process, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) {
      stime = std::stol(field);
      break;
    }
  }
  return utime + stime;
}

}  // namespace

TEST_CASE("file_limit sets the process's open-file limit", "[limits]") {
  HoldfastProcess proxy(fill(kConfig, {{"LIMIT", "300"}}));
  CHECK(soft_file_limit(proxy.pid()) == 300);
  auto ws = open_ws(proxy, "/echo");
  REQUIRE(ws->send_text("ping"));
  const WsEvent ev = ws->recv(Millis(5000));
  CHECK((ev.kind == WsEvent::Kind::Text && ev.data == "ping"));
}

TEST_CASE("out of file descriptors: 503, counted, no spinning, and back once some close",
          "[limits]") {
  HoldfastProcess proxy(fill(kConfig, {{"LIMIT", "256"}}));
  std::vector<std::unique_ptr<WsClient>> open;
  int status = 0;
  for (int i = 0; i < 400 && status == 0; ++i) {
    auto ws = std::make_unique<WsClient>();
    if (ws->connect("127.0.0.1", proxy.port(), "/echo")) {
      open.push_back(std::move(ws));
    } else {
      status = ws->response().status;
    }
  }
  INFO("connections open before the first refusal: " << open.size());
  REQUIRE(open.size() > 100);
  CHECK(status == 503);
  CHECK(proxy.wait_metric(R"(holdfast_connections_total{route="",result="file_limit"})",
                          [](double v) { return v >= 1; }, Millis(5000)) >= 1);

  // A refused connection left queued would keep the listener readable and the loop busy.
  const long before = cpu_ticks(proxy.pid());
  std::this_thread::sleep_for(Millis(1000));
  CHECK(cpu_ticks(proxy.pid()) - before < 50);  // a spinning loop takes about 100 a second

  // Idle connections to the admin endpoint take the reserved descriptors too, until none is
  // left and accept() itself fails; a client is still answered 503, through the spare.
  const double refused =
      proxy.metric(R"(holdfast_connections_total{route="",result="file_limit"})");
  std::vector<int> admin;
  std::string error;
  for (int i = 0; i < 64; ++i) {
    const int fd = connect_tcp("127.0.0.1", proxy.admin_port(), Millis(2000), 0, error);
    if (fd >= 0) admin.push_back(fd);
  }
  std::this_thread::sleep_for(Millis(200));
  {
    WsClient ws;
    CHECK_FALSE(ws.connect("127.0.0.1", proxy.port(), "/echo"));
    CHECK(ws.response().status == 503);
  }
  const long before_spare = cpu_ticks(proxy.pid());
  std::this_thread::sleep_for(Millis(1000));
  CHECK(cpu_ticks(proxy.pid()) - before_spare < 50);
  for (int fd : admin)
    ::close(fd);
  CHECK(proxy.wait_metric(R"(holdfast_connections_total{route="",result="file_limit"})",
                          [&](double v) { return v > refused; }, Millis(5000)) > refused);

  int warnings = 0;
  for (const auto& line : proxy.logs())
    warnings += line.msg().find("out of file descriptors") != std::string::npos;
  CHECK(warnings >= 1);
  CHECK(warnings <= 4);

  open.resize(open.size() - 10);
  auto ws = std::make_unique<WsClient>();
  bool connected = false;
  for (int attempt = 0; attempt < 50 && !connected; ++attempt) {
    connected = ws->connect("127.0.0.1", proxy.port(), "/echo");
    if (!connected) std::this_thread::sleep_for(Millis(100));
  }
  REQUIRE(connected);
  REQUIRE(ws->send_text("back"));
  const WsEvent ev = ws->recv(Millis(5000));
  CHECK((ev.kind == WsEvent::Kind::Text && ev.data == "back"));
}

}  // namespace holdfast::test::e2e

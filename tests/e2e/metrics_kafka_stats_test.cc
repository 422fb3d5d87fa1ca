// librdkafka's statistics on /metrics of a running proxy: the callback fires (through the
// queues' wake-up pipes, on the loops) and its figures reach the scrape.
#include <catch2/catch.hpp>

#include <regex>
#include <sstream>
#include <thread>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_client.h"

namespace holdfast::test::e2e {
namespace {

// Statistics every 200 ms instead of 5 s; a long linger keeps produced messages queued long
// enough to be seen there.
constexpr std::string_view kConfig = R"(
instance: e2e-kstats
workers: 2
admin: { address: 127.0.0.1:0 }
buses:
  kafka:
    brokers: "@KAFKA@"
    producer: { statistics.interval.ms: 200, linger.ms: 3000 }
    consumer: { statistics.interval.ms: 200 }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: kin
        path: /in
        upstream: { kafka: { topic: "@IN@" } }
        replies: { kafka: { topic: "@OUT@" } }
)";

// The broker labels of holdfast_kafka_broker_rtt_seconds in a scrape.
std::vector<std::string> rtt_brokers(const std::string& scrape) {
  static const std::regex sample(R"re(^holdfast_kafka_broker_rtt_seconds\{broker="([^"]*)"\} )re");
  std::vector<std::string> out;
  std::istringstream lines(scrape);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, sample)) out.push_back(m[1]);
  }
  return out;
}

}  // namespace

TEST_CASE("metrics: kafka statistics reach /metrics", "[metrics][kafka]") {
  const std::string in = unique_topic("e2e.kstats.in");
  const std::string out = unique_topic("e2e.kstats.out");
  ScopedTopics topics({in, out});
  HoldfastProcess proxy(fill(kConfig, {{"IN", in}, {"OUT", out}}));

  // The reply consumer fetches all the time, so its round trips show within a few windows.
  const double rtt = proxy.wait_metric(
      "holdfast_kafka_broker_rtt_seconds", [](double v) { return v > 0; }, Millis(15000));
  CHECK(rtt > 0);
  CHECK(rtt < 10);
  const auto scrape = proxy.http_get("/metrics");
  REQUIRE(scrape.status == 200);
  INFO(scrape.body);
  CHECK(scrape.body.find("# TYPE holdfast_kafka_broker_rtt_seconds gauge\n") != std::string::npos);
  const auto brokers = rtt_brokers(scrape.body);
  REQUIRE(!brokers.empty());
  for (const auto& b : brokers) {
    INFO("broker " << b);
    CHECK(std::regex_match(b, std::regex(R"((\[[0-9a-fA-F:.]+\]|[^:\[\]]+):[0-9]+)")));
  }
  CHECK(scrape.body.find("# TYPE holdfast_kafka_tx_errors_total counter\n") != std::string::npos);
  CHECK(scrape.body.find("\nholdfast_kafka_tx_errors_total ") != std::string::npos);
  CHECK(scrape.body.find("# TYPE holdfast_kafka_queue_messages gauge\n") != std::string::npos);
  CHECK(proxy.metric("holdfast_kafka_queue_messages") == 0);

  // Messages lingering in a producer's queue are counted there, then leave it once delivered.
  constexpr int kMessages = 5;
  auto ws = open_ws(proxy, "/in");
  for (int i = 0; i < kMessages; ++i)
    REQUIRE(ws->send_text(seq_payload(i)));
  const auto queued = [](double v) { return v == kMessages; };
  CHECK(proxy.wait_metric("holdfast_kafka_queue_messages", queued, Millis(2500)) == kMessages);
  const auto empty = [](double v) { return v == 0; };
  CHECK(proxy.wait_metric("holdfast_kafka_queue_messages", empty, Millis(15000)) == 0);
  CHECK(proxy.metric(R"(holdfast_bus_publish_duration_seconds_count{bus="kafka"})") == kMessages);
  CHECK(proxy.metric("holdfast_kafka_tx_errors_total") == 0);
}

TEST_CASE("metrics: kafka statistics can be turned off by the operator", "[metrics][kafka]") {
  const std::string in = unique_topic("e2e.kstats.off.in");
  const std::string out = unique_topic("e2e.kstats.off.out");
  ScopedTopics topics({in, out});
  std::string config = fill(kConfig, {{"IN", in}, {"OUT", out}});
  for (auto at = config.find("statistics.interval.ms: 200"); at != std::string::npos;
       at = config.find("statistics.interval.ms: 200"))
    config.replace(at, 27, "statistics.interval.ms: 0");
  HoldfastProcess proxy(config);
  std::this_thread::sleep_for(Millis(1500));
  const auto scrape = proxy.http_get("/metrics");
  REQUIRE(scrape.status == 200);
  INFO(scrape.body);
  CHECK(rtt_brokers(scrape.body).empty());
  CHECK(scrape.body.find("\nholdfast_kafka_queue_messages 0\n") != std::string::npos);
}

}  // namespace holdfast::test::e2e

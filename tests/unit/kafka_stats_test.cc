// librdkafka's statistics JSON reduced to the exported figures: the parser, and how reports
// turn into a client's queue depth, transmit errors and broker round trips.
#include <catch2/catch.hpp>

#include <string>

#include "proxy/bus/kafka_stats.h"

namespace holdfast {
namespace {

// Shaped like librdkafka 2.0's output, with the members holdfast ignores cut short.
constexpr std::string_view kProducerStats = R"({
  "name": "holdfast-w0#producer-1", "client_id": "holdfast-w0", "type": "producer",
  "ts": 15414965763, "time": 1795477928, "replyq": 0, "msg_cnt": 42, "msg_size": 4200,
  "brokers": {
    "10.0.0.1:9092/bootstrap": {
      "name": "10.0.0.1:9092/bootstrap", "nodeid": -1, "nodename": "10.0.0.1:9092",
      "source": "configured", "state": "UP", "tx": 3, "txerrs": 1,
      "rtt": { "min": 900, "max": 4000, "avg": 2000, "p50": 1800, "p99": 3900, "cnt": 3 }
    },
    "kafka-0.example:9092/0": {
      "name": "kafka-0.example:9092/0", "nodeid": 0, "nodename": "kafka-0.example:9092",
      "source": "learned", "state": "UP", "tx": 120, "txerrs": 2,
      "int_latency": { "p99": 777777, "cnt": 5 },
      "rtt": { "min": 500, "max": 2500, "avg": 1200, "p50": 1100, "p99": 2400, "cnt": 120 },
      "req": { "Produce": 100, "Metadata": 2 },
      "toppars": { "t-0": { "topic": "t", "partition": 0 } }
    },
    "kafka-1.example:9092/1": {
      "name": "kafka-1.example:9092/1", "nodeid": 1, "nodename": "kafka-1.example:9092",
      "source": "learned", "state": "UP", "tx": 0, "txerrs": 0,
      "rtt": { "min": 0, "max": 0, "avg": 0, "p50": 0, "p99": 0, "cnt": 0 }
    },
    "GroupCoordinator": {
      "name": "GroupCoordinator", "nodeid": 0, "nodename": "kafka-0.example:9092",
      "source": "logical", "state": "UP", "txerrs": 5,
      "rtt": { "p99": 999999, "cnt": 1 }
    },
    ":0/internal": {
      "name": ":0/internal", "nodeid": -1, "nodename": "", "source": "internal",
      "txerrs": 0, "rtt": { "p99": 0, "cnt": 0 }
    }
  },
  "topics": { "t": { "topic": "t", "batchsize": { "p99": 1 } } },
  "tx": 123, "txerrs": 3
})";

std::string broker_stats(const std::string& name, int nodeid, int64_t p99, int64_t txerrs) {
  const std::string nodename = name.substr(0, name.find('/'));
  return "\"" + name + "\": {\"name\": \"" + name + "\", \"nodeid\": " + std::to_string(nodeid) +
         ", \"nodename\": \"" + nodename +
         "\", \"source\": \"learned\", \"txerrs\": " + std::to_string(txerrs) +
         ", \"rtt\": {\"p99\": " + std::to_string(p99) + "}}";
}

std::string producer_stats(int64_t msg_cnt, const std::vector<std::string>& brokers) {
  std::string out =
      R"({"type": "producer", "msg_cnt": )" + std::to_string(msg_cnt) + R"(, "brokers": {)";
  for (size_t i = 0; i < brokers.size(); ++i)
    out += (i > 0 ? ", " : "") + brokers[i];
  return out + "}}";
}

int64_t rtt_of(const KafkaClientStats& s, std::string_view broker) {
  for (size_t i = 0; i < s.broker_count(); ++i) {
    if (s.broker_name(i) == broker) return s.broker_rtt_micros(i);
  }
  return -1;
}

}  // namespace

TEST_CASE("metrics: kafka statistics are read from librdkafka's JSON", "[metrics][kafka]") {
  KafkaStatsReport r;
  REQUIRE(parse_kafka_stats(kProducerStats, r));
  CHECK(r.producer);
  CHECK(r.queue_messages == 42);
  // The internal and logical brokers hand their work to real ones and are left out.
  REQUIRE(r.brokers.size() == 3);
  CHECK(r.brokers[0].name == "10.0.0.1:9092/bootstrap");
  CHECK(r.brokers[0].nodeid == -1);
  CHECK(r.brokers[0].tx_errors == 1);
  CHECK(r.brokers[1].name == "kafka-0.example:9092/0");
  CHECK(r.brokers[1].nodename == "kafka-0.example:9092");
  CHECK(r.brokers[1].nodeid == 0);
  CHECK(r.brokers[1].rtt_p99_micros == 2400);  // rtt's, not int_latency's
  CHECK(r.brokers[1].tx_errors == 2);
  CHECK(r.brokers[2].rtt_p99_micros == 0);
}

TEST_CASE("metrics: a consumer's statistics carry no queue depth", "[metrics][kafka]") {
  KafkaStatsReport r;
  REQUIRE(parse_kafka_stats(R"({"type": "consumer", "msg_cnt": 7, "brokers": {}})", r));
  CHECK_FALSE(r.producer);

  KafkaClientStats out;
  out.set_queue_messages(3);
  KafkaStatsCollector(out).apply(r);
  CHECK(out.queue_messages() == 3);
}

TEST_CASE("metrics: malformed kafka statistics are refused", "[metrics][kafka]") {
  KafkaStatsReport r;
  CHECK_FALSE(parse_kafka_stats("", r));
  CHECK_FALSE(parse_kafka_stats(R"({"msg_cnt": "many"})", r));
  CHECK_FALSE(parse_kafka_stats(R"({"brokers": []})", r));
  CHECK_FALSE(parse_kafka_stats(R"({"brokers": {"a": {"rtt": 5}}})", r));
  CHECK_FALSE(parse_kafka_stats(R"({"brokers": {"a": {"rtt": {"p99": 1}})", r));

  // Nothing changes when a report cannot be read.
  KafkaClientStats out;
  KafkaStatsCollector collector(out);
  collector.on_stats(R"({"type": "producer", "msg_cnt": 5, "brokers": {"a": {"txerrs": []}}})");
  CHECK(out.queue_messages() == 0);
  CHECK(out.broker_count() == 0);
}

TEST_CASE("metrics: a client's figures follow its latest kafka statistics", "[metrics][kafka]") {
  KafkaClientStats out;
  KafkaStatsCollector collector(out);
  collector.on_stats(kProducerStats);
  CHECK(out.queue_messages() == 42);
  CHECK(out.tx_errors() == 3);  // the bootstrap entry's and kafka-0's, not the coordinator's
  // Brokers of the cluster only: not the bootstrap entry.
  REQUIRE(out.broker_count() == 2);
  CHECK(rtt_of(out, "kafka-0.example:9092") == 2400);
  CHECK(rtt_of(out, "kafka-1.example:9092") == 0);
  CHECK(rtt_of(out, "10.0.0.1:9092") == -1);

  SECTION("transmit errors count what was added since the last report") {
    collector.on_stats(producer_stats(0, {broker_stats("kafka-0.example:9092/0", 0, 100, 6),
                                          broker_stats("kafka-1.example:9092/1", 1, 300, 1)}));
    CHECK(out.tx_errors() == 3 + 4 + 1);
    CHECK(out.queue_messages() == 0);
    CHECK(rtt_of(out, "kafka-0.example:9092") == 100);
    CHECK(rtt_of(out, "kafka-1.example:9092") == 300);

    // A broker that left and came back starts counting again from zero.
    collector.on_stats(producer_stats(0, {broker_stats("kafka-1.example:9092/1", 1, 300, 1)}));
    collector.on_stats(producer_stats(0, {broker_stats("kafka-0.example:9092/0", 0, 100, 2),
                                          broker_stats("kafka-1.example:9092/1", 1, 300, 1)}));
    CHECK(out.tx_errors() == 8 + 2);
  }
  SECTION("a broker missing from a report had no round trips in it") {
    collector.on_stats(producer_stats(1, {broker_stats("kafka-1.example:9092/1", 1, 700, 0)}));
    CHECK(rtt_of(out, "kafka-0.example:9092") == 0);
    CHECK(rtt_of(out, "kafka-1.example:9092") == 700);
    CHECK(out.broker_count() == 2);
  }
  SECTION("brokers that share an address report the slower round trip") {
    collector.on_stats(producer_stats(0, {broker_stats("kafka-0.example:9092/0", 0, 100, 2),
                                          broker_stats("kafka-0.example:9092/7", 7, 900, 0)}));
    CHECK(rtt_of(out, "kafka-0.example:9092") == 900);
  }
}

TEST_CASE("metrics: the broker table keeps a fixed number of brokers", "[metrics][kafka]") {
  KafkaClientStats out;
  KafkaStatsCollector collector(out);
  std::vector<std::string> brokers;
  for (size_t i = 0; i < kKafkaMaxBrokers + 5; ++i)
    brokers.push_back(broker_stats("b" + std::to_string(i) + ":9092/" + std::to_string(i),
                                   static_cast<int>(i), static_cast<int64_t>(i + 1), 1));
  collector.on_stats(producer_stats(0, brokers));
  CHECK(out.broker_count() == kKafkaMaxBrokers);
  CHECK(rtt_of(out, "b0:9092") == 1);
  CHECK(rtt_of(out, "b" + std::to_string(kKafkaMaxBrokers) + ":9092") == -1);
  CHECK(out.tx_errors() == kKafkaMaxBrokers + 5);  // every broker's errors still count
}

}  // namespace holdfast

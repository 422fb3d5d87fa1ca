// librdkafka's statistics (statistics.interval.ms, delivered to the stats callback as JSON),
// reduced to what holdfast exports: the producer queue depth, each broker's round-trip time and
// the transmit errors. The callback is served by rd_kafka_poll() and rd_kafka_consume_queue(),
// so it runs on the loop that serves the client, after the queue's wake-up pipe fires.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/kafka_client_stats.h"

namespace holdfast {

// The default statistics.interval.ms of every client; the operator's properties override it.
inline constexpr const char* kKafkaStatsIntervalMs = "5000";

struct KafkaStatsReport {
  struct Broker {
    std::string name;            // librdkafka's key, "host:port/nodeid" or "host:port/bootstrap"
    std::string nodename;        // "host:port"
    int64_t nodeid = -1;         // -1 for an entry of bootstrap.servers
    int64_t rtt_p99_micros = 0;  // over the latest window; 0 when no request went to it
    int64_t tx_errors = 0;       // since the client started
  };
  bool producer = false;
  int64_t queue_messages = 0;   // msg_cnt: messages waiting in the producer's queues
  std::vector<Broker> brokers;  // the real ones: not the internal or logical brokers
};

// Reads one statistics document. False when it is not the JSON librdkafka writes.
bool parse_kafka_stats(std::string_view json, KafkaStatsReport& out);

// Turns one client's reports into its KafkaClientStats. Used only by that client's statistics
// callback, so it needs no lock.
class KafkaStatsCollector {
 public:
  explicit KafkaStatsCollector(KafkaClientStats& out) : out_(out) {}
  void on_stats(std::string_view json);
  void apply(const KafkaStatsReport& report);

 private:
  KafkaClientStats& out_;
  std::unordered_map<std::string, int64_t> tx_errors_;  // by broker name: the last total seen
  bool warned_ = false;
};

}  // namespace holdfast

// A worker's Kafka producer. Idempotent with acks=all unless the operator overrides it; each
// delivery report returns to the worker's loop and acknowledges the connection's bytes.
#pragma once

#include <uv.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config.h"
#include "proxy/bus/bus.h"
#include "proxy/bus/kafka_common.h"
#include "proxy/bus/kafka_stats.h"
#include "proxy/stats.h"

namespace holdfast {

class KafkaProducer {
 public:
  static std::unique_ptr<KafkaProducer> create(uv_loop_t* loop, const std::string& brokers,
                                               const config::KafkaBus& cfg,
                                               const std::string& instance, unsigned worker,
                                               BusAckSink& sink, Stats& stats, std::string& error);
  ~KafkaProducer();

  BusStatus produce(const BusTarget& target, const contract::Event& ev, uint64_t handle,
                    EventScratch& scratch);
  void flush(std::chrono::milliseconds timeout);
  void close();  // detaches from the loop

 private:
  KafkaProducer(BusAckSink& sink, Stats& stats)
      : sink_(sink), stats_(stats), kafka_stats_(stats.kafka) {}
  rd_kafka_topic_t* topic(std::string_view name);
  void serve();
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static int on_stats(rd_kafka_t* rk, char* json, size_t len, void* opaque);
  static void on_timer(uv_timer_t* t);

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  BusAckSink& sink_;
  Stats& stats_;
  KafkaStatsCollector kafka_stats_;
  KafkaHandle rk_;
  KafkaQueue main_queue_;
  std::unique_ptr<KafkaWakeup> wakeup_;
  uv_timer_t* timer_ = nullptr;
  std::unordered_map<std::string, rd_kafka_topic_t*, Hash, std::equal_to<>> topics_;
};

}  // namespace holdfast

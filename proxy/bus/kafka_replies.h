// Reads every partition of the reply topics, without a consumer group, from their end at start,
// as every instance does. Partitions are found and positioned on a helper thread (the calls
// block); records are served on the loop.
#pragma once

#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "proxy/bus/kafka_common.h"
#include "proxy/bus/kafka_stats.h"
#include "proxy/stats.h"

namespace holdfast {

class KafkaReplies {
 public:
  using OnRecord = std::function<void(const rd_kafka_message_t&)>;

  KafkaReplies(uv_loop_t* loop, std::string brokers, const config::KafkaBus& cfg,
               std::string instance, std::vector<std::string> topics, Stats& stats,
               OnRecord on_record);
  ~KafkaReplies();

  bool start(std::string& error);
  void stop();
  // Every reply topic's partitions are assigned (or there are none to read) and a broker
  // answered recently.
  bool ready() const { return assigned_.load() && reachable_.load(); }

 private:
  void serve();
  void discover();
  bool assign_new_partitions();
  static int on_stats(rd_kafka_t* rk, char* json, size_t len, void* opaque);

  uv_loop_t* loop_;
  std::string brokers_;
  const config::KafkaBus& cfg_;
  std::string instance_;
  std::vector<std::string> topics_;
  Stats& stats_;
  KafkaStatsCollector kafka_stats_;
  OnRecord on_record_;
  KafkaHandle rk_;
  KafkaQueue queue_;
  std::unique_ptr<KafkaWakeup> wakeup_;
  std::thread discover_thread_;
  std::mutex mu_;  // guards stop_ for the discovery thread's sleeps; never on the data path
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<std::vector<bool>> known_;  // [topic][partition] assigned
  std::atomic<bool> assigned_{false};
  std::atomic<bool> reachable_{false};
};

}  // namespace holdfast

// librdkafka behind RAII handles, with its events brought onto a libuv loop: a queue writes to
// a pipe when it becomes non-empty (rd_kafka_queue_io_event_enable), and a uv_poll wakes us.
#pragma once

#include <librdkafka/rdkafka.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"

namespace holdfast {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct KafkaQueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using KafkaQueue = std::unique_ptr<rd_kafka_queue_t, KafkaQueueDeleter>;

// A conf with `defaults` applied, then the operator's `overrides`. Null with `error` set when a
// property is unknown or invalid.
rd_kafka_conf_t* make_kafka_conf(const std::string& brokers, const config::Properties& defaults,
                                 const config::Properties& overrides, std::string& error);

// Sends librdkafka's own log lines to ours, tagged component=kafka.
void route_kafka_logs(rd_kafka_conf_t* conf);

// Wakes `on_ready` on the loop whenever `queue` gains events. Owns the pipe and the poll handle.
class KafkaWakeup {
 public:
  KafkaWakeup(uv_loop_t* loop, rd_kafka_queue_t* queue, std::function<void()> on_ready);
  ~KafkaWakeup();
  KafkaWakeup(const KafkaWakeup&) = delete;
  KafkaWakeup& operator=(const KafkaWakeup&) = delete;
  bool ok() const { return fds_[0] >= 0; }
  void close();  // stops the poll handle; the loop frees it

 private:
  static void on_poll(uv_poll_t* p, int status, int events);
  rd_kafka_queue_t* queue_;
  int fds_[2] = {-1, -1};
  uv_poll_t* poll_ = nullptr;
  std::function<void()> on_ready_;
};

}  // namespace holdfast

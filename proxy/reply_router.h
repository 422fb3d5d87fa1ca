// Turns reply records and Redis messages into deliveries for the workers that hold their
// targets. Runs on the main loop; hands work over only through Worker::post.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/delivery.h"
#include "proxy/stats.h"

namespace holdfast {

class Worker;

class ReplyRouter {
 public:
  ReplyRouter(std::vector<std::unique_ptr<Worker>>& workers, Stats& stats,
              std::string redis_prefix);

  void on_kafka_record(const rd_kafka_message_t& msg);
  void on_redis_message(std::string_view channel, std::string_view payload);

 private:
  void dispatch(std::unique_ptr<Delivery> d);

  std::vector<std::unique_ptr<Worker>>& workers_;
  Stats& stats_;
  std::string prefix_;
};

}  // namespace holdfast

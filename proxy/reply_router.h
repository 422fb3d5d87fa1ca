// Turns Kafka reply records into deliveries for the workers that hold their targets. Runs on the
// main loop; hands work over only through Worker::post. Redis messages need no router: each
// worker subscribes for itself and reads them with read_redis_message.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/delivery.h"
#include "proxy/frame_pool.h"
#include "proxy/stats.h"

namespace holdfast {

class Worker;

class ReplyRouter {
 public:
  ReplyRouter(std::vector<std::unique_ptr<Worker>>& workers, Stats& stats);

  void on_kafka_record(const rd_kafka_message_t& msg);

 private:
  void dispatch(std::unique_ptr<Delivery> d);

  std::vector<std::unique_ptr<Worker>>& workers_;
  Stats& stats_;
};

// Where a connection id leads: to a worker of this instance (`worker` is set), or nowhere here.
// Another instance's connection is its business; the other two are counted by count_unowned.
enum class Owner { Worker, OtherInstance, BadId, NoSuchWorker };
Owner owner_of(std::string_view id, size_t workers, unsigned& worker);
void count_unowned(Owner owner, Stats& stats);

// Reads one message of a Redis subscription into `d`, which must be clear: a frame for the target
// its channel names (`<prefix>conn:<id>`, `user:`, `channel:`, `broadcast`), or a command from
// `<prefix>control`. False when it is neither. Control messages and malformed ones are counted in
// `stats`, and logged, unless it is null: a message that every worker receives is counted by one.
// The frame comes from `frames`, the reading worker's pool.
bool read_redis_message(std::string_view prefix, std::string_view channel, std::string_view payload,
                        FramePool& frames, Delivery& d, Stats* stats);

}  // namespace holdfast

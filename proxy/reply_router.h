// Turns Kafka reply records into deliveries for the workers that hold their targets. Runs on the
// main loop; hands work over only through Worker::post. Redis messages need no router: each
// worker subscribes for itself and reads them with read_redis_message.
//
// Nothing here allocates per record once warm: frames come from the router's FramePool, and the
// deliveries the workers are done with come back through their spent() queues for reuse.
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
  // Before the workers: frees the deliveries they gave back.
  ~ReplyRouter();
  ReplyRouter(const ReplyRouter&) = delete;
  ReplyRouter& operator=(const ReplyRouter&) = delete;

  void on_kafka_record(const rd_kafka_message_t& msg);

 private:
  // Deliveries kept for reuse, at most this many.
  static constexpr size_t kSpareMax = 4096;
  struct Recycle {
    ReplyRouter* router;
    void operator()(Delivery* d) const { router->recycle(d); }
  };
  using DeliveryPtr = std::unique_ptr<Delivery, Recycle>;

  // A clear Delivery: a spare one, one a worker gave back, or a new one.
  DeliveryPtr fresh();
  void recycle(Delivery* d);
  void keep(Delivery* d);
  void dispatch(DeliveryPtr d);

  std::vector<std::unique_ptr<Worker>>& workers_;
  Stats& stats_;
  FramePool frames_;
  std::vector<Delivery*> spare_;
};

// Where a connection id leads: to a worker of this instance (`worker` is set), or nowhere here.
// Another instance's connection is its business; the other two are counted by count_unowned.
enum class Owner { Worker, OtherInstance, BadId, NoSuchWorker };
Owner owner_of(std::string_view id, size_t workers, unsigned& worker);
void count_unowned(Owner owner, Stats& stats);

// Reads one message of a Redis subscription into `d`, which must be clear. `rest` is its channel
// after the prefix: `conn:<id>`, `user:<id>`, `channel:<name>` or `broadcast` make a frame for
// that target, `control` a command. False when it is neither. Control messages and malformed ones
// are counted in `stats`, and logged, unless it is null: a message that every worker receives is
// counted by one. The frame comes from `frames`, the reading worker's pool.
bool read_redis_message(std::string_view rest, std::string_view payload, FramePool& frames,
                        Delivery& d, Stats* stats);

}  // namespace holdfast

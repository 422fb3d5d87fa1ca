// The process: binds the listeners, starts the workers, and runs the main loop, which reads
// replies from the buses, serves the admin endpoints and handles signals.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "proxy/runtime.h"
#include "proxy/stats.h"

namespace holdfast {

class AdminServer;
class EmbeddedKafka;
class KafkaReplies;
class RedisSubscriber;
class ReplyRouter;
class Worker;

class Server {
 public:
  explicit Server(std::shared_ptr<const config::Config> config);
  ~Server();

  // Runs until SIGTERM or SIGINT has drained everything. Returns the process exit code.
  int run();

 private:
  bool setup();
  bool bind_listeners();
  bool start_buses();
  bool make_filters();
  bool ready() const;
  void on_signal(int signum);
  void check();  // periodic: readiness, drain progress
  void shutdown_main_loop();

  Runtime runtime_;
  uv_loop_t loop_{};
  uv_signal_t sigterm_{}, sigint_{};
  uv_timer_t check_timer_{};
  Stats stats_;  // the main loop's own counters
  std::unique_ptr<EmbeddedKafka> embedded_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<ReplyRouter> router_;
  std::unique_ptr<KafkaReplies> kafka_replies_;
  std::unique_ptr<RedisSubscriber> redis_sub_;
  std::unique_ptr<AdminServer> admin_;
  bool announced_ready_ = false;
  bool draining_ = false;
  bool stopped_ = false;
};

}  // namespace holdfast

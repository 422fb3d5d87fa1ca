// The process: binds the listeners, starts the workers, and runs the main loop, which reads
// replies from the buses, serves the admin endpoints and handles signals.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "proxy/certificate_expiry.h"
#include "proxy/runtime.h"
#include "proxy/stats.h"

namespace holdfast {

class AdminServer;
class ConfigWatch;
class EmbeddedKafka;
class KafkaReplies;
class ReplyRouter;
class Worker;

class Server {
 public:
  explicit Server(std::shared_ptr<const config::Config> config);
  ~Server();

  // Runs until SIGTERM or SIGINT has drained everything. Returns the process exit code.
  int run();
  // The log level came from the command line, so a reload leaves it alone.
  void keep_log_level() { log_level_forced_ = true; }

 private:
  bool setup();
  bool bind_listeners();
  bool start_buses();
  // The routes of `cfg` with their filter factories; null (logged) on failure.
  std::shared_ptr<const RouteTable> make_table(std::shared_ptr<const config::Config> cfg);
  // Loads the config file again and hands its routes to the workers, or says why not.
  void reload(std::string_view trigger);
  bool ready() const;
  void on_signal(int signum);
  void check();  // periodic: readiness, drain progress
  void shutdown_main_loop();

  Runtime runtime_;
  uv_loop_t loop_{};
  uv_signal_t sigterm_{}, sigint_{}, sighup_{};
  uv_timer_t check_timer_{};
  Stats stats_;  // the main loop's own counters
  // Every route table made, the newest last. Older ones stay alive (and their filters' background
  // work running) while connections made under them may still be open; stopped at shutdown.
  std::vector<std::shared_ptr<const RouteTable>> tables_;
  std::unique_ptr<EmbeddedKafka> embedded_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<ReplyRouter> router_;
  std::unique_ptr<KafkaReplies> kafka_replies_;
  std::unique_ptr<AdminServer> admin_;
  std::unique_ptr<ConfigWatch> watch_;           // reload.watch
  std::vector<CertificateExpiry> certificates_;  // read at start and on each reload
  bool announced_ready_ = false;
  bool draining_ = false;
  bool stopped_ = false;
  bool log_level_forced_ = false;
};

}  // namespace holdfast

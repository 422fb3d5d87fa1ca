#include "proxy/server.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <thread>

#include "filters/registry.h"
#include "proxy/admin_server.h"
#include "proxy/bus/kafka_embedded.h"
#include "proxy/bus/kafka_replies.h"
#include "proxy/certificate_expiry.h"
#include "proxy/config_watch.h"
#include "proxy/listen_socket.h"
#include "proxy/log.h"
#include "proxy/memory_release.h"
#include "proxy/metrics.h"
#include "proxy/reply_router.h"
#include "proxy/worker.h"

namespace holdfast {
namespace {

constexpr uint64_t kCheckMs = 100;

std::vector<std::string> reply_topics(const config::Config& cfg) {
  std::vector<std::string> topics;
  for (const auto& l : cfg.listeners) {
    for (const auto& r : l.routes) {
      const auto& t = r->replies.kafka_topic;
      if (!t.empty() && std::find(topics.begin(), topics.end(), t) == topics.end())
        topics.push_back(t);
    }
  }
  std::sort(topics.begin(), topics.end());
  return topics;
}

}  // namespace

Server::Server(std::shared_ptr<const config::Config> config) : stats_(0) {
  runtime_.config = std::move(config);
  const auto& cfg = *runtime_.config;
  unsigned n =
      cfg.workers > 0 ? static_cast<unsigned>(cfg.workers) : std::thread::hardware_concurrency();
  runtime_.workers = n == 0 ? 1 : n;
  for (const auto& l : cfg.listeners) {
    ListenerRuntime lr;
    lr.config = &l;
    lr.port = l.port;
    runtime_.listeners.push_back(std::move(lr));
  }
}

Server::~Server() {
  for (auto& l : runtime_.listeners) {
    for (int fd : l.fds)
      ::close(fd);
  }
}

bool Server::bind_listeners() {
  for (auto& l : runtime_.listeners) {
    for (unsigned w = 0; w < runtime_.workers; ++w) {
      std::string error;
      const int fd = open_listen_socket(l.config->host, l.port, error);
      if (fd < 0) {
        log::error("listener failed", {{"error", error}});
        return false;
      }
      l.fds.push_back(fd);
    }
  }
  return true;
}

bool Server::start_buses() {
  const auto& cfg = *runtime_.config;
  if (cfg.kafka) {
    runtime_.kafka_brokers = cfg.kafka->brokers;
    if (cfg.kafka->embedded) {
      embedded_ = std::make_unique<EmbeddedKafka>();
      std::string error;
      if (!embedded_->start(error)) {
        log::error("embedded kafka broker failed", {{"error", error}});
        return false;
      }
      runtime_.kafka_brokers = embedded_->bootstrap();
      for (const auto& r : runtime_.table->routes) {
        if (r->upstream.kind == config::Upstream::Kind::Kafka &&
            r->upstream.kafka.topic.is_literal()) {
          embedded_->create_topic(r->upstream.kafka.topic.source(), 3);
        }
        if (!r->replies.kafka_topic.empty()) embedded_->create_topic(r->replies.kafka_topic, 3);
        if (r->events.kind == config::Events::Kind::Kafka && r->events.kafka.topic.is_literal()) {
          embedded_->create_topic(r->events.kafka.topic.source(), 3);
        }
      }
      log::info("embedded kafka broker", {{"bootstrap", runtime_.kafka_brokers},
                                          {"note", "development only: in memory, one process"}});
    }
  }
  router_ = std::make_unique<ReplyRouter>(workers_, stats_);
  if (cfg.kafka) {
    kafka_replies_ = std::make_unique<KafkaReplies>(
        &loop_, runtime_.kafka_brokers, *cfg.kafka, cfg.instance, reply_topics(cfg), stats_,
        [this](const rd_kafka_message_t& m) { router_->on_kafka_record(m); });
    std::string error;
    if (!kafka_replies_->start(error)) {
      log::error("kafka reply consumer failed", {{"error", error}});
      return false;
    }
  }
  return true;
}

std::shared_ptr<const RouteTable> Server::make_table(std::shared_ptr<const config::Config> cfg) {
  auto table = std::make_shared<RouteTable>();
  table->config = cfg;
  filters::ProcessEnv env{&loop_, cfg.get(), runtime_.workers, &stats_};
  for (const auto& l : cfg->listeners) {
    auto& order = table->by_listener.emplace_back();
    for (const auto& route : l.routes) {
      order.push_back(table->routes.size());
      table->routes.push_back(route);
      const size_t slot = runtime_.route_names.slot(route->name);
      if (slot == kMaxRouteNames) {
        log::error("too many route names over this process's life; restart to reset",
                   {{"route", route->name}, {"max", static_cast<uint64_t>(kMaxRouteNames)}});
        return nullptr;
      }
      table->slots.push_back(slot);
      auto& made = table->filters.emplace_back();
      for (const auto& spec : route->filters) {
        const filters::FilterType* type = filters::find_type(spec.name);
        auto factory = type != nullptr ? type->make(spec.settings, env) : nullptr;
        if (!factory) {
          log::error("filter not created", {{"route", route->name}, {"filter", spec.name}});
          for (auto& f : table->filters)
            for (auto& made_factory : f)
              made_factory->stop();
          return nullptr;
        }
        made.push_back(std::move(factory));
      }
    }
  }
  return table;
}

bool Server::setup() {
  runtime_.table = make_table(runtime_.config);
  if (!runtime_.table) return false;
  tables_.push_back(runtime_.table);
  if (!bind_listeners()) return false;
  if (!start_buses()) return false;
  for (unsigned i = 0; i < runtime_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, runtime_));
    if (!workers_.back()->init()) return false;
  }
  const auto& cfg = *runtime_.config;
  if (cfg.admin.port != 0 || !cfg.admin.host.empty()) {
    certificates_ = read_certificate_expiry(runtime_.listeners);
    admin_ = std::make_unique<AdminServer>(&loop_, [this](std::string_view path) {
      AdminResponse r;
      if (path == "/healthz") {
        r.body = "ok\n";
      } else if (path == "/readyz") {
        const bool ok = ready();
        r.status = ok ? 200 : 503;
        r.body = ok ? "ready\n" : (draining_ ? "draining\n" : "not ready\n");
      } else if (path == "/metrics") {
        std::vector<const Stats*> all{&stats_};
        for (const auto& w : workers_)
          all.push_back(&w->stats());
        ProcessState st{ready(), draining_, certificates_};
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = render_metrics(runtime_, all, st);
      } else {
        r.status = 404;
        r.body = "not found\n";
      }
      return r;
    });
    uint16_t port = cfg.admin.port;
    std::string error;
    if (!admin_->listen(cfg.admin.host, port, error)) {
      log::error("admin listener failed", {{"error", error}});
      return false;
    }
    log::info("admin listening", {{"address", cfg.admin.host + ":" + std::to_string(port)}});
  }
  for (auto& w : workers_)
    w->start();
  for (size_t i = 0; i < runtime_.listeners.size(); ++i) {
    const auto& l = runtime_.listeners[i];
    log::info("listening", {{"address", l.config->host + ":" + std::to_string(l.port)},
                            {"listener", static_cast<uint64_t>(i)},
                            {"tls", l.config->tls ? "on" : "off"},
                            {"workers", runtime_.workers}});
  }
  return true;
}

bool Server::ready() const {
  if (draining_) return false;
  if (kafka_replies_ && !kafka_replies_->ready()) return false;
  for (const auto& w : workers_) {
    if (!w->bus_ready()) return false;
  }
  return true;
}

int Server::run() {
  if (uv_loop_init(&loop_) != 0) return 1;
  // Signals first, so a SIGTERM during start-up drains instead of killing the process.
  uv_signal_init(&loop_, &sigterm_);
  uv_signal_init(&loop_, &sigint_);
  sigterm_.data = sigint_.data = this;
  auto on_sig = [](uv_signal_t* h, int signum) {
    static_cast<Server*>(h->data)->on_signal(signum);
  };
  uv_signal_start(&sigterm_, on_sig, SIGTERM);
  uv_signal_start(&sigint_, on_sig, SIGINT);
  uv_signal_init(&loop_, &sighup_);
  sighup_.data = this;
  uv_signal_start(
      &sighup_, [](uv_signal_t* h, int) { static_cast<Server*>(h->data)->reload("SIGHUP"); },
      SIGHUP);
  std::signal(SIGPIPE, SIG_IGN);
  // Threads started during setup inherit a mask that blocks the signals we handle, so those
  // are always delivered to this thread, whose loop owns the handlers.
  sigset_t handled, previous;
  sigemptyset(&handled);
  sigaddset(&handled, SIGTERM);
  sigaddset(&handled, SIGINT);
  sigaddset(&handled, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &handled, &previous);
  const bool started = setup();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (!started) {
    for (auto& w : workers_)
      w->request_drain();
    for (auto& w : workers_)
      w->join();
    return 1;
  }
  if (draining_) {
    for (auto& w : workers_)
      w->request_drain();
  }
  if (runtime_.config->watch && !runtime_.config->file.empty()) {
    watch_ = std::make_unique<ConfigWatch>(&loop_, runtime_.config->file,
                                           [this] { reload("file watch"); });
    if (!watch_->start()) watch_.reset();
  }
  uv_timer_init(&loop_, &check_timer_);
  check_timer_.data = this;
  uv_timer_start(
      &check_timer_, [](uv_timer_t* t) { static_cast<Server*>(t->data)->check(); }, kCheckMs,
      kCheckMs);

  uv_run(&loop_, UV_RUN_DEFAULT);
  for (auto& w : workers_)
    w->join();
  uv_loop_close(&loop_);
  log::info("stopped");
  return 0;
}

void Server::on_signal(int signum) {
  if (draining_) return;
  draining_ = true;
  log::info("draining",
            {{"signal", signum},
             {"grace_ms", static_cast<int64_t>(runtime_.config->drain_timeout.count())}});
  for (auto& w : workers_)
    w->request_drain();
}

void Server::check() {
  if (!announced_ready_ && ready()) {
    announced_ready_ = true;
    log::info("ready");
    // Starting up, OpenSSL and the bus clients allocated and freed buffers of many sizes, once
    // each; hand back their pages rather than keep them for sizes that will not come again.
    release_free_memory();
  }
  if (!draining_ || stopped_) return;
  for (const auto& w : workers_) {
    if (!w->finished()) return;
  }
  shutdown_main_loop();
}

void Server::shutdown_main_loop() {
  stopped_ = true;
  if (kafka_replies_) kafka_replies_->stop();
  if (admin_) admin_->close();
  if (watch_) watch_->stop();
  for (const auto& table : tables_) {
    for (const auto& route : table->filters)
      for (const auto& factory : route)
        factory->stop();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&sighup_), nullptr);
  uv_timer_stop(&check_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
}

}  // namespace holdfast

// Live reload: SIGHUP (or a change to the watched file) loads the config again. Routes, filters
// and limits apply to new connections and messages; parts that need a restart are reported and
// the running config stays.
#include <algorithm>

#include "config/loader.h"
#include "proxy/delivery.h"
#include "proxy/log.h"
#include "proxy/server.h"
#include "proxy/tls_certificates.h"
#include "proxy/worker.h"

namespace holdfast {
namespace {

std::vector<std::string> reply_topic_set(const config::Config& cfg) {
  std::vector<std::string> topics;
  for (const auto& l : cfg.listeners) {
    for (const auto& r : l.routes) {
      if (!r->replies.kafka_topic.empty()) topics.push_back(r->replies.kafka_topic);
    }
  }
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  return topics;
}

bool same_redis(const std::optional<config::RedisBus>& a,
                const std::optional<config::RedisBus>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->host == b->host && a->port == b->port && a->db == b->db && a->password == b->password &&
         a->prefix == b->prefix && a->reconnect_max == b->reconnect_max;
}

bool same_kafka(const std::optional<config::KafkaBus>& a,
                const std::optional<config::KafkaBus>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->brokers == b->brokers && a->embedded == b->embedded && a->producer == b->producer &&
         a->consumer == b->consumer;
}

// What differs between `now` and `next` that only a restart can change; empty when nothing.
std::vector<std::string> needs_restart(const config::Config& now, const config::Config& next) {
  std::vector<std::string> out;
  if (now.instance != next.instance) out.push_back("instance");
  if (now.workers != next.workers) out.push_back("workers");
  if (now.file_limit != next.file_limit) out.push_back("file_limit");
  if (now.log_bus_file != next.log_bus_file) out.push_back("log.bus_file");
  if (now.watch != next.watch) out.push_back("reload.watch");
  if (now.admin.host != next.admin.host || now.admin.port != next.admin.port) {
    out.push_back("admin.address");
  }
  if (!same_kafka(now.kafka, next.kafka)) out.push_back("buses.kafka");
  if (!same_redis(now.redis, next.redis)) out.push_back("buses.redis");
  if (now.listeners.size() != next.listeners.size()) {
    out.push_back("listeners (how many)");
  } else {
    for (size_t i = 0; i < now.listeners.size(); ++i) {
      const auto& a = now.listeners[i];
      const auto& b = next.listeners[i];
      const std::string where = "listeners[" + std::to_string(i) + "]";
      if (a.host != b.host || a.port != b.port) out.push_back(where + ".address");
      if (a.tls.has_value() != b.tls.has_value() ||
          (a.tls && (a.tls->cert != b.tls->cert || a.tls->key != b.tls->key))) {
        out.push_back(where + ".tls");
      }
      if (a.xff_trusted_hops != b.xff_trusted_hops) out.push_back(where + ".xff_trusted_hops");
      if (a.receive_buffer != b.receive_buffer) out.push_back(where + ".receive_buffer");
    }
  }
  if (reply_topic_set(now) != reply_topic_set(next)) out.push_back("replies.kafka topics");
  return out;
}

}  // namespace

void Server::reload(std::string_view trigger) {
  if (draining_ || !runtime_.table) return;
  const std::string& file = runtime_.config->file;
  log::info("reloading config", {{"file", file}, {"trigger", trigger}});
  auto result = config::load_file(file);
  if (!result.config) {
    for (const auto& e : result.errors)
      log::error("config reload rejected", {{"error", e.to_string()}});
    stats_.config_reloads[static_cast<size_t>(ReloadResult::Failure)].inc();
    return;
  }
  const auto changes = needs_restart(*tables_.back()->config, *result.config);
  if (!changes.empty()) {
    std::string list;
    for (const auto& c : changes)
      list += (list.empty() ? "" : ", ") + c;
    log::warn("config reload needs a restart; the running config stays",
              {{"changed", list}, {"file", file}});
    stats_.config_reloads[static_cast<size_t>(ReloadResult::RestartRequired)].inc();
    return;
  }
  // A renewed certificate is checked before anything changes: a half-written one fails the reload.
  for (size_t l = 0; l < result.config->listeners.size(); ++l) {
    const auto& tls = result.config->listeners[l].tls;
    std::string error;
    if (tls && !check_certificate_pair(tls->cert, tls->key, error)) {
      log::error("config reload rejected",
                 {{"error", "listeners[" + std::to_string(l) + "].tls: " + error}});
      stats_.config_reloads[static_cast<size_t>(ReloadResult::Failure)].inc();
      return;
    }
  }
  auto table = make_table(result.config);
  if (!table) {
    stats_.config_reloads[static_cast<size_t>(ReloadResult::Failure)].inc();
    return;
  }
  tables_.push_back(table);
  log::Level level;
  if (log::parse_level(result.config->log_level, level) && !log_level_forced_)
    log::set_level(level);
  for (auto& w : workers_) {
    auto* d = new Delivery;
    d->kind = Delivery::Kind::Reload;
    d->table = table;
    w->post(d);
  }
  certificates_ = read_certificate_expiry(runtime_.listeners);
  stats_.config_reloads[static_cast<size_t>(ReloadResult::Success)].inc();
  log::info("config reloaded",
            {{"file", file}, {"routes", static_cast<uint64_t>(table->routes.size())}});
}

}  // namespace holdfast

// What every thread shares. The parts that need a restart (listeners, buses, workers) are fixed
// when the server starts. Routes and their filters form a RouteTable, which a reload replaces:
// workers take the new table for new connections, and each connection keeps the route and
// filters it started with.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "filters/filter.h"

namespace holdfast {

struct ListenerRuntime {
  const config::ListenerConfig* config = nullptr;  // from the config the server started with
  uint16_t port = 0;     // the bound port (resolved when the config said 0)
  std::vector<int> fds;  // one SO_REUSEPORT socket per worker
};

inline constexpr size_t kMaxRouteNames = 256;

// Every route name this process has served, each with a fixed slot in Stats::route, so a route's
// counters go on across reloads. Written by the main thread only; read by any thread.
class RouteNames {
 public:
  // The slot of `name`, added when new; kMaxRouteNames when the table is full.
  size_t slot(const std::string& name);
  size_t size() const { return size_.load(std::memory_order_acquire); }
  const std::string& name(size_t slot) const { return names_[slot]; }

 private:
  std::array<std::string, kMaxRouteNames> names_;
  std::atomic<size_t> size_{0};
};

struct RouteTable {
  std::shared_ptr<const config::Config> config;  // the file the routes came from
  std::vector<std::shared_ptr<const config::RouteConfig>> routes;
  std::vector<size_t> slots;                     // per route: its slot in Stats::route
  std::vector<std::vector<size_t>> by_listener;  // route indexes, in match order
  // Each route's filter factories, in the order of its `filters:`.
  std::vector<std::vector<std::shared_ptr<filters::FilterFactory>>> filters;

  // The route for `path` on listener `listener`, filling `params`; -1 when none matches.
  int match(size_t listener, std::string_view path, std::vector<std::string>& params) const;
};

struct Runtime {
  std::shared_ptr<const config::Config> config;  // as started
  std::vector<ListenerRuntime> listeners;
  std::shared_ptr<const RouteTable> table;  // the table at start; reloads reach workers by post
  RouteNames route_names;
  std::string kafka_brokers;  // the configured list, or the embedded broker's address
  unsigned workers = 1;
};

}  // namespace holdfast

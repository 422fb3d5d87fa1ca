// What every thread shares, read-only once the server has started: the config, the routes by
// index, and each listener's sockets.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "filters/filter.h"

namespace holdfast {

struct ListenerRuntime {
  const config::ListenerConfig* config = nullptr;
  std::vector<size_t> routes;  // global route indexes, in match order
  uint16_t port = 0;           // the bound port (resolved when the config said 0)
  std::vector<int> fds;        // one SO_REUSEPORT socket per worker
};

struct Runtime {
  std::shared_ptr<const config::Config> config;
  std::vector<std::shared_ptr<const config::RouteConfig>> routes;
  std::vector<ListenerRuntime> listeners;
  // Each route's filter factories, in the order of its `filters:` (made by the server).
  std::vector<std::vector<std::shared_ptr<filters::FilterFactory>>> filters;
  std::string kafka_brokers;  // the configured list, or the embedded broker's address
  unsigned workers = 1;

  // The route for `path` on listener `listener`, filling `params`; -1 when none matches.
  int match(size_t listener, std::string_view path, std::vector<std::string>& params) const;
};

}  // namespace holdfast

// The rate_limit filter's settings, as read from `- rate_limit: {...}`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"
#include "config/diagnostics.h"
#include "config/schema.h"
#include "filters/rate_limit/gcra.h"

namespace holdfast::filters::rate_limit {

enum class Per { Connection, User, Ip };
enum class Backend { Local, Redis };
enum class Action { Drop, Close };

struct Settings : config::FilterSettings {
  std::optional<Limit> connections;  // new connections per client IP
  std::optional<Limit> messages;     // whole messages, keyed by `per`
  std::optional<Limit> bytes;        // message bytes per connection
  Action action = Action::Drop;      // what an excess message gets
  Per per = Per::Connection;         // the key for `messages`
  Backend backend = Backend::Local;
  bool fail_open = true;  // failure_mode: allow (true) or deny; redis only
  std::string key_prefix = "holdfast:rl:";
  std::chrono::milliseconds redis_timeout{50};
  bool shadow = false;
  size_t table_size = 65536;
  config::Mark mark;  // the filter's name, for errors found when it is made

  // Whether some limit is keyed by something wider than one connection (an IP or a user), so
  // that its state is shared by workers (local) or instances (redis).
  bool has_shared_keys() const { return connections || (messages && per != Per::Connection); }
};

// Reads `field` (the map under `rate_limit`), reporting every error to `diag`.
std::shared_ptr<const Settings> read_settings(config::Diagnostics& diag,
                                              const config::Field& field);

// "20/s", "100/m", "3600/h" (or, with `sizes`, "64KiB/s") into a count and a period.
struct Rate {
  uint64_t count = 0;  // a count, or bytes
  int64_t period_ns = 0;
};
std::optional<Rate> parse_rate(std::string_view text, bool sizes);

}  // namespace holdfast::filters::rate_limit

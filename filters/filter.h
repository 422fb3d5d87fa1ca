// The filter chain's interface. A route lists filters in order; each one sees the upgrade
// request, every whole client message, and the close. A hook returns Continue to pass the
// connection or message on, or Stop. A Stop either carries a Rejection (the proxy answers and
// counts it, on one path for every filter) or defers: the filter finishes asynchronously and
// resumes the chain through its Host.
//
// Three lifetimes:
//   config::FilterSettings  parsed once, immutable, shared by every thread;
//   FilterFactory           one per route entry, process-wide, made on the main thread (JWKS
//                           fetching and limit tables shared by all workers live here);
//   Filter                  one per route entry per worker, used only on that worker's thread;
//   ConnectionState         one per connection per filter, when the filter needs one.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace holdfast {
struct Stats;
}

namespace holdfast::filters {

enum class Verdict { Continue, Stop };

// What a refusal is about; it picks the `result` label of holdfast_connections_total.
enum class RejectKind { Auth, Rate, Origin };

// Why a filter refused a connection or a message. Before the upgrade the proxy answers with an
// HTTP status and a JSON body {"error": ..., "message": ...}; after it, with a close code and
// `message` as the reason.
struct Rejection {
  RejectKind kind = RejectKind::Auth;
  unsigned status = 401;         // HTTP status before the upgrade: 401, 403, 429 or 503
  int close_code = 1008;         // after the upgrade
  std::string_view error;        // JSON "error": "unauthorized", "forbidden", "rate_limited"
  std::string message;           // human text, at most 123 bytes (it may become a close reason)
  uint8_t decision = 0;          // index into the filter type's decision names, for the counter
  std::string www_authenticate;  // WWW-Authenticate value on a 401, e.g. Bearer realm="holdfast"
  uint32_t retry_after = 0;      // seconds, rounded up; non-zero adds Retry-After
  uint32_t retry_after_ms = 0;   // the exact wait for the JSON body; 0: retry_after * 1000
  bool drop_message = false;     // on_message: drop it and send an error frame, keep the connection
};

// The upgrade request. Views are valid during on_upgrade only.
struct Request {
  std::string_view path;           // without the query
  std::string_view query;          // raw, without '?'; empty when absent
  std::string_view authorization;  // header values; empty when absent
  std::string_view origin;
  std::string_view cookie;
  std::string_view protocols;  // Sec-WebSocket-Protocol, as sent
  std::string_view host;
  size_t listener = 0;
};

// One connection as the chain sees it. Filters read it and set identity on it during the
// upgrade; the proxy owns it and keeps it until the connection is gone.
struct Connection {
  uint64_t handle = 0;     // the worker's handle; stale handles are ignored by Host::resume
  std::string client_ip;   // the peer, or X-Forwarded-For's client when the listener trusts it
  std::string_view route;  // route name, in the route's config, which outlives the connection

  // Identity, set by authentication filters.
  std::string auth_id;                                      // subject; empty when anonymous
  std::vector<std::pair<std::string, std::string>> claims;  // name -> value, for {claim.NAME}
  // When passed, the proxy closes the connection with 1008 "token expired". Zero: never.
  std::chrono::system_clock::time_point expires{};
};

// A filter's per-connection state.
struct ConnectionState {
  virtual ~ConnectionState() = default;
};

// One whole client message.
struct Message {
  std::string_view data;
  bool binary = false;
};

// Where a deferred hook resumes: the connection and the filter. A message is held until its
// decision comes back, so a connection has at most one deferred hook at a time.
struct Pending {
  uint64_t handle = 0;
  size_t filter = 0;  // position in the route's chain
};

// The worker running the chain, as filters may use it. Worker thread only.
class Host {
 public:
  virtual ~Host() = default;
  virtual uv_loop_t* loop() = 0;
  virtual unsigned worker_index() const = 0;
  // The worker's counters, for bus clients a filter runs on the worker loop (RedisLink).
  virtual Stats& stats() = 0;
  // Finishes a deferred hook: `rejection` null continues with the next filter. A stale handle
  // (the connection has gone) is ignored.
  virtual void resume(const Pending& pending, const Rejection* rejection) = 0;
  // Counts a decision that did not stop anything ("allowed", "shadow_limited").
  virtual void count(size_t filter_type, uint8_t decision) = 0;
};

// What a hook may do besides returning. `state` is this filter's state for the connection.
struct Call {
  Connection& conn;
  ConnectionState* state = nullptr;
  Pending pending;  // hand this to Host::resume after deferring
  Rejection* rejection = nullptr;
  bool rejected = false;

  // Stop with a refusal.
  Verdict reject(Rejection r) {
    *rejection = std::move(r);
    rejected = true;
    return Verdict::Stop;
  }
  // Stop and promise a Host::resume for `pending` later.
  Verdict defer() { return Verdict::Stop; }
};

class Filter {
 public:
  virtual ~Filter() = default;
  // Made when the connection enters the chain; null when the filter keeps nothing per connection.
  virtual std::unique_ptr<ConnectionState> new_state() { return nullptr; }
  // Before the upgrade is answered. Filters that need a round trip defer; the upgrade is then
  // accepted, the connection held (nothing read, nothing produced) until the chain finishes,
  // and a late refusal becomes a close code.
  virtual Verdict on_upgrade(const Request& /*req*/, Call& /*call*/) { return Verdict::Continue; }
  // A whole client message, before it is produced to the bus.
  virtual Verdict on_message(const Message& /*msg*/, Call& /*call*/) { return Verdict::Continue; }
  // The connection is gone (also after a refusal, for connections that entered the chain).
  virtual void on_close(Call& /*call*/) {}
};

// What a factory may use on the main thread.
struct ProcessEnv {
  uv_loop_t* main_loop = nullptr;
  const config::Config* config = nullptr;  // for the buses' settings
  unsigned workers = 1;
  Stats* stats = nullptr;  // the main loop's counters, for work a factory does on that loop
};

// What a factory may use when it makes a worker's filter (on that worker's thread).
struct WorkerEnv {
  Host* host = nullptr;
  size_t filter_type = 0;  // this filter's row in the registry, for Host::count
};

class FilterFactory {
 public:
  virtual ~FilterFactory() = default;
  virtual std::unique_ptr<Filter> for_worker(const WorkerEnv& env) = 0;
  // Stops background work (fetches, timers) on the main loop before it closes.
  virtual void stop() {}
};

// The factory of a filter that shares nothing across workers but its settings:
// `F(std::shared_ptr<const S>, const WorkerEnv&)` is made for each worker.
template <typename F, typename S>
class SettingsFactory final : public FilterFactory {
 public:
  explicit SettingsFactory(std::shared_ptr<const config::FilterSettings> settings)
      : settings_(std::static_pointer_cast<const S>(std::move(settings))) {}
  std::unique_ptr<Filter> for_worker(const WorkerEnv& env) override {
    return std::make_unique<F>(settings_, env);
  }

 private:
  std::shared_ptr<const S> settings_;
};

}  // namespace holdfast::filters

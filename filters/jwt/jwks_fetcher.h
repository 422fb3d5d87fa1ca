// A JWKS served over HTTP(S), kept fresh in the background on the main thread's loop with
// libcurl's multi interface, and published to the workers as an immutable KeySet.
//
// It fetches at start, then every cache_duration; a failed fetch is retried after 1 s, doubling
// to 60 s, with jitter, and the last good set stays in use meanwhile. A worker that meets an
// unknown kid may ask for an early fetch, at most once per refetch_interval. Workers learn that
// a fetch finished (well or not) through a uv_async_t of their own.
#pragma once

#include <uv.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "filters/jwt/keys.h"
#include "filters/jwt/settings.h"

namespace holdfast {
struct Stats;
}

namespace holdfast::filters::jwt {

class JwksFetcher {
 public:
  // `stats` (the main loop's counters) counts fetches; may be null.
  JwksFetcher(JwksUrl url, uv_loop_t* main_loop, Stats* stats = nullptr);
  ~JwksFetcher();
  JwksFetcher(const JwksFetcher&) = delete;
  JwksFetcher& operator=(const JwksFetcher&) = delete;

  // Main thread. start() begins the first fetch and never waits for it; false when the loop's
  // handles could not be made. stop() ends all work and closes every handle on the main loop.
  bool start();
  void stop();

  // Any thread.
  const JwksUrl& url() const { return url_; }
  // The last good set; null until a fetch has succeeded.
  std::shared_ptr<const KeySet> keys() const { return keys_.load(std::memory_order_acquire); }
  // How many fetches have finished, well or not. A waiter reads it before fetching() and is
  // answered by the first completion that raises it.
  uint64_t completed() const { return completed_.load(std::memory_order_acquire); }
  // Whether a fetch is running or about to start.
  bool fetching() const { return busy_.load(std::memory_order_acquire); }
  // After an unknown kid: starts a fetch unless one ran within refetch_interval or the last one
  // failed. True when a fetch is now running or about to start.
  bool ask_refetch();

  // Worker threads: `async` is signalled after every fetch until unsubscribed.
  void subscribe(uv_async_t* async);
  void unsubscribe(uv_async_t* async);

 private:
  struct Curl;  // the libcurl handles and the loop handles they use; main thread only

  static int64_t now_ms();
  void on_wake();
  void start_fetch();
  void finish(const std::string& error, std::shared_ptr<const KeySet> keys, size_t skipped);
  void schedule(std::chrono::milliseconds delay);

  const JwksUrl url_;
  Stats* stats_ = nullptr;
  uv_loop_t* const loop_;
  std::unique_ptr<Curl> curl_;

  std::atomic<std::shared_ptr<const KeySet>> keys_;
  std::atomic<uint64_t> completed_{0};
  std::atomic<bool> busy_{false};
  std::atomic<bool> last_failed_{false};
  std::atomic<int64_t> last_start_ms_{0};

  // Guards the subscribers and the main loop's wake-up handle against a stop().
  std::mutex mu_;
  std::vector<uv_async_t*> subscribers_;
  uv_async_t* wake_ = nullptr;
  bool stopped_ = false;

  // Main thread only.
  uv_timer_t* schedule_timer_ = nullptr;
  std::chrono::milliseconds backoff_{1000};
  bool ever_loaded_ = false;
};

}  // namespace holdfast::filters::jwt

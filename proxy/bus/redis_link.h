// One hiredis async connection on a libuv loop, reconnected with exponential backoff. Derived
// classes say what to do when it comes up and when it goes down.
#pragma once

#include <hiredis/async.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <string>

#include "config/config.h"
#include "proxy/stats.h"

namespace holdfast {

class RedisLink {
 public:
  RedisLink(uv_loop_t* loop, const config::RedisBus& cfg, RedisLinkKind kind, std::string role,
            Stats& stats);
  virtual ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  void start();
  // Closes after the replies still pending arrive, and stops reconnecting.
  void stop();
  bool connected() const { return connected_.load(std::memory_order_relaxed); }

 protected:
  redisAsyncContext* context() const { return ctx_; }
  const config::RedisBus& cfg() const { return cfg_; }
  Stats& stats() { return stats_; }
  virtual void on_up() = 0;
  virtual void on_down() = 0;  // every pending callback has already fired with a null reply

 private:
  static void on_connect(const redisAsyncContext* c, int status);
  static void on_disconnect(const redisAsyncContext* c, int status);
  void connect();
  void lost(const char* why);
  void close_timer();
  void abandon();
  void arm(std::chrono::milliseconds after);
  // Sets connected_, and counts the link up or down in holdfast_redis_links_up; the old value.
  bool set_connected(bool up);

  uv_loop_t* loop_;
  const config::RedisBus& cfg_;
  RedisLinkKind kind_;
  std::string role_;
  Stats& stats_;
  redisAsyncContext* ctx_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  std::chrono::milliseconds backoff_{100};
  std::atomic<bool> connected_{false};
  bool stopping_ = false;
  bool warned_ = false;
};

}  // namespace holdfast

// One worker's Redis subscription for replies and control: the channels of that worker's own
// connections, every user and named channel, broadcast and control. Each worker holds one, so a
// reply reaches the loop that owns its connection without a hand-off between threads.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "proxy/bus/redis_link.h"

namespace holdfast {

class RedisSubscriber final : public RedisLink {
 public:
  using OnMessage = std::function<void(std::string_view channel, std::string_view payload)>;

  RedisSubscriber(uv_loop_t* loop, const config::RedisBus& cfg, Stats& stats,
                  std::string_view id_prefix, OnMessage on_message);
  bool subscribed() const { return connected() && confirmed_ >= kSubscriptions; }

 private:
  static constexpr int kSubscriptions = 5;
  void on_up() override;
  void on_down() override { confirmed_ = 0; }
  static void on_message(redisAsyncContext* c, void* reply, void* privdata);

  std::string id_prefix_;  // "<boot>-<worker>-": the ids of the connections whose replies we take
  OnMessage on_message_;
  std::atomic<int> confirmed_{0};
};

}  // namespace holdfast

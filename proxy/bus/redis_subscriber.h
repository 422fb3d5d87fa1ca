// The instance's Redis subscription for replies and control: its own connections' channels,
// every user and named channel, broadcast and control.
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
                  std::string_view boot_id, OnMessage on_message);
  bool subscribed() const { return connected() && confirmed_ >= kSubscriptions; }

 private:
  static constexpr int kSubscriptions = 5;
  void on_up() override;
  void on_down() override { confirmed_ = 0; }
  static void on_message(redisAsyncContext* c, void* reply, void* privdata);

  std::string boot_id_;
  OnMessage on_message_;
  std::atomic<int> confirmed_{0};
};

}  // namespace holdfast

// A worker's Redis writer: XADD to streams and PUBLISH to channels, pipelined. Commands written
// but not yet answered are kept; if the connection drops they are written again when it
// returns, so a Redis restart loses nothing (a command whose reply was lost may repeat).
#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include "proxy/bus/bus.h"
#include "proxy/bus/redis_link.h"

namespace holdfast {

class RedisPublisher final : public RedisLink {
 public:
  RedisPublisher(uv_loop_t* loop, const config::RedisBus& cfg, BusAckSink& sink, Stats& stats,
                 unsigned worker);

  BusStatus send(const BusTarget& target, const contract::Event& ev, uint64_t handle,
                 EventScratch& scratch);
  void flush_and_stop(std::chrono::milliseconds timeout);

 private:
  struct Pending {
    uint64_t handle;
    size_t bytes;
    std::string command;  // RESP
    std::chrono::steady_clock::time_point written{};
  };
  void on_up() override;
  void on_down() override;
  void write(Pending& p);
  static void on_reply(redisAsyncContext* c, void* reply, void* privdata);

  BusAckSink& sink_;
  std::deque<Pending> waiting_;  // not yet written
  std::deque<Pending> sent_;     // written, reply pending
  // Command buffers of answered messages, kept for the next ones so that a message costs no
  // allocation; at most kSpareCommands, each at most kSpareCommandBytes.
  std::vector<std::string> spare_commands_;
  size_t queued_bytes_ = 0;
};

}  // namespace holdfast

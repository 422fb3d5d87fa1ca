// A worker's GCRA decisions through Redis: one hiredis connection on the worker loop (a
// RedisLink, so it reconnects on its own), one EVALSHA of the script per decision, answered
// asynchronously to a Sink.
//
// The script is loaded with SCRIPT LOAD whenever the link comes up. A reply of NOSCRIPT (a
// SCRIPT FLUSH, a failover to a replica without it) sends that decision once more as EVAL, which
// also puts the script back, and loads it again for the ones after.
//
// Each decision has `timeout` to come back. One that does not, an error reply, or the link going
// down with decisions outstanding, answers Unavailable; a reply after that is ignored. While the
// link is down, check() refuses at once, so the caller decides without waiting.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "filters/filter.h"
#include "proxy/bus/redis_link.h"

namespace holdfast::filters::rate_limit {

class RedisLimiter final : public RedisLink {
 public:
  enum class Outcome { Allowed, Limited, Unavailable };

  // What a decision was for, handed back with its outcome.
  struct Ticket {
    Pending pending;
    uint8_t what = 0;
  };

  class Sink {
   public:
    virtual ~Sink() = default;
    // On the loop's thread. `wait_ns` is set for Limited.
    virtual void decided(const Ticket& ticket, Outcome outcome, int64_t wait_ns) = 0;
  };

  // `cfg` must outlive the limiter.
  RedisLimiter(uv_loop_t* loop, const config::RedisBus& cfg, Stats& stats, std::string role,
               std::chrono::milliseconds timeout, Sink& sink);
  ~RedisLimiter() override;

  // Asks Redis whether the key (the concatenation of `key_parts`) may spend `increment_ns` of a
  // `window_ns` window (see gcra.h). True: the answer will come to the sink, never from inside
  // this call. False: the link cannot take it now; nothing will come.
  bool check(std::span<const std::string_view> key_parts, int64_t increment_ns, int64_t window_ns,
             const Ticket& ticket);

  // Decisions sent and not yet answered.
  size_t outstanding() const { return waiting_count_; }
  // Whether check() would send now.
  bool usable() const { return connected() && !down_ && !stopping_; }

 private:
  static constexpr int32_t kNone = -1;
  // One decision out at Redis. Its index and generation ride in the hiredis callback's privdata.
  struct Slot {
    uint32_t generation = 0;
    bool busy = false;      // a hiredis callback is due for it
    bool resolved = false;  // the sink has its answer (a later reply is ignored)
    bool retried = false;   // sent again as EVAL after NOSCRIPT
    Ticket ticket;
    int64_t deadline_ns = 0;
    int32_t prev = kNone, next = kNone;  // the waiting list, oldest first
    std::string args;                    // for a resend; its capacity is kept for reuse
  };

  void on_up() override;
  void on_down() override;
  static void on_reply(redisAsyncContext* c, void* reply, void* privdata);
  static void on_script_loaded(redisAsyncContext* c, void* reply, void* privdata);
  void reply(uint32_t index, uint32_t generation, void* reply);
  void load_script();
  bool send(uint32_t index, bool as_eval);
  int32_t take_slot();
  void free_slot(uint32_t index);
  void link_waiting(uint32_t index);
  void unlink_waiting(uint32_t index);
  // Gives the sink its answer once; the slot stays busy until its callback.
  void resolve(uint32_t index, Outcome outcome, int64_t wait_ns);
  void expire();
  void arm_timer();
  void command_failed(std::string_view what, std::string_view error);

  Sink& sink_;
  int64_t timeout_ns_;
  uv_timer_t* timer_ = nullptr;
  std::vector<Slot> slots_;
  int32_t free_ = kNone;  // free slots, linked through Slot::next
  int32_t head_ = kNone, tail_ = kNone;
  size_t waiting_count_ = 0;
  std::string command_;  // reused for every command
  bool down_ = false;    // a null reply came: the link is going down
  bool stopping_ = false;
  bool loading_ = false;  // a SCRIPT LOAD is out
  bool warned_ = false;
};

}  // namespace holdfast::filters::rate_limit

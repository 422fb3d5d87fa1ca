#include "filters/rate_limit/redis_limiter.h"

#include <hiredis/hiredis.h>

#include "filters/rate_limit/gcra.h"
#include "filters/rate_limit/redis_script.h"
#include "proxy/log.h"

namespace holdfast::filters::rate_limit {
namespace {

// Decisions one worker may have out at Redis at once; past it, check() refuses and the caller
// decides as when Redis is down. The slot table starts small and doubles up to this.
constexpr size_t kMaxSlots = 65536;
constexpr size_t kInitialSlots = 64;

static_assert(sizeof(void*) >= sizeof(uint64_t), "privdata carries a slot index and generation");

void* encode(uint32_t index, uint32_t generation) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>((uint64_t{generation} << 32) | index));
}

RedisLimiter* owner(const redisAsyncContext* c) {
  // The link sets data to itself, and clears it before it frees the context itself.
  auto* link = static_cast<RedisLink*>(c->data);
  return link == nullptr ? nullptr : static_cast<RedisLimiter*>(link);
}

}  // namespace

RedisLimiter::RedisLimiter(uv_loop_t* loop, const config::RedisBus& cfg, Stats& stats,
                           std::string role, std::chrono::milliseconds timeout, Sink& sink)
    : RedisLink(loop, cfg, RedisLinkKind::RateLimit, std::move(role), stats),
      sink_(sink),
      timeout_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count()) {
  timer_ = new uv_timer_t;
  uv_timer_init(loop, timer_);
  timer_->data = this;
  slots_.reserve(kInitialSlots);
  command_.reserve(512);
}

RedisLimiter::~RedisLimiter() {
  stopping_ = true;
  stop();
  uv_timer_stop(timer_);
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  timer_ = nullptr;
}

bool RedisLimiter::check(std::span<const std::string_view> key_parts, int64_t increment_ns,
                         int64_t window_ns, const Ticket& ticket) {
  if (!usable()) return false;
  const int32_t index = take_slot();
  if (index == kNone) return false;
  const auto i = static_cast<uint32_t>(index);
  Slot& s = slots_[i];
  s.busy = true;
  s.resolved = false;
  s.retried = false;
  s.ticket = ticket;
  s.deadline_ns = monotonic_ns() + timeout_ns_;
  s.args.clear();
  script::append_args(s.args, key_parts, increment_ns, window_ns);
  if (!send(i, false)) {
    free_slot(i);
    return false;
  }
  const bool was_empty = head_ == kNone;
  link_waiting(i);
  if (was_empty) arm_timer();
  return true;
}

bool RedisLimiter::send(uint32_t index, bool as_eval) {
  redisAsyncContext* ctx = context();
  if (ctx == nullptr) return false;
  Slot& s = slots_[index];
  if (as_eval) {
    script::eval_command(command_, s.args);
  } else {
    script::evalsha_command(command_, s.args);
  }
  return redisAsyncFormattedCommand(ctx, &RedisLimiter::on_reply, encode(index, s.generation),
                                    command_.data(), command_.size()) == REDIS_OK;
}

void RedisLimiter::on_reply(redisAsyncContext* c, void* reply, void* privdata) {
  RedisLimiter* self = owner(c);
  if (self == nullptr) return;
  const auto token = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(privdata));
  self->reply(static_cast<uint32_t>(token & 0xffffffffU), static_cast<uint32_t>(token >> 32),
              reply);
}

void RedisLimiter::reply(uint32_t index, uint32_t generation, void* r) {
  if (index >= slots_.size()) return;
  Slot& s = slots_[index];
  if (!s.busy || s.generation != generation) return;
  const bool answer = !s.resolved && !stopping_;
  const Ticket ticket = s.ticket;
  Outcome outcome = Outcome::Unavailable;
  int64_t wait_ns = 0;
  const auto* reply = static_cast<const redisReply*>(r);
  if (reply == nullptr) {
    down_ = true;  // the connection is going; the rest decide locally until it is back
  } else if (reply->type == REDIS_REPLY_ERROR) {
    const std::string_view error(reply->str, reply->len);
    if (error.starts_with("NOSCRIPT") && !s.retried && answer) {
      // The script is gone from Redis: this one goes again with the script itself.
      s.retried = true;
      load_script();
      if (send(index, true)) return;
    }
    command_failed("rate limit script failed", error);
  } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
             reply->element[0]->type == REDIS_REPLY_INTEGER &&
             reply->element[1]->type == REDIS_REPLY_INTEGER) {
    outcome = reply->element[0]->integer == 1 ? Outcome::Allowed : Outcome::Limited;
    wait_ns = reply->element[1]->integer;
    warned_ = false;
  } else {
    command_failed("rate limit script gave an unexpected reply", {});
  }
  if (answer) unlink_waiting(index);
  free_slot(index);
  // Last: the sink may call check() again, which may move slots_.
  if (answer) sink_.decided(ticket, outcome, wait_ns);
}

void RedisLimiter::resolve(uint32_t index, Outcome outcome, int64_t wait_ns) {
  Slot& s = slots_[index];
  if (s.resolved) return;
  s.resolved = true;
  unlink_waiting(index);
  const Ticket ticket = s.ticket;
  if (!stopping_) sink_.decided(ticket, outcome, wait_ns);
}

void RedisLimiter::expire() {
  const int64_t now = monotonic_ns();
  while (head_ != kNone && slots_[static_cast<uint32_t>(head_)].deadline_ns <= now) {
    resolve(static_cast<uint32_t>(head_), Outcome::Unavailable, 0);
  }
  arm_timer();
}

void RedisLimiter::arm_timer() {
  if (timer_ == nullptr) return;
  if (head_ == kNone) {
    uv_timer_stop(timer_);
    return;
  }
  const int64_t left = slots_[static_cast<uint32_t>(head_)].deadline_ns - monotonic_ns();
  const uint64_t ms = left <= 0 ? 0 : static_cast<uint64_t>((left + 999'999) / 1'000'000);
  uv_timer_start(
      timer_,
      [](uv_timer_t* t) {
        if (auto* self = static_cast<RedisLimiter*>(t->data)) self->expire();
      },
      ms, 0);
}

int32_t RedisLimiter::take_slot() {
  if (free_ == kNone) {
    if (slots_.size() >= kMaxSlots) return kNone;
    slots_.emplace_back();
    return static_cast<int32_t>(slots_.size() - 1);
  }
  const int32_t index = free_;
  free_ = slots_[static_cast<uint32_t>(index)].next;
  return index;
}

void RedisLimiter::free_slot(uint32_t index) {
  Slot& s = slots_[index];
  s.busy = false;
  s.resolved = false;
  ++s.generation;
  s.prev = kNone;
  s.next = free_;
  free_ = static_cast<int32_t>(index);
}

void RedisLimiter::link_waiting(uint32_t index) {
  Slot& s = slots_[index];
  s.prev = tail_;
  s.next = kNone;
  if (tail_ == kNone) {
    head_ = static_cast<int32_t>(index);
  } else {
    slots_[static_cast<uint32_t>(tail_)].next = static_cast<int32_t>(index);
  }
  tail_ = static_cast<int32_t>(index);
  ++waiting_count_;
}

void RedisLimiter::unlink_waiting(uint32_t index) {
  Slot& s = slots_[index];
  if (s.prev == kNone) {
    head_ = s.next;
  } else {
    slots_[static_cast<uint32_t>(s.prev)].next = s.next;
  }
  if (s.next == kNone) {
    tail_ = s.prev;
  } else {
    slots_[static_cast<uint32_t>(s.next)].prev = s.prev;
  }
  s.prev = s.next = kNone;
  --waiting_count_;
}

void RedisLimiter::on_up() {
  down_ = false;
  loading_ = false;
  load_script();
}

void RedisLimiter::on_down() {
  // Every outstanding decision has had its null reply by now.
  down_ = true;
  loading_ = false;
  arm_timer();
}

void RedisLimiter::load_script() {
  redisAsyncContext* ctx = context();
  if (loading_ || ctx == nullptr) return;
  if (redisAsyncCommand(ctx, &RedisLimiter::on_script_loaded, nullptr, "SCRIPT LOAD %b",
                        script::kSource.data(), script::kSource.size()) == REDIS_OK) {
    loading_ = true;
  }
}

void RedisLimiter::on_script_loaded(redisAsyncContext* c, void* r, void*) {
  RedisLimiter* self = owner(c);
  if (self == nullptr) return;
  self->loading_ = false;
  const auto* reply = static_cast<const redisReply*>(r);
  if (reply == nullptr) return;
  if (reply->type == REDIS_REPLY_ERROR) {
    self->command_failed("rate limit script not loaded", std::string_view(reply->str, reply->len));
  } else if (reply->type != REDIS_REPLY_STRING ||
             std::string_view(reply->str, reply->len) != script::sha1()) {
    self->command_failed("rate limit script loaded under an unexpected name", {});
  }
}

void RedisLimiter::command_failed(std::string_view what, std::string_view error) {
  stats().bus_errors[static_cast<size_t>(BusError::RedisCommand)].inc();
  if (warned_) return;
  warned_ = true;
  log::warn(what, {{"component", "rate_limit"}, {"error", error}});
}

}  // namespace holdfast::filters::rate_limit

#include "proxy/bus/redis_link.h"

#include <algorithm>

#include "proxy/bus/redis_replies.h"
#include "proxy/bus/redis_uv_adapter.h"
#include "proxy/log.h"

namespace holdfast {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
// A connect that neither succeeds nor fails in this time (a host that drops SYNs) is abandoned.
constexpr std::chrono::milliseconds kConnectTimeout{2000};

void ignore_reply(redisAsyncContext*, void*, void*) {}

}  // namespace

RedisLink::RedisLink(uv_loop_t* loop, const config::RedisBus& cfg, RedisLinkKind kind,
                     std::string role, Stats& stats)
    : loop_(loop), cfg_(cfg), kind_(kind), role_(std::move(role)), stats_(stats) {
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
}

RedisLink::~RedisLink() {
  stopping_ = true;
  set_connected(false);
  abandon();
  close_timer();
}

bool RedisLink::set_connected(bool up) {
  const bool was = connected_.exchange(up);
  if (was != up) stats_.redis_links_up[static_cast<size_t>(kind_)].add(up ? 1 : -1);
  return was;
}

void RedisLink::start() {
  connect();
}

void RedisLink::stop() {
  stopping_ = true;
  close_timer();
  if (ctx_ == nullptr) return;
  if (connected_) {
    redisAsyncDisconnect(ctx_);  // after pending replies; on_disconnect clears ctx_
  } else {
    abandon();
  }
}

// Frees a context that never connected; hiredis calls no callback for it.
void RedisLink::abandon() {
  if (ctx_ == nullptr) return;
  redisAsyncContext* c = ctx_;
  ctx_ = nullptr;
  c->data = nullptr;
  redisAsyncFree(c);
}

void RedisLink::close_timer() {
  if (timer_ == nullptr) return;
  uv_timer_stop(timer_);
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  timer_ = nullptr;
}

void RedisLink::arm(std::chrono::milliseconds after) {
  if (timer_ == nullptr) return;
  uv_timer_start(
      timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<RedisLink*>(t->data);
        if (self == nullptr) return;
        if (self->ctx_ != nullptr && !self->connected_) {
          self->abandon();
          self->lost("connect timed out");
        } else if (self->ctx_ == nullptr) {
          self->connect();
        }
      },
      static_cast<uint64_t>(after.count()), 0);
}

void RedisLink::connect() {
  if (stopping_) return;
  ctx_ = redisAsyncConnect(cfg_.host.c_str(), cfg_.port);
  if (ctx_ == nullptr || ctx_->err || !attach_redis_to_uv(ctx_, loop_)) {
    const std::string why =
        ctx_ != nullptr && ctx_->errstr != nullptr ? ctx_->errstr : "no context";
    if (ctx_ != nullptr) abandon();
    lost(why.c_str());
    return;
  }
  ctx_->data = this;
  use_pooled_replies(ctx_->c.reader);
  redisAsyncSetConnectCallback(ctx_, &RedisLink::on_connect);
  redisAsyncSetDisconnectCallback(ctx_, &RedisLink::on_disconnect);
  if (!cfg_.password.empty()) {
    redisAsyncCommand(ctx_, ignore_reply, nullptr, "AUTH %b", cfg_.password.data(),
                      cfg_.password.size());
  }
  if (cfg_.db != 0) redisAsyncCommand(ctx_, ignore_reply, nullptr, "SELECT %d", cfg_.db);
  arm(kConnectTimeout);
}

void RedisLink::on_connect(const redisAsyncContext* c, int status) {
  auto* self = static_cast<RedisLink*>(c->data);
  if (self == nullptr) return;
  if (self->timer_ != nullptr) uv_timer_stop(self->timer_);
  if (status != REDIS_OK) {
    self->ctx_ = nullptr;  // hiredis frees the context after this callback
    self->lost(c->errstr);
    return;
  }
  self->set_connected(true);
  self->backoff_ = kFirstBackoff;
  if (self->warned_) {
    log::info("redis connected", {{"component", "redis"}, {"role", self->role_}});
    self->warned_ = false;
  }
  self->on_up();
}

void RedisLink::on_disconnect(const redisAsyncContext* c, int status) {
  auto* self = static_cast<RedisLink*>(c->data);
  if (self == nullptr) return;
  self->ctx_ = nullptr;
  const bool was_up = self->set_connected(false);
  if (was_up) self->on_down();
  if (self->stopping_) return;
  self->lost(status == REDIS_OK ? "closed" : c->errstr);
}

void RedisLink::lost(const char* why) {
  set_connected(false);
  stats_.bus_errors[static_cast<size_t>(BusError::RedisConnect)].inc();
  if (!warned_) {
    log::warn("redis unavailable, retrying",
              {{"component", "redis"}, {"role", role_}, {"reason", why ? why : ""}});
    warned_ = true;
  }
  if (stopping_) return;
  arm(backoff_);
  backoff_ = std::min(backoff_ * 2, cfg_.reconnect_max);
}

}  // namespace holdfast

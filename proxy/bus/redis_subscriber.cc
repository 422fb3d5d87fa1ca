#include "proxy/bus/redis_subscriber.h"

#include <hiredis/hiredis.h>

#include <cstring>

namespace holdfast {

RedisSubscriber::RedisSubscriber(uv_loop_t* loop, const config::RedisBus& cfg, Stats& stats,
                                 std::string_view id_prefix, OnMessage on_message)
    : RedisLink(loop, cfg, RedisLinkKind::Subscriber, "subscriber", stats),
      id_prefix_(id_prefix),
      on_message_(std::move(on_message)) {}

void RedisSubscriber::on_up() {
  confirmed_ = 0;
  const std::string& p = cfg().prefix;
  const std::string conn = p + "conn:" + id_prefix_ + "*";
  const std::string user = p + "user:*";
  const std::string channel = p + "channel:*";
  const std::string broadcast = p + "broadcast";
  const std::string control = p + "control";
  redisAsyncCommand(context(), &RedisSubscriber::on_message, this, "PSUBSCRIBE %b %b %b",
                    conn.data(), conn.size(), user.data(), user.size(), channel.data(),
                    channel.size());
  redisAsyncCommand(context(), &RedisSubscriber::on_message, this, "SUBSCRIBE %b %b",
                    broadcast.data(), broadcast.size(), control.data(), control.size());
}

void RedisSubscriber::on_message(redisAsyncContext*, void* r, void* privdata) {
  auto* self = static_cast<RedisSubscriber*>(privdata);
  auto* reply = static_cast<redisReply*>(r);
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
  auto str = [&](size_t i) {
    const redisReply* e = reply->element[i];
    return e->type == REDIS_REPLY_STRING ? std::string_view(e->str, e->len) : std::string_view();
  };
  const std::string_view kind = str(0);
  if (kind == "pmessage" && reply->elements >= 4) {
    self->on_message_(str(2), str(3));
  } else if (kind == "message") {
    self->on_message_(str(1), str(2));
  } else if (kind == "psubscribe" || kind == "subscribe") {
    self->confirmed_.fetch_add(1);
  }
}

}  // namespace holdfast

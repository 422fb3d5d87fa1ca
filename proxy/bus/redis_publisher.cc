#include "proxy/bus/redis_publisher.h"

#include <hiredis/hiredis.h>

#include "proxy/log.h"

namespace holdfast {
namespace {

// Past this many bytes waiting for Redis, callers are told Busy and hold their message.
constexpr size_t kMaxQueuedBytes = size_t{256} << 20;
constexpr size_t kSpareCommands = 1024;
constexpr size_t kSpareCommandBytes = 4096;

void append_bulk(std::string& out, std::string_view s) {
  out += '$';
  out += std::to_string(s.size());
  out += "\r\n";
  out.append(s.data(), s.size());
  out += "\r\n";
}

}  // namespace

RedisPublisher::RedisPublisher(uv_loop_t* loop, const config::RedisBus& cfg, BusAckSink& sink,
                               Stats& stats, unsigned worker)
    : RedisLink(loop, cfg, RedisLinkKind::Publisher, "publisher-" + std::to_string(worker), stats),
      sink_(sink) {}

BusStatus RedisPublisher::send(const BusTarget& target, const contract::Event& ev, uint64_t handle,
                               EventScratch& scratch) {
  if (queued_bytes_ > kMaxQueuedBytes) return BusStatus::Busy;
  std::string& body = scratch.body;
  body.clear();
  size_t args = 0;
  auto arg = [&](std::string_view s) {
    append_bulk(body, s);
    ++args;
  };
  if (target.kind == BusTarget::Kind::RedisStream) {
    arg("XADD");
    arg(target.name);
    if (target.maxlen > 0) {
      arg("MAXLEN");
      arg("~");
      arg(std::to_string(target.maxlen));
    }
    arg("*");
    if (!ev.data.empty() || ev.type == contract::kTypeMessage) {
      arg("data");
      arg(ev.data);
    }
    contract::for_each_attribute(ev, scratch.attrs, [&](const contract::Attribute& a) {
      arg(a.field_name);
      arg(a.value);
    });
  } else {
    arg("PUBLISH");
    arg(target.name);
    scratch.attrs.clear();
    contract::append_structured_json(ev, scratch.attrs);
    arg(scratch.attrs);
  }
  Pending p{handle, ev.data.size(), {}, {}};
  if (!spare_commands_.empty()) {
    p.command = std::move(spare_commands_.back());
    spare_commands_.pop_back();
    p.command.clear();
  }
  p.command.reserve(body.size() + 16);
  p.command += '*';
  p.command += std::to_string(args);
  p.command += "\r\n";
  p.command += body;
  queued_bytes_ += p.command.size();
  if (connected()) {
    write(p);
    sent_.push_back(std::move(p));
  } else {
    waiting_.push_back(std::move(p));
  }
  return BusStatus::Accepted;
}

void RedisPublisher::write(Pending& p) {
  p.written = sink_.now();
  redisAsyncFormattedCommand(context(), &RedisPublisher::on_reply, this, p.command.data(),
                             p.command.size());
}

void RedisPublisher::on_reply(redisAsyncContext*, void* r, void* privdata) {
  auto* self = static_cast<RedisPublisher*>(privdata);
  if (r == nullptr || self->sent_.empty()) return;  // the connection went; on_down requeues
  auto* reply = static_cast<redisReply*>(r);
  Pending p = std::move(self->sent_.front());
  self->sent_.pop_front();
  self->queued_bytes_ -= p.command.size();
  BusResult result = BusResult::Ok;
  const std::chrono::duration<double> took = self->sink_.now() - p.written;
  self->stats().redis_publish.observe(took.count());
  if (reply->type == REDIS_REPLY_ERROR) {
    result = BusResult::Rejected;
    self->stats().bus_errors[static_cast<size_t>(BusError::RedisCommand)].inc();
    log::warn("redis refused a message",
              {{"component", "redis"}, {"error", std::string_view(reply->str, reply->len)}});
  }
  if (p.handle != 0) self->sink_.on_ack(p.handle, p.bytes, result);
  if (self->spare_commands_.size() < kSpareCommands && p.command.capacity() <= kSpareCommandBytes) {
    self->spare_commands_.push_back(std::move(p.command));
  }
}

void RedisPublisher::on_up() {
  while (!waiting_.empty()) {
    write(waiting_.front());
    sent_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
  }
}

void RedisPublisher::on_down() {
  // Unanswered commands go back to the front, in their original order.
  while (!sent_.empty()) {
    waiting_.push_front(std::move(sent_.back()));
    sent_.pop_back();
  }
}

void RedisPublisher::flush_and_stop(std::chrono::milliseconds) {
  if (!waiting_.empty()) {
    log::error("redis messages not written before exit",
               {{"component", "redis"}, {"count", static_cast<uint64_t>(waiting_.size())}});
  }
  stop();
}

}  // namespace holdfast

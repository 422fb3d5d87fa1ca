#include "proxy/reply_router.h"

#include <charconv>
#include <optional>

#include "proxy/log.h"
#include "proxy/util/ids.h"
#include "proxy/util/trace.h"
#include "proxy/util/utf8.h"
#include "proxy/worker.h"

namespace holdfast {
namespace {

using contract::ControlKind;
using contract::Target;

std::optional<std::string_view> header(rd_kafka_headers_t* hdrs, std::string_view name) {
  if (hdrs == nullptr) return std::nullopt;
  const void* value = nullptr;
  size_t size = 0;
  // Header names are not NUL-terminated views here; all of ours are string literals.
  if (rd_kafka_header_get_last(hdrs, name.data(), &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  return std::string_view(static_cast<const char*>(value), value ? size : 0);
}

bool set_control(Delivery& d, ControlKind kind) {
  switch (kind) {
    case ControlKind::Close:
      d.kind = Delivery::Kind::Close;
      return true;
    case ControlKind::Subscribe:
      d.kind = Delivery::Kind::Subscribe;
      return !d.channel.empty();
    case ControlKind::Unsubscribe:
      d.kind = Delivery::Kind::Unsubscribe;
      return !d.channel.empty();
    default:
      return false;
  }
}

// The trace id of a reply's own traceparent, kept for its log lines; nothing when it is not valid.
void set_trace_id(Delivery& d, std::string_view traceparent) {
  util::TraceContext t;
  if (util::parse_traceparent(traceparent, t)) util::write_trace_id(t, d.trace_id.data());
}

}  // namespace

ReplyRouter::ReplyRouter(std::vector<std::unique_ptr<Worker>>& workers, Stats& stats)
    : workers_(workers), stats_(stats) {
  spare_.reserve(kSpareMax);
}

ReplyRouter::~ReplyRouter() {
  for (auto& w : workers_) {
    while (MpscNode* n = w->spent().pop())
      delete static_cast<Delivery*>(n);
  }
  for (Delivery* d : spare_)
    delete d;
}

ReplyRouter::DeliveryPtr ReplyRouter::fresh() {
  if (spare_.empty()) {
    for (auto& w : workers_) {
      while (MpscNode* n = w->spent().pop())
        keep(static_cast<Delivery*>(n));
    }
  }
  if (spare_.empty()) return DeliveryPtr(new Delivery, Recycle{this});
  Delivery* d = spare_.back();
  spare_.pop_back();
  return DeliveryPtr(d, Recycle{this});
}

void ReplyRouter::recycle(Delivery* d) {
  d->clear();
  keep(d);
}

void ReplyRouter::keep(Delivery* d) {
  if (spare_.size() < kSpareMax) {
    spare_.push_back(d);
  } else {
    delete d;
  }
}

void ReplyRouter::on_kafka_record(const rd_kafka_message_t& msg) {
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(&msg, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) hdrs = nullptr;
  auto d = fresh();
  if (const auto tp = header(hdrs, "traceparent")) set_trace_id(*d, *tp);
  const log::Field trace = log::Field::optional("trace_id", d->trace_id.data());

  const auto target = header(hdrs, contract::kHeaderTarget);
  const auto correlation = header(hdrs, contract::kHeaderCorrelation);
  if (target) {
    const Target t = contract::parse_target(*target);
    if (t.kind == Target::Kind::Invalid) {
      stats_.undeliverable[static_cast<size_t>(Undeliverable::BadTarget)].inc();
      log::debug("reply with an invalid target dropped", {{"target", *target}, trace});
      return;
    }
    d->target = t.kind;
    d->name.assign(t.name);
  } else if (correlation && !correlation->empty()) {
    d->target = Target::Kind::Connection;
    d->name.assign(*correlation);
  } else {
    stats_.undeliverable[static_cast<size_t>(Undeliverable::NoTarget)].inc();
    log::debug("reply without a target dropped", {trace});
    return;
  }

  if (const auto control = header(hdrs, contract::kHeaderControl)) {
    stats_.control_messages.inc();
    if (const auto ch = header(hdrs, contract::kHeaderChannel)) d->channel.assign(*ch);
    bool valid = true;
    if (const auto code = header(hdrs, contract::kHeaderCloseCode)) {
      int v = 0;
      auto [p, ec] = std::from_chars(code->data(), code->data() + code->size(), v);
      valid = ec == std::errc() && p == code->data() + code->size() &&
              (v == 1000 || (v >= 3000 && v <= 4999));
      d->close_code = v;
    }
    if (const auto reason = header(hdrs, contract::kHeaderCloseReason)) {
      d->close_reason.assign(util::utf8_prefix(*reason, 123));
    }
    if (!valid || !set_control(*d, contract::parse_control(*control))) {
      stats_.bad_control.inc();
      log::info("invalid control record ignored", {{"control", *control}, trace});
      return;
    }
    dispatch(std::move(d));
    return;
  }

  const std::string_view value(static_cast<const char*>(msg.payload), msg.payload ? msg.len : 0);
  const std::string_view ct = header(hdrs, contract::kHeaderContentType).value_or("");
  // A text frame must hold UTF-8; a value that is not goes out as binary rather than have the
  // client close on it.
  // (With no content type, reply_is_text has checked UTF-8 already.)
  const bool text = contract::reply_is_text(ct, value) && (ct.empty() || util::valid_utf8(value));
  d->frame = FrameRef(frames_.make(value, text));
  if (!d->frame) return;
  dispatch(std::move(d));
}

bool read_redis_message(std::string_view rest, std::string_view payload, FramePool& frames,
                        Delivery& d, Stats* stats) {
  if (rest == "control") {
    if (stats) stats->control_messages.inc();
    contract::RedisControl c;
    std::string error;
    if (!contract::parse_redis_control(payload, c, error)) {
      if (stats) {
        stats->bad_control.inc();
        log::warn("malformed redis control message ignored",
                  {{"component", "redis"}, {"error", error}});
      }
      return false;
    }
    d.target = c.target.kind;
    d.name.assign(c.target.name);
    d.close_code = c.code;
    d.close_reason = c.reason;
    d.channel = c.channel;
    if (!set_control(d, c.control)) {
      if (stats) {
        stats->bad_control.inc();
        log::warn("redis control message ignored",
                  {{"component", "redis"}, {"error", "no control"}});
      }
      return false;
    }
    return true;
  }
  const Target t = contract::parse_redis_channel(rest);
  if (t.kind == Target::Kind::Invalid) {
    if (stats) stats->undeliverable[static_cast<size_t>(Undeliverable::BadTarget)].inc();
    return false;
  }
  d.target = t.kind;
  d.name.assign(t.name);
  d.frame = FrameRef(frames.make(payload, util::valid_utf8(payload)));
  return static_cast<bool>(d.frame);
}

Owner owner_of(std::string_view id, size_t workers, unsigned& worker) {
  std::string_view boot;
  if (!util::parse_connection_id(id, boot, worker)) return Owner::BadId;
  if (boot != util::boot_id()) return Owner::OtherInstance;
  return worker < workers ? Owner::Worker : Owner::NoSuchWorker;
}

void count_unowned(Owner owner, Stats& stats) {
  switch (owner) {
    case Owner::BadId:
      stats.undeliverable[static_cast<size_t>(Undeliverable::BadTarget)].inc();
      return;
    case Owner::NoSuchWorker:
      stats.undeliverable[static_cast<size_t>(Undeliverable::NoConnection)].inc();
      return;
    case Owner::Worker:
    case Owner::OtherInstance:
      return;
  }
}

void ReplyRouter::dispatch(DeliveryPtr d) {
  if (d->target == Target::Kind::Connection) {
    unsigned worker = 0;
    const Owner owner = owner_of(d->name, workers_.size(), worker);
    if (owner != Owner::Worker) {
      count_unowned(owner, stats_);
      return;
    }
    workers_[worker]->post(d.release());
    return;
  }
  for (size_t i = 0; i + 1 < workers_.size(); ++i) {
    auto copy = fresh();
    copy->kind = d->kind;
    copy->target = d->target;
    copy->name = d->name;
    copy->frame = d->frame;
    copy->close_code = d->close_code;
    copy->close_reason = d->close_reason;
    copy->channel = d->channel;
    copy->trace_id = d->trace_id;
    workers_[i]->post(copy.release());
  }
  workers_.back()->post(d.release());
}

}  // namespace holdfast

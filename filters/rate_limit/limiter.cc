#include "filters/rate_limit/limiter.h"

#include <array>

#include "proxy/log.h"

namespace holdfast::filters::rate_limit {
namespace {

constexpr int64_t kFullWarningEvery = 10'000'000'000;  // ns
// The wait a refusal for an unavailable backend suggests.
constexpr int64_t kUnavailableWait = 1'000'000'000;

// The parts of Redis keys after the prefix and the route name.
constexpr std::string_view kConnectionsByIp = ":conn:ip:";
constexpr std::string_view kMessagesByIp = ":msg:ip:";
constexpr std::string_view kMessagesByUser = ":msg:user:";

}  // namespace

struct Limiter::State final : ConnectionState {
  int64_t message_tat = 0;  // messages keyed by this connection
  int64_t bytes_tat = 0;
  bool message_key_known = false;
  bool message_shared = false;  // messages keyed by the IP or the user
  uint64_t message_hash = 0;    // its key in the shared table
  std::string message_key;      // its Redis key after the prefix and route
};

Limiter::Limiter(std::shared_ptr<const Settings> settings, std::shared_ptr<SharedTable> table,
                 const config::RedisBus* redis, const WorkerEnv& env)
    : settings_(std::move(settings)),
      table_(std::move(table)),
      host_(env.host),
      type_(env.filter_type) {
  if (redis != nullptr) {
    redis_cfg_ = std::make_unique<config::RedisBus>(*redis);
    RedisLimiter::Sink& sink = *this;
    redis_ = std::make_unique<RedisLimiter>(host_->loop(), *redis_cfg_, host_->stats(),
                                            "rate_limit-" + std::to_string(host_->worker_index()),
                                            settings_->redis_timeout, sink);
    redis_->start();
  }
}

// On the worker thread with its loop still running: the link closes its handles there.
Limiter::~Limiter() {
  redis_.reset();
}

std::unique_ptr<ConnectionState> Limiter::new_state() {
  if (!settings_->messages && !settings_->bytes) return nullptr;
  return std::make_unique<State>();
}

bool Limiter::judge(What what, Result result, int64_t wait_ns, Rejection& out) {
  const Settings& s = *settings_;
  switch (result) {
    case Result::Allowed:
      host_->count(type_, kAllowed);
      return false;
    case Result::Limited:
      if (s.shadow) {
        host_->count(type_, kShadowLimited);
        return false;
      }
      out = refusal(what, s.action, kLimited, wait_ns);
      return true;
    case Result::Unavailable:
      if (s.fail_open || s.shadow) {
        host_->count(type_, kBackendFailAllow);
        return false;
      }
      out = refusal(what, s.action, kBackendFailDeny, kUnavailableWait);
      return true;
    case Result::Untracked:
      host_->count(type_, kBackendFailAllow);
      return false;
  }
  return false;
}

Verdict Limiter::conclude(Call& call, What what, Result result, int64_t wait_ns) {
  Rejection r;
  if (!judge(what, result, wait_ns, r)) return Verdict::Continue;
  return call.reject(std::move(r));
}

void Limiter::decided(const RedisLimiter::Ticket& ticket, RedisLimiter::Outcome outcome,
                      int64_t wait_ns) {
  const Result result = outcome == RedisLimiter::Outcome::Allowed   ? Result::Allowed
                        : outcome == RedisLimiter::Outcome::Limited ? Result::Limited
                                                                    : Result::Unavailable;
  Rejection r;
  const bool refused = judge(static_cast<What>(ticket.what), result, wait_ns, r);
  host_->resume(ticket.pending, refused ? &r : nullptr);
}

Limiter::Result Limiter::shared(uint64_t key, const Limit& limit, int64_t now, int64_t& wait_ns) {
  const auto r = table_->update(key, now, limit, 1);
  switch (r.status) {
    case SharedTable::Status::Allowed:
      return Result::Allowed;
    case SharedTable::Status::Limited:
      wait_ns = r.answer.wait_ns;
      return Result::Limited;
    case SharedTable::Status::Full:
      break;
  }
  if (now - last_full_warning_ >= kFullWarningEvery || last_full_warning_ == 0) {
    last_full_warning_ = now;
    log::warn("rate limit table full, allowing",
              {{"component", "rate_limit"},
               {"capacity", static_cast<uint64_t>(table_->capacity())},
               {"full_total", table_->full_count()}});
  }
  return Result::Untracked;
}

Verdict Limiter::on_upgrade(const Request& /*req*/, Call& call) {
  const Settings& s = *settings_;
  if (!s.connections) return Verdict::Continue;
  const std::string& ip = call.conn.client_ip;
  if (redis_) {
    const std::array<std::string_view, 4> key = {s.key_prefix, call.conn.route, kConnectionsByIp,
                                                 ip};
    const RedisLimiter::Ticket ticket{call.pending, static_cast<uint8_t>(What::Connection)};
    if (redis_->check(key, s.connections->interval(1), s.connections->window(), ticket)) {
      return call.defer();
    }
    return conclude(call, What::Connection, Result::Unavailable, 0);
  }
  int64_t wait_ns = 0;
  const Result result =
      shared(table_->hash(kConnectionsByIp, ip), *s.connections, monotonic_ns(), wait_ns);
  return conclude(call, What::Connection, result, wait_ns);
}

void Limiter::resolve_message_key(State& st, const Connection& conn) {
  st.message_key_known = true;
  const Per per = settings_->per;
  std::string_view tag;
  std::string_view id;
  if (per == Per::Ip) {
    tag = kMessagesByIp;
    id = conn.client_ip;
  } else if (per == Per::User && !conn.auth_id.empty()) {
    tag = kMessagesByUser;
    id = conn.auth_id;
  } else {
    return;  // this connection alone
  }
  st.message_shared = true;
  if (table_) st.message_hash = table_->hash(tag, id);
  if (redis_) {
    st.message_key.reserve(tag.size() + id.size());
    st.message_key.append(tag).append(id);
  }
}

Verdict Limiter::on_message(const Message& msg, Call& call) {
  const Settings& s = *settings_;
  auto* st = static_cast<State*>(call.state);
  if (st == nullptr) return Verdict::Continue;
  const int64_t now = monotonic_ns();
  // Bytes first, without storing: a message refused by the message limit spends no bytes.
  Answer bytes;
  if (s.bytes) {
    bytes = decide(st->bytes_tat, now, *s.bytes, msg.data.size());
    if (!bytes.allowed) return conclude(call, What::Message, Result::Limited, bytes.wait_ns);
  }
  Result result = Result::Allowed;
  if (s.messages) {
    if (!st->message_key_known) resolve_message_key(*st, call.conn);
    if (!st->message_shared) {
      const Answer a = decide(st->message_tat, now, *s.messages, 1);
      if (!a.allowed) return conclude(call, What::Message, Result::Limited, a.wait_ns);
      st->message_tat = a.tat;
    } else if (redis_) {
      // The bytes are spent now: the message is held until Redis answers, so nothing else on
      // this connection is decided in between.
      if (s.bytes) st->bytes_tat = bytes.tat;
      const std::array<std::string_view, 3> key = {s.key_prefix, call.conn.route, st->message_key};
      const RedisLimiter::Ticket ticket{call.pending, static_cast<uint8_t>(What::Message)};
      if (redis_->check(key, s.messages->interval(1), s.messages->window(), ticket)) {
        return call.defer();
      }
      return conclude(call, What::Message, Result::Unavailable, 0);
    } else if (table_) {
      int64_t wait_ns = 0;
      result = shared(st->message_hash, *s.messages, now, wait_ns);
      if (result == Result::Limited) return conclude(call, What::Message, result, wait_ns);
    }
  }
  if (s.bytes) st->bytes_tat = bytes.tat;
  return conclude(call, What::Message, result, 0);
}

}  // namespace holdfast::filters::rate_limit

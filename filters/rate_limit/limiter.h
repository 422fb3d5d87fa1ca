// The rate_limit filter on one worker. Limits keyed by one connection keep their state in the
// connection (nothing shared, nothing locked); limits keyed by an IP or a user use the
// process-wide SharedTable (backend: local) or Redis (backend: redis), where a decision defers
// the hook until the reply.
#pragma once

#include <memory>
#include <string>

#include "filters/filter.h"
#include "filters/rate_limit/outcome.h"
#include "filters/rate_limit/redis_limiter.h"
#include "filters/rate_limit/settings.h"
#include "filters/rate_limit/shared_table.h"

namespace holdfast::filters::rate_limit {

class Limiter final : public Filter, private RedisLimiter::Sink {
 public:
  // `table` is set for backend: local with shared keys; `redis` for backend: redis with shared
  // keys (the limiter then runs a RedisLimiter on the host's loop).
  Limiter(std::shared_ptr<const Settings> settings, std::shared_ptr<SharedTable> table,
          const config::RedisBus* redis, const WorkerEnv& env);
  ~Limiter() override;

  std::unique_ptr<ConnectionState> new_state() override;
  Verdict on_upgrade(const Request& req, Call& call) override;
  Verdict on_message(const Message& msg, Call& call) override;

 private:
  struct State;
  // How a decision came out, before shadow and failure_mode have their say.
  enum class Result { Allowed, Limited, Unavailable, Untracked };

  // Counts a decision that lets the request through and returns false, or fills `out` with the
  // refusal and returns true.
  bool judge(What what, Result result, int64_t wait_ns, Rejection& out);
  Verdict conclude(Call& call, What what, Result result, int64_t wait_ns);
  void decided(const RedisLimiter::Ticket& ticket, RedisLimiter::Outcome outcome,
               int64_t wait_ns) override;
  Result shared(uint64_t key, const Limit& limit, int64_t now, int64_t& wait_ns);
  void resolve_message_key(State& st, const Connection& conn);

  std::shared_ptr<const Settings> settings_;
  std::shared_ptr<SharedTable> table_;
  Host* host_;
  size_t type_;
  std::unique_ptr<config::RedisBus> redis_cfg_;  // the link keeps a reference to it
  std::unique_ptr<RedisLimiter> redis_;
  int64_t last_full_warning_ = 0;
};

}  // namespace holdfast::filters::rate_limit

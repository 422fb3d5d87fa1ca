#include "filters/rate_limit/rate_limit.h"

#include <random>

#include "config/diagnostics.h"
#include "filters/rate_limit/limiter.h"
#include "filters/rate_limit/settings.h"
#include "proxy/log.h"

namespace holdfast::filters::rate_limit {
namespace {

class Factory final : public FilterFactory {
 public:
  Factory(std::shared_ptr<const Settings> settings, std::shared_ptr<SharedTable> table,
          std::optional<config::RedisBus> redis)
      : settings_(std::move(settings)), table_(std::move(table)), redis_(std::move(redis)) {}

  std::unique_ptr<Filter> for_worker(const WorkerEnv& env) override {
    return std::make_unique<Limiter>(settings_, table_, redis_ ? &*redis_ : nullptr, env);
  }

 private:
  std::shared_ptr<const Settings> settings_;
  std::shared_ptr<SharedTable> table_;     // backend: local, shared keys
  std::optional<config::RedisBus> redis_;  // backend: redis, shared keys
};

uint64_t random_seed() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd();
}

}  // namespace

std::shared_ptr<const config::FilterSettings> read(config::Diagnostics& diag,
                                                   const config::Field& field) {
  return read_settings(diag, field);
}

std::shared_ptr<FilterFactory> make(std::shared_ptr<const config::FilterSettings> settings,
                                    const ProcessEnv& env) {
  auto s = std::static_pointer_cast<const Settings>(std::move(settings));
  if (!s) return nullptr;
  std::shared_ptr<SharedTable> table;
  std::optional<config::RedisBus> redis;
  if (s->backend == Backend::Redis) {
    // The config check refuses this already; a factory made without it must not crash.
    if (env.config == nullptr || !env.config->redis) {
      log::error("rate_limit uses backend: redis but buses.redis is not configured",
                 {{"component", "rate_limit"}, {"at", config::to_string(s->mark)}});
      return nullptr;
    }
    if (s->has_shared_keys()) redis = *env.config->redis;
  } else if (s->has_shared_keys()) {
    table = std::make_shared<SharedTable>(s->table_size, random_seed());
  }
  return std::make_shared<Factory>(std::move(s), std::move(table), std::move(redis));
}

}  // namespace holdfast::filters::rate_limit

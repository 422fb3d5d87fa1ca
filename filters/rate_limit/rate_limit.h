// The `rate_limit` filter: GCRA token buckets on new connections (per IP), on messages (per
// connection, user or IP) and on bytes (per connection), kept in process or shared through
// Redis. docs/filters.md describes its settings.
#pragma once

#include <memory>
#include <string_view>

#include "filters/registry.h"

namespace holdfast::filters::rate_limit {

// Counter labels, in Rejection::decision order.
enum Decision : uint8_t {
  kAllowed,
  kLimited,           // over the limit and enforced
  kShadowLimited,     // over the limit, shadow: true, let through
  kBackendFailAllow,  // Redis unavailable, failure_mode: allow
  kBackendFailDeny,   // Redis unavailable, failure_mode: deny
};
inline constexpr std::string_view kDecisions[] = {"allowed", "limited", "shadow_limited",
                                                  "backend_fail_allow", "backend_fail_deny"};

std::shared_ptr<const config::FilterSettings> read(config::Diagnostics& diag,
                                                   const config::Field& field);
std::shared_ptr<FilterFactory> make(std::shared_ptr<const config::FilterSettings> settings,
                                    const ProcessEnv& env);

}  // namespace holdfast::filters::rate_limit

// The `max_connections` filter: caps on open connections per listener, per client IP and per
// user, counted across every worker of the process.
#pragma once

#include <memory>
#include <string_view>

#include "filters/registry.h"

namespace holdfast::filters::max_connections {

enum Decision : uint8_t { kAllowed, kListenerFull, kIpFull, kUserFull };
inline constexpr std::string_view kDecisions[] = {"allowed", "listener_full", "ip_full",
                                                  "user_full"};

std::shared_ptr<const config::FilterSettings> read(config::Diagnostics& diag,
                                                   const config::Field& field);
std::shared_ptr<FilterFactory> make(std::shared_ptr<const config::FilterSettings> settings,
                                    const ProcessEnv& env);

}  // namespace holdfast::filters::max_connections

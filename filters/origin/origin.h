// The `origin` filter: an allow-list of Origin values, against cross-site WebSocket hijacking.
#pragma once

#include <memory>
#include <string_view>

#include "filters/registry.h"

namespace holdfast::filters::origin {

enum Decision : uint8_t { kAllowed, kForbidden, kMissing };
inline constexpr std::string_view kDecisions[] = {"allowed", "forbidden", "missing"};

std::shared_ptr<const config::FilterSettings> read(config::Diagnostics& diag,
                                                   const config::Field& field);
std::shared_ptr<FilterFactory> make(std::shared_ptr<const config::FilterSettings> settings,
                                    const ProcessEnv& env);

}  // namespace holdfast::filters::origin

// The one table of filters: a name in `filters:` maps to the reader of its settings and to the
// factory that makes it. Adding a filter adds one row to registry.cc.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "config/config.h"
#include "config/diagnostics.h"
#include "config/schema.h"
#include "filters/filter.h"

namespace holdfast::filters {

struct FilterType {
  std::string_view name;
  // Reads `- <name>: {...}`; `field` is the value under the name, named "filters[i].<name>".
  // Reports every error to `diag` (the load then fails) and may return null after one.
  std::shared_ptr<const config::FilterSettings> (*read)(config::Diagnostics& diag,
                                                        const config::Field& field);
  // Called on the main thread once per route entry, before the workers start.
  std::shared_ptr<FilterFactory> (*make)(std::shared_ptr<const config::FilterSettings> settings,
                                         const ProcessEnv& env);
  // The counter's `decision` label values; Rejection::decision and Host::count index into it.
  std::span<const std::string_view> decisions;
};

std::span<const FilterType> registry();
// The row for `name`, or null.
const FilterType* find_type(std::string_view name);
// The row's index in registry().
size_t type_index(const FilterType& type);

}  // namespace holdfast::filters

// The filters a route may name under `filters:`. Adding a filter to the build adds its name to
// the table in filters.cc.
#pragma once

#include <string_view>
#include <vector>

namespace holdfast::config {

const std::vector<std::string_view>& known_filter_names();

bool is_known_filter(std::string_view name);

}  // namespace holdfast::config

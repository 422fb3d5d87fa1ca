#include "config/filters.h"

#include <algorithm>

namespace holdfast::config {

const std::vector<std::string_view>& known_filter_names() {
  static const std::vector<std::string_view> names = {
      // One line per filter, e.g. "jwt",
  };
  return names;
}

bool is_known_filter(std::string_view name) {
  const auto& names = known_filter_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace holdfast::config

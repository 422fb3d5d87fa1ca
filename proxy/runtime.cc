#include "proxy/runtime.h"

namespace holdfast {

size_t RouteNames::slot(const std::string& name) {
  const size_t n = size_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < n; ++i) {
    if (names_[i] == name) return i;
  }
  if (n == kMaxRouteNames) return kMaxRouteNames;
  names_[n] = name;
  size_.store(n + 1, std::memory_order_release);
  return n;
}

int RouteTable::match(size_t listener, std::string_view path,
                      std::vector<std::string>& params) const {
  const size_t q = path.find('?');
  if (q != std::string_view::npos) path = path.substr(0, q);
  for (size_t index : by_listener[listener]) {
    params.clear();
    if (routes[index]->path.match(path, params)) return static_cast<int>(index);
  }
  params.clear();
  return -1;
}

}  // namespace holdfast

#include "proxy/runtime.h"

namespace holdfast {

int Runtime::match(size_t listener, std::string_view path, std::vector<std::string>& params) const {
  const size_t q = path.find('?');
  if (q != std::string_view::npos) path = path.substr(0, q);
  for (size_t index : listeners[listener].routes) {
    params.clear();
    if (routes[index]->path.match(path, params)) return static_cast<int>(index);
  }
  params.clear();
  return -1;
}

}  // namespace holdfast

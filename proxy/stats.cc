#include "proxy/stats.h"

#include "filters/registry.h"

namespace holdfast {

size_t close_code_index(int code) {
  for (size_t i = 0; i + 1 < kCloseCodes.size(); ++i) {
    if (kCloseCodes[i] == code) return i;
  }
  return kCloseCodes.size() - 1;
}

size_t filter_decision_offset(size_t filter_type) {
  const auto types = filters::registry();
  size_t offset = 0;
  for (size_t i = 0; i < filter_type && i < types.size(); ++i)
    offset += types[i].decisions.size();
  return offset;
}

size_t filter_decision_count() {
  return filter_decision_offset(filters::registry().size());
}

}  // namespace holdfast

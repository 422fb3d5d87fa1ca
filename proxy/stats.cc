#include "proxy/stats.h"

namespace holdfast {

size_t close_code_index(int code) {
  for (size_t i = 0; i + 1 < kCloseCodes.size(); ++i) {
    if (kCloseCodes[i] == code) return i;
  }
  return kCloseCodes.size() - 1;
}

}  // namespace holdfast

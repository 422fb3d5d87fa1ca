#include "filters/rate_limit/rate_limit.h"

namespace holdfast::filters::rate_limit {

std::shared_ptr<const config::FilterSettings> read(config::Diagnostics& diag,
                                                   const config::Field& field) {
  diag.error(field.key_mark, "the 'rate_limit' filter is not available in this build");
  return nullptr;
}

std::shared_ptr<FilterFactory> make(std::shared_ptr<const config::FilterSettings> /*settings*/,
                                    const ProcessEnv& /*env*/) {
  return nullptr;
}

}  // namespace holdfast::filters::rate_limit

#include "filters/jwt/jwt.h"

namespace holdfast::filters::jwt {

std::shared_ptr<const config::FilterSettings> read(config::Diagnostics& diag,
                                                   const config::Field& field) {
  diag.error(field.key_mark, "the 'jwt' filter is not available in this build");
  return nullptr;
}

std::shared_ptr<FilterFactory> make(std::shared_ptr<const config::FilterSettings> /*settings*/,
                                    const ProcessEnv& /*env*/) {
  return nullptr;
}

}  // namespace holdfast::filters::jwt

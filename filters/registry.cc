#include "filters/registry.h"

#include "filters/jwt/jwt.h"
#include "filters/max_connections/max_connections.h"
#include "filters/origin/origin.h"
#include "filters/rate_limit/rate_limit.h"

namespace holdfast::filters {
namespace {

const FilterType kRegistry[] = {
    {"jwt", jwt::read, jwt::make, jwt::kDecisions},
    {"rate_limit", rate_limit::read, rate_limit::make, rate_limit::kDecisions},
    {"origin", origin::read, origin::make, origin::kDecisions},
    {"max_connections", max_connections::read, max_connections::make, max_connections::kDecisions},
};

}  // namespace

std::span<const FilterType> registry() {
  return kRegistry;
}

const FilterType* find_type(std::string_view name) {
  for (const auto& type : kRegistry) {
    if (type.name == name) return &type;
  }
  return nullptr;
}

size_t type_index(const FilterType& type) {
  return static_cast<size_t>(&type - kRegistry);
}

}  // namespace holdfast::filters

#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace holdfast::filters::origin {

struct Settings : config::FilterSettings {
  // Lowercase "scheme://host[:port]" values; an entry "scheme://*.domain" allows any subdomain
  // of domain (not domain itself).
  std::vector<std::string> allow;
  // Whether a request with no Origin header passes. Browsers always send one; other clients
  // (services, mobile apps) usually do not.
  bool allow_missing = true;
};

// Whether `origin` (as sent) is on the list.
bool allowed(const Settings& settings, std::string_view origin);

}  // namespace holdfast::filters::origin

// Shared by the config tests: load inline YAML and return what a user would see.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"

namespace holdfast::config::testing {

using Errors = std::vector<std::string>;

// Every error of `yaml` as "file:line:col: message". The raw string's first newline is dropped
// so that line 1 is the document's first line.
inline Errors errors(std::string_view yaml) {
  if (!yaml.empty() && yaml[0] == '\n') yaml.remove_prefix(1);
  const auto result = load_string(yaml, "holdfast.yaml");
  CHECK_FALSE(result.config);
  Errors out;
  for (const auto& e : result.errors)
    out.push_back(e.to_string());
  return out;
}

}  // namespace holdfast::config::testing

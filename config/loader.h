// Loads and validates a config file in two stages: structure (keys, types, bounds), then meaning.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace holdfast::config {

struct ConfigError {
  std::string file;
  int line = 0;  // 1-based
  int col = 0;   // 1-based
  std::string message;

  // "file:line:col: message"
  std::string to_string() const;
};

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when there are errors
  std::vector<ConfigError> errors;       // every error found, in file order
};

// Reads `path`; `${VAR}` and `${VAR:-default}` in scalar values expand from the environment.
LoadResult load_file(const std::string& path);

// Same, from text; `name` stands for the file name in errors.
LoadResult load_string(std::string_view yaml, const std::string& name);

}  // namespace holdfast::config

// Errors found while loading a config, collected from both stages and reported together.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/loader.h"

namespace holdfast::config {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  // yaml-cpp marks are 0-based; ours are 1-based. A node with no place in the text (the root of
  // an empty document) stands at 1:1.
  Mark mark(const YAML::Mark& m) const;
  Mark mark(const YAML::Node& node) const { return mark(node.Mark()); }

  void error(const Mark& at, std::string message);
  // An error about the whole file rather than a place in it (line and col 0).
  void file_error(std::string message);

  bool empty() const { return errors_.empty(); }

  // Every error, in file order; errors at the same place keep the order they were found in.
  std::vector<ConfigError> take_sorted();

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

// "file:line:col", for messages that point back at an earlier place.
std::string to_string(const Mark& mark);

}  // namespace holdfast::config

#include "config/diagnostics.h"

#include <algorithm>

namespace holdfast::config {

std::string ConfigError::to_string() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + message;
}

std::string to_string(const Mark& mark) {
  return mark.file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.col);
}

Mark Diagnostics::mark(const YAML::Mark& m) const {
  if (m.line < 0 || m.column < 0) return Mark{file_, 1, 1};
  return Mark{file_, m.line + 1, m.column + 1};
}

void Diagnostics::error(const Mark& at, std::string message) {
  errors_.push_back(ConfigError{file_, at.line, at.col, std::move(message)});
}

void Diagnostics::file_error(std::string message) {
  errors_.push_back(ConfigError{file_, 0, 0, std::move(message)});
}

std::vector<ConfigError> Diagnostics::take_sorted() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    return a.line != b.line ? a.line < b.line : a.col < b.col;
  });
  return std::move(errors_);
}

}  // namespace holdfast::config

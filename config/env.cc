#include "config/env.h"

#include <cstdlib>

namespace holdfast::config {
namespace {

bool is_env_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool expand_env(std::string_view text, std::string& out, std::string& error) {
  out.clear();
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t dollar = text.find('$', pos);
    if (dollar == std::string_view::npos || dollar + 1 == text.size()) {
      out += text.substr(pos);
      break;
    }
    out += text.substr(pos, dollar - pos);
    const char next = text[dollar + 1];
    if (next == '$') {
      out += '$';
      pos = dollar + 2;
      continue;
    }
    if (next != '{') {
      out += '$';
      pos = dollar + 1;
      continue;
    }
    const size_t close = text.find('}', dollar + 2);
    if (close == std::string_view::npos) {
      error = "unclosed '${' in '" + std::string(text) + "'; expected ${NAME} or ${NAME:-default}";
      return false;
    }
    const std::string_view inner = text.substr(dollar + 2, close - dollar - 2);
    const size_t sep = inner.find(":-");
    const std::string name(inner.substr(0, sep));
    if (!is_env_name(name)) {
      error = "invalid environment reference '${" + std::string(inner) +
              "}'; expected ${NAME} or ${NAME:-default}";
      return false;
    }
    const char* value = std::getenv(name.c_str());
    if (sep == std::string_view::npos) {
      if (value == nullptr) {
        error = "environment variable '" + name + "' is not set and has no default";
        return false;
      }
      out += value;
    } else if (value == nullptr || *value == '\0') {
      out += inner.substr(sep + 2);
    } else {
      out += value;
    }
    pos = close + 1;
  }
  return true;
}

}  // namespace holdfast::config

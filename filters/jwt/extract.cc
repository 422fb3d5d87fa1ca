#include "filters/jwt/extract.h"

namespace holdfast::filters::jwt {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] + 32) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// The next piece of `list` up to `sep`, removed from it.
std::string_view next_item(std::string_view& list, char sep) {
  const size_t at = list.find(sep);
  const std::string_view item = list.substr(0, at);
  list = at == std::string_view::npos ? std::string_view() : list.substr(at + 1);
  return item;
}

// "Bearer <token>", the scheme in any case.
std::string_view bearer(std::string_view value) {
  value = trim(value);
  const size_t space = value.find_first_of(" \t");
  if (space == std::string_view::npos || !iequals(value.substr(0, space), "bearer")) return {};
  return trim(value.substr(space + 1));
}

// name=value pairs split by `sep`; the value of the first pair named `name`.
std::string_view pair_value(std::string_view list, char sep, std::string_view name) {
  while (!list.empty()) {
    const std::string_view item = trim(next_item(list, sep));
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || trim(item.substr(0, eq)) != name) continue;
    std::string_view value = trim(item.substr(eq + 1));
    // A cookie value may be quoted.
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return {};
}

std::string_view protocol_entry(std::string_view list, std::string_view prefix) {
  while (!list.empty()) {
    const std::string_view entry = trim(next_item(list, ','));
    if (prefix.empty()) {
      if (looks_like_jws(entry)) return entry;
    } else if (entry.size() > prefix.size() && entry.starts_with(prefix)) {
      return entry.substr(prefix.size());
    }
  }
  return {};
}

}  // namespace

bool looks_like_jws(std::string_view text) {
  size_t dots = 0;
  size_t part = 0;  // length of the current part
  for (const char c : text) {
    if (c == '.') {
      if (part == 0 || ++dots > 2) return false;
      part = 0;
      continue;
    }
    const bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_';
    if (!b64) return false;
    ++part;
  }
  return dots == 2;
}

std::string_view token_from(const TokenSource& source, const Request& req) {
  switch (source.kind) {
    case TokenSource::Kind::Header:
      return bearer(req.authorization);
    case TokenSource::Kind::Query:
      return pair_value(req.query, '&', source.name);
    case TokenSource::Kind::Cookie:
      return pair_value(req.cookie, ';', source.name);
    case TokenSource::Kind::Protocol:
      return protocol_entry(req.protocols, source.name);
  }
  return {};
}

std::string_view find_token(const std::vector<TokenSource>& sources, const Request& req) {
  for (const TokenSource& source : sources) {
    const std::string_view token = token_from(source, req);
    if (!token.empty()) return token;
  }
  return {};
}

}  // namespace holdfast::filters::jwt

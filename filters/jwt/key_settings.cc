#include "filters/jwt/key_settings.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace holdfast::filters::jwt {
namespace {

using config::Diagnostics;
using config::Field;
using config::MapReader;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A JWKS or a secret larger than this is not one.
constexpr size_t kMaxFileBytes = 1 << 20;

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

// The whole file, or nullopt with `error` set ("No such file or directory", "too large").
std::optional<std::string> read_file(const std::string& path, std::string& error) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = errno != 0 ? std::strerror(errno) : "cannot open";
    return std::nullopt;
  }
  std::string out;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > kMaxFileBytes) {
      error = "larger than 1 MiB";
      return std::nullopt;
    }
  }
  if (in.bad()) {
    error = "read error";
    return std::nullopt;
  }
  return out;
}

// A JWKS document given inline or read from a file; `what` says which, for messages.
void parse_static_jwks(Diagnostics& diag, const Field& field, const std::string& json,
                       const std::string& what, Settings& out) {
  std::string error;
  std::vector<std::string> skipped;
  auto keys = parse_jwks(json, error, &skipped);
  if (!keys) {
    diag.error(field.value_mark,
               "invalid JWKS " + what + "for " + quoted(field.name) + ": " + error);
    return;
  }
  if (keys->keys.empty()) {
    std::string message = "the JWKS " + what + "for " + quoted(field.name) + " has no usable key";
    if (!skipped.empty()) message += " (" + skipped.front() + ")";
    diag.error(field.value_mark, std::move(message));
    return;
  }
  out.keys = std::move(keys);
}

bool valid_url(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return false;
  }
  return !rest.empty() && rest[0] != '/' && rest.find_first_of(" \t\r\n") == std::string::npos;
}

}  // namespace

void read_jwks(Diagnostics& diag, const Field& field, Settings& out) {
  if (!config::expect_map(diag, field)) return;
  MapReader map(
      diag, field, field.name,
      {"url", "file", "inline", "cache_duration", "refetch_interval", "timeout", "ca_file"});
  const Field* source = map.exactly_one({"url", "file", "inline"});
  if (source == nullptr) return;
  const auto f = field_in(map, source->name);
  if (source->name != "url") {
    for (std::string_view key : {"cache_duration", "refetch_interval", "timeout", "ca_file"}) {
      if (const Field* extra = map.find(key)) {
        diag.error(extra->key_mark, quoted(key) + " in " + field.name +
                                        " applies only to a JWKS url, not to " + source->name);
      }
    }
  }
  if (source->name == "inline") {
    if (auto json = config::read_nonempty(diag, *f)) parse_static_jwks(diag, *f, *json, "", out);
    return;
  }
  if (source->name == "file") {
    const auto path = config::read_nonempty(diag, *f);
    if (!path) return;
    std::string error;
    if (const auto json = read_file(*path, error)) {
      parse_static_jwks(diag, *f, *json, "in " + quoted(*path) + " ", out);
    } else {
      diag.error(f->value_mark, "cannot read the JWKS file " + quoted(*path) + " for " +
                                    quoted(f->name) + ": " + error);
    }
    return;
  }
  JwksUrl url;
  if (const auto text = config::read_nonempty(diag, *f)) {
    if (valid_url(*text)) {
      url.url = *text;
    } else {
      diag.error(f->value_mark, "invalid JWKS url " + quoted(*text) + " for " + quoted(f->name) +
                                    "; expected http:// or https:// and a host (e.g. "
                                    "https://id.example/.well-known/jwks.json)");
    }
  }
  if (const auto d = field_in(map, "cache_duration")) {
    if (auto v = config::read_duration(diag, *d, seconds(10), hours(24))) url.cache_duration = *v;
  }
  if (const auto d = field_in(map, "refetch_interval")) {
    if (auto v = config::read_duration(diag, *d, seconds(1), hours(1))) url.refetch_interval = *v;
  }
  // A connection waiting for a fetch is held; the proxy gives up on it after 15 s.
  if (const auto d = field_in(map, "timeout")) {
    if (auto v = config::read_duration(diag, *d, milliseconds(100), seconds(10))) url.timeout = *v;
  }
  if (const auto c = field_in(map, "ca_file")) {
    if (const auto path = config::read_nonempty(diag, *c)) {
      std::string error;
      if (read_file(*path, error)) {
        url.ca_file = *path;
      } else {
        diag.error(c->value_mark, "cannot read the CA file " + quoted(*path) + " for " +
                                      quoted(c->name) + ": " + error);
      }
    }
  }
  out.jwks_url = std::move(url);
}

void read_hmac_secret(Diagnostics& diag, const Field& field, Settings& out) {
  if (!config::expect_map(diag, field)) return;
  MapReader map(diag, field, field.name, {"env", "file"});
  const Field* source = map.exactly_one({"env", "file"});
  if (source == nullptr) return;
  const auto f = field_in(map, source->name);
  const auto name = config::read_nonempty(diag, *f);
  if (!name) return;
  std::string secret;
  if (source->name == "env") {
    const char* value = std::getenv(name->c_str());
    if (value == nullptr || *value == '\0') {
      diag.error(f->value_mark, "the environment variable " + quoted(*name) + " for " +
                                    quoted(f->name) +
                                    (value == nullptr ? " is not set" : " is empty"));
      return;
    }
    secret = value;
  } else {
    std::string error;
    auto text = read_file(*name, error);
    if (!text) {
      diag.error(f->value_mark, "cannot read the secret file " + quoted(*name) + " for " +
                                    quoted(f->name) + ": " + error);
      return;
    }
    // `echo secret > file` adds a line ending that is not part of the secret.
    if (text->ends_with("\r\n")) {
      text->resize(text->size() - 2);
    } else if (text->ends_with('\n')) {
      text->pop_back();
    }
    if (text->empty()) {
      diag.error(f->value_mark,
                 "the secret file " + quoted(*name) + " for " + quoted(f->name) + " is empty");
      return;
    }
    secret = std::move(*text);
  }
  out.keys = hmac_key_set(std::move(secret));
}

std::optional<Field> field_in(const MapReader& map, std::string_view key) {
  const Field* f = map.find(key);
  if (f == nullptr) return std::nullopt;
  Field out = *f;
  out.name = map.where() + "." + out.name;
  return out;
}

}  // namespace holdfast::filters::jwt

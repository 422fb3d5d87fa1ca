#include "config/units.h"

#include <charconv>
#include <limits>

namespace holdfast::config {
namespace {

constexpr std::string_view kAddressExpected =
    "expected host:port (e.g. 0.0.0.0:8080 or [::1]:8080)";
constexpr std::string_view kRedisExpected = "expected redis://[:password@]host[:port][/db]";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Leading digits of `text` as an unsigned number; `rest` gets what follows them.
std::optional<uint64_t> leading_number(std::string_view text, std::string_view& rest) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data() || !is_digit(text[0])) return std::nullopt;
  rest = text.substr(static_cast<size_t>(end - text.data()));
  return value;
}

std::optional<uint64_t> scaled(uint64_t value, uint64_t unit) {
  if (value > std::numeric_limits<uint64_t>::max() / unit) return std::nullopt;
  return value * unit;
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' || c == '-' ||
         c == '_';
}

bool is_v6_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

bool valid_host(std::string_view host, bool bracketed) {
  if (host.empty()) return false;
  for (char c : host) {
    if (!(bracketed ? is_v6_char(c) : is_host_char(c))) return false;
  }
  return true;
}

// Splits "host:port" or "[v6]:port". The port text is left unchecked.
bool split_host_port(std::string_view text, std::string_view& host, std::string_view& port,
                     bool& bracketed) {
  bracketed = !text.empty() && text[0] == '[';
  if (bracketed) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = text.substr(1, close - 1);
    const std::string_view after = text.substr(close + 1);
    if (after.empty() || after[0] != ':') return false;
    port = after.substr(1);
    return true;
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  return true;
}

std::optional<uint64_t> parse_port(std::string_view text) {
  std::string_view rest;
  const auto value = leading_number(text, rest);
  if (!value || !rest.empty() || text.size() > 5) return std::nullopt;
  return value;
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

}  // namespace

namespace {

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || hex_value(in[i + 1]) < 0 || hex_value(in[i + 2]) < 0) return false;
    out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
    i += 2;
  }
  return true;
}

std::optional<int64_t> parse_int(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<Duration> parse_duration(std::string_view text) {
  std::string_view unit;
  const auto value = leading_number(text, unit);
  if (!value) return std::nullopt;
  std::optional<uint64_t> ms;
  if (unit.empty() && *value == 0) {
    ms = 0;
  } else if (unit == "ms") {
    ms = value;
  } else if (unit == "s") {
    ms = scaled(*value, 1000);
  } else if (unit == "m") {
    ms = scaled(*value, 60 * 1000);
  } else if (unit == "h") {
    ms = scaled(*value, 60 * 60 * 1000);
  }
  if (!ms || *ms > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return Duration(static_cast<int64_t>(*ms));
}

std::optional<uint64_t> parse_size(std::string_view text) {
  std::string_view unit;
  const auto value = leading_number(text, unit);
  if (!value) return std::nullopt;
  if (unit.empty()) return value;
  if (unit == "KiB") return scaled(*value, uint64_t{1} << 10);
  if (unit == "MiB") return scaled(*value, uint64_t{1} << 20);
  if (unit == "GiB") return scaled(*value, uint64_t{1} << 30);
  return std::nullopt;
}

std::string format_duration(Duration d) {
  const int64_t ms = d.count();
  if (ms == 0) return "0";
  if (ms % (60 * 60 * 1000) == 0) return std::to_string(ms / (60 * 60 * 1000)) + "h";
  if (ms % (60 * 1000) == 0) return std::to_string(ms / (60 * 1000)) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<HostPort> parse_host_port(std::string_view text, std::string_view key,
                                        std::string& error) {
  const std::string invalid = "invalid address " + quoted(text) + " for " + quoted(key) + "; ";
  std::string_view host;
  std::string_view port_text;
  bool bracketed = false;
  if (!split_host_port(text, host, port_text, bracketed)) {
    error = invalid + std::string(kAddressExpected);
    return std::nullopt;
  }
  if (!bracketed && host.find(':') != std::string_view::npos) {
    error = invalid + "write an IPv6 address in brackets (e.g. [::1]:8080)";
    return std::nullopt;
  }
  if (!valid_host(host, bracketed)) {
    error = invalid + std::string(kAddressExpected);
    return std::nullopt;
  }
  const auto port = parse_port(port_text);
  if (!port || *port > 65535) {
    error = "invalid port " + quoted(port_text) + " in address " + quoted(text) +
            "; expected 0 to 65535";
    return std::nullopt;
  }
  return HostPort{std::string(host), static_cast<uint16_t>(*port)};
}

bool parse_redis_url(std::string_view text, RedisBus& bus, std::string& error) {
  if (text.starts_with("rediss://")) {
    error = "rediss:// is not supported; " + std::string(kRedisExpected);
    return false;
  }
  // The URL is echoed without its password, which must not end up in logs.
  std::string shown(text);
  const size_t at = shown.rfind('@');
  if (at != std::string::npos && shown.starts_with("redis://:")) {
    shown.replace(9, at - 9, "***");
  }
  const std::string invalid = "invalid Redis URL " + quoted(shown) + " for 'url'; ";
  if (!text.starts_with("redis://")) {
    error = invalid + std::string(kRedisExpected);
    return false;
  }
  std::string_view rest = text.substr(8);
  if (const size_t userinfo = rest.rfind('@'); userinfo != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, userinfo);
    if (credentials.empty() || credentials[0] != ':') {
      error = invalid + "a user name is not supported; " + std::string(kRedisExpected);
      return false;
    }
    if (!percent_decode(credentials.substr(1), bus.password)) {
      error = invalid + "the password has a malformed %-escape";
      return false;
    }
    rest = rest.substr(userinfo + 1);
  }
  std::string_view db_text;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    db_text = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest;
  std::string_view port_text = "6379";
  bool bracketed = !rest.empty() && rest[0] == '[';
  const bool has_port = bracketed ? rest.find("]:") != std::string_view::npos
                                  : rest.find(':') != std::string_view::npos;
  if (has_port) {
    split_host_port(rest, host, port_text, bracketed);
  } else if (bracketed && rest.back() == ']') {
    host = rest.substr(1, rest.size() - 2);
  }
  if (!valid_host(host, bracketed)) {
    error = invalid + std::string(kRedisExpected);
    return false;
  }
  const auto port = parse_port(port_text);
  if (!port || *port == 0 || *port > 65535) {
    error = invalid + "the port must be between 1 and 65535";
    return false;
  }
  std::string_view db_rest;
  const auto db = db_text.empty() ? std::optional<uint64_t>(0) : leading_number(db_text, db_rest);
  if (!db || !db_rest.empty() || *db > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
    error = invalid + "the database must be a number (e.g. redis://127.0.0.1:6379/0)";
    return false;
  }
  bus.host = std::string(host);
  bus.port = static_cast<uint16_t>(*port);
  bus.db = static_cast<int>(*db);
  return true;
}

}  // namespace holdfast::config

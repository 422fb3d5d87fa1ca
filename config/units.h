// Parsing of the value formats the schema uses: integers, durations, sizes, addresses, URLs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace holdfast::config {

// Decimal integer, optionally signed; nothing else around it.
// Decodes %XX escapes into `out`; false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out);

std::optional<int64_t> parse_int(std::string_view text);

// "0", or a whole number with ms, s, m or h: "500ms", "30s", "5m", "1h".
std::optional<Duration> parse_duration(std::string_view text);

// A byte count, or a whole number with KiB, MiB or GiB: "1048576", "64KiB".
std::optional<uint64_t> parse_size(std::string_view text);

// The largest unit that states `d` exactly: 100ms, 30s, 10m, 1h; 0 is "0".
std::string format_duration(Duration d);

struct HostPort {
  std::string host;  // IPv6 without its brackets
  uint16_t port = 0;
};

// "host:port", "[v6]:port". On failure sets `error` to the whole message about `text`, which
// stood for the key `key`.
std::optional<HostPort> parse_host_port(std::string_view text, std::string_view key,
                                        std::string& error);

// "redis://[:password@]host[:port][/db]" into host, port, db and password of `bus`.
bool parse_redis_url(std::string_view text, RedisBus& bus, std::string& error);

}  // namespace holdfast::config

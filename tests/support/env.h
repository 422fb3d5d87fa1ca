// Where the tests find the buses. The test script starts both and exports these variables; the
// defaults match a local development setup.
#pragma once

#include <cstdlib>
#include <string>

namespace holdfast::test {

inline std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : std::string(fallback);
}

inline std::string kafka_brokers() {
  return env_or("KAFKA_BROKERS", "127.0.0.1:9092");
}

inline std::string redis_url() {
  return env_or("REDIS_URL", "redis://127.0.0.1:6379");
}

struct HostPort {
  std::string host;
  int port = 0;
};

// redis://[:password@]host[:port][/db] -> host and port (6379 when absent). Tests use no password.
inline HostPort parse_redis_url(const std::string& url) {
  std::string rest = url;
  if (const auto scheme = rest.find("://"); scheme != std::string::npos) rest.erase(0, scheme + 3);
  if (const auto at = rest.rfind('@'); at != std::string::npos) rest.erase(0, at + 1);
  if (const auto slash = rest.find('/'); slash != std::string::npos) rest.erase(slash);
  HostPort hp{rest, 6379};
  if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    hp.host = rest.substr(0, colon);
    hp.port = std::atoi(rest.c_str() + colon + 1);
  }
  if (hp.host.empty()) hp.host = "127.0.0.1";
  return hp;
}

inline HostPort redis_address() {
  return parse_redis_url(redis_url());
}

}  // namespace holdfast::test

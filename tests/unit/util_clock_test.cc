#include <catch2/catch.hpp>

#include <ctime>
#include <random>
#include <string>

#include "proxy/util/clock.h"

using holdfast::util::append_rfc3339_utc;
using std::chrono::milliseconds;
using std::chrono::system_clock;

namespace {

std::string at_ms(int64_t ms) {
  std::string out;
  append_rfc3339_utc(out, system_clock::time_point(milliseconds(ms)));
  return out;
}

}  // namespace

TEST_CASE("clock: RFC 3339 UTC with milliseconds") {
  CHECK(at_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(at_ms(1795462574123) == "2026-11-23T19:36:14.123Z");
  CHECK(at_ms(951782400000) == "2000-02-29T00:00:00.000Z");
  CHECK(at_ms(1709164800999) == "2024-02-29T00:00:00.999Z");
  CHECK(at_ms(1234567890000) == "2009-02-13T23:31:30.000Z");
  CHECK(at_ms(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("clock: sub-millisecond time is cut, not rounded") {
  std::string out;
  const auto t =
      system_clock::time_point(milliseconds(1795462574123)) + std::chrono::microseconds(999);
  append_rfc3339_utc(out, t);
  CHECK(out == "2026-11-23T19:36:14.123Z");
}

TEST_CASE("clock: the cached second is refreshed when the second changes") {
  CHECK(at_ms(1795462574001) == "2026-11-23T19:36:14.001Z");
  CHECK(at_ms(1795462574999) == "2026-11-23T19:36:14.999Z");
  CHECK(at_ms(1795462575000) == "2026-11-23T19:36:15.000Z");
  CHECK(at_ms(1795462574500) == "2026-11-23T19:36:14.500Z");  // going back works too
  std::string out = "t=";
  append_rfc3339_utc(out, system_clock::time_point(milliseconds(0)));
  CHECK(out == "t=1970-01-01T00:00:00.000Z");
}

TEST_CASE("clock: agrees with gmtime") {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 5000; ++i) {
    const int64_t ms = static_cast<int64_t>(rng() % 8000000000000ull);  // up to the 2220s
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    REQUIRE(gmtime_r(&secs, &tm) != nullptr);
    char want[96];
    std::snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    REQUIRE(at_ms(ms) == want);
  }
}

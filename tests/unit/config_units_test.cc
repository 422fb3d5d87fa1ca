// The value formats: durations, sizes, addresses, Redis URLs and environment expansion.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "config/env.h"
#include "config/units.h"

using namespace holdfast::config;
using namespace std::chrono_literals;

TEST_CASE("config units: durations") {
  CHECK(parse_duration("0") == Duration(0));
  CHECK(parse_duration("0s") == Duration(0));
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("30s") == 30s);
  CHECK(parse_duration("5m") == 5min);
  CHECK(parse_duration("2h") == 2h);
  CHECK_FALSE(parse_duration("30"));
  CHECK_FALSE(parse_duration("1.5s"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("5 s"));
  CHECK_FALSE(parse_duration("s"));
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("99999999999999999999h"));
  CHECK_FALSE(parse_duration("9999999999999999h"));
  CHECK(format_duration(Duration(0)) == "0");
  CHECK(format_duration(100ms) == "100ms");
  CHECK(format_duration(1500ms) == "1500ms");
  CHECK(format_duration(30s) == "30s");
  CHECK(format_duration(10min) == "10m");
  CHECK(format_duration(24h) == "24h");
}

TEST_CASE("config units: sizes") {
  CHECK(parse_size("0") == 0u);
  CHECK(parse_size("1048576") == 1048576u);
  CHECK(parse_size("64KiB") == 64u * 1024);
  CHECK(parse_size("4MiB") == 4u * 1024 * 1024);
  CHECK(parse_size("1GiB") == uint64_t{1} << 30);
  CHECK_FALSE(parse_size("1KB"));
  CHECK_FALSE(parse_size("1kib"));
  CHECK_FALSE(parse_size("1.5MiB"));
  CHECK_FALSE(parse_size("-1"));
  CHECK_FALSE(parse_size("99999999999999GiB"));
}

TEST_CASE("config units: host:port") {
  std::string error;
  auto a = parse_host_port("0.0.0.0:8080", "address", error);
  REQUIRE(a);
  CHECK(a->host == "0.0.0.0");
  CHECK(a->port == 8080);
  a = parse_host_port("[::1]:0", "address", error);
  REQUIRE(a);
  CHECK(a->host == "::1");
  CHECK(a->port == 0);
  a = parse_host_port("edge.internal:65535", "address", error);
  REQUIRE(a);
  CHECK(a->host == "edge.internal");

  CHECK_FALSE(parse_host_port(":8080", "address", error));
  CHECK(error ==
        "invalid address ':8080' for 'address'; expected host:port (e.g. 0.0.0.0:8080 or "
        "[::1]:8080)");
  CHECK_FALSE(parse_host_port("[::1]", "address", error));
  CHECK_FALSE(parse_host_port("[::1:80", "address", error));
  CHECK_FALSE(parse_host_port("host:", "address", error));
  CHECK(error == "invalid port '' in address 'host:'; expected 0 to 65535");
  CHECK_FALSE(parse_host_port("host:-1", "address", error));
  CHECK_FALSE(parse_host_port("host:http", "address", error));
  CHECK(error == "invalid port 'http' in address 'host:http'; expected 0 to 65535");
}

TEST_CASE("config units: redis urls") {
  std::string error;
  RedisBus bus;
  REQUIRE(parse_redis_url("redis://:p%40ss@cache.internal:6380/3", bus, error));
  CHECK(bus.host == "cache.internal");
  CHECK(bus.port == 6380);
  CHECK(bus.db == 3);
  CHECK(bus.password == "p@ss");

  RedisBus plain;
  REQUIRE(parse_redis_url("redis://10.0.0.5", plain, error));
  CHECK(plain.host == "10.0.0.5");
  CHECK(plain.port == 6379);
  CHECK(plain.db == 0);
  CHECK(plain.password.empty());

  RedisBus v6;
  REQUIRE(parse_redis_url("redis://[::1]:7000/", v6, error));
  CHECK(v6.host == "::1");
  CHECK(v6.port == 7000);

  CHECK_FALSE(parse_redis_url("redis://admin:secret@cache", bus, error));
  CHECK(error ==
        "invalid Redis URL 'redis://admin:secret@cache' for 'url'; a user name is not "
        "supported; expected redis://[:password@]host[:port][/db]");
  CHECK_FALSE(parse_redis_url("redis://:secret@cache/zero", bus, error));
  CHECK(error ==
        "invalid Redis URL 'redis://:***@cache/zero' for 'url'; the database must be a number "
        "(e.g. redis://127.0.0.1:6379/0)");
  CHECK_FALSE(parse_redis_url("redis://", bus, error));
  CHECK_FALSE(parse_redis_url("rediss://cache", bus, error));
  CHECK(error == "rediss:// is not supported; expected redis://[:password@]host[:port][/db]");
}

TEST_CASE("config env: expansion forms") {
  setenv("HOLDFAST_TEST_A", "alpha", 1);
  setenv("HOLDFAST_TEST_EMPTY", "", 1);
  unsetenv("HOLDFAST_TEST_UNSET");
  std::string out;
  std::string error;
  auto expand = [&](std::string_view text) {
    error.clear();
    return expand_env(text, out, error) ? out : "error: " + error;
  };
  CHECK(expand("plain") == "plain");
  CHECK(expand("${HOLDFAST_TEST_A}") == "alpha");
  CHECK(expand("x-${HOLDFAST_TEST_A}-${HOLDFAST_TEST_A}") == "x-alpha-alpha");
  CHECK(expand("${HOLDFAST_TEST_A:-d}") == "alpha");
  CHECK(expand("${HOLDFAST_TEST_UNSET:-d}") == "d");
  CHECK(expand("${HOLDFAST_TEST_EMPTY:-d}") == "d");
  CHECK(expand("${HOLDFAST_TEST_EMPTY}") == "");
  CHECK(expand("${HOLDFAST_TEST_UNSET:-}") == "");
  CHECK(expand("${HOLDFAST_TEST_UNSET:-a:b}") == "a:b");
  CHECK(expand("$$HOME $$$$ $HOME $") == "$HOME $$ $HOME $");
  CHECK(expand("$${HOLDFAST_TEST_A}") == "${HOLDFAST_TEST_A}");
  CHECK(expand("${HOLDFAST_TEST_UNSET}") ==
        "error: environment variable 'HOLDFAST_TEST_UNSET' is not set and has no default");
  CHECK(expand("${HOLDFAST_TEST_A-x}") ==
        "error: invalid environment reference '${HOLDFAST_TEST_A-x}'; expected ${NAME} or "
        "${NAME:-default}");
  CHECK(expand("${}") ==
        "error: invalid environment reference '${}'; expected ${NAME} or ${NAME:-default}");
  CHECK(expand("a${B") == "error: unclosed '${' in 'a${B'; expected ${NAME} or ${NAME:-default}");
  unsetenv("HOLDFAST_TEST_A");
  unsetenv("HOLDFAST_TEST_EMPTY");
}

#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "proxy/util/ids.h"

using holdfast::util::boot_id;
using holdfast::util::IdGenerator;
using holdfast::util::parse_connection_id;

namespace {

bool id_chars(std::string_view s) {
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("ids: the boot id is twelve base32 characters, fixed for the process") {
  const std::string_view boot = boot_id();
  REQUIRE(boot.size() == 12);
  for (char c : boot)
    CHECK(((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')));
  CHECK(boot_id() == boot);
  CHECK(boot_id().data() == boot.data());
}

TEST_CASE("ids: connection ids are <boot>-<worker>-<seq>") {
  IdGenerator gen(3);
  const std::string prefix = std::string(boot_id()) + "-3-";
  CHECK(gen.next().view() == prefix + "a");
  CHECK(gen.next().view() == prefix + "b");
  for (int i = 2; i < 31; ++i)
    gen.next();
  CHECK(gen.next().view() == prefix + "7");   // 31
  CHECK(gen.next().view() == prefix + "ba");  // 32
}

TEST_CASE("ids: ids are unique and use only [a-z0-9-]") {
  std::set<std::string> seen;
  for (unsigned worker : {0u, 1u, 12u}) {
    IdGenerator gen(worker);
    for (int i = 0; i < 5000; ++i) {
      const std::string id(gen.next().view());
      REQUIRE(id_chars(id));
      REQUIRE(seen.insert(id).second);
    }
  }
}

TEST_CASE("ids: a generated id parses back to its boot id and worker") {
  for (unsigned worker : {0u, 7u, 4294967295u}) {
    IdGenerator gen(worker);
    for (int i = 0; i < 100; ++i) {
      const std::string id(gen.next().view());
      std::string_view boot;
      unsigned w = 99;
      REQUIRE(parse_connection_id(id, boot, w));
      CHECK(boot == boot_id());
      CHECK(w == worker);
    }
  }
  std::string_view boot;
  unsigned w = 0;
  CHECK(parse_connection_id("abcdefgh2345-0-a", boot, w));
  CHECK(boot == "abcdefgh2345");
  CHECK(w == 0);
  CHECK(parse_connection_id("abcdefgh2345-12-p777777777777", boot, w));  // 2^64 - 1
  CHECK(w == 12);
  // The longest id there can be fits the inline ConnectionId.
  const std::string_view longest = "abcdefgh2345-4294967295-p777777777777";
  CHECK(parse_connection_id(longest, boot, w));
  CHECK(longest.size() == holdfast::util::ConnectionId::kMaxSize);
}

TEST_CASE("ids: malformed connection ids are rejected") {
  std::string_view boot = "untouched";
  unsigned w = 42;
  for (const char* id : {
           "",
           "abcdefgh2345",
           "abcdefgh2345-",
           "abcdefgh2345-1",
           "abcdefgh2345-1-",
           "abcdefgh2345--a",
           "abcdefgh234-1-a",    // boot too short
           "abcdefgh23456-1-a",  // too long
           "ABCDEFGH2345-1-a",   // uppercase
           "abcdefgh2341-1-a",   // '1' is not base32
           "abcdefgh2345-01-a",  // non-canonical worker
           "abcdefgh2345-+1-a",
           "abcdefgh2345--1-a",
           "abcdefgh2345-4294967296-a",  // past unsigned
           "abcdefgh2345-x-a",
           "abcdefgh2345-1-aa",  // leading zero digit
           "abcdefgh2345-1-b8",  // '8' is not base32
           "abcdefgh2345-1-B",
           "abcdefgh2345-1-b-1",  // an event id, not a connection id
           "abcdefgh2345-1-b-connect",
           "abcdefgh2345-1-q777777777777",   // past 64 bits
           "abcdefgh2345-1-bbbbbbbbbbbbbb",  // fourteen digits
           "abcdefgh2345_1_a",
           " abcdefgh2345-1-a",
       }) {
    INFO(id);
    CHECK_FALSE(parse_connection_id(id, boot, w));
  }
  CHECK(boot == "untouched");
  CHECK(w == 42);
}

// The sequence checker used by the loss tests must reject every kind of loss it claims to catch.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.h"

namespace holdfast::test::e2e {
namespace {

std::string check(const std::vector<int>& got, int count) {
  size_t duplicates = 0;
  return check_in_order_at_least_once(got, count, duplicates);
}

}  // namespace

TEST_CASE("the in-order, at-least-once check accepts re-sends and rejects loss", "[support]") {
  size_t duplicates = 0;
  CHECK(check_in_order_at_least_once({0, 1, 2, 3}, 4, duplicates).empty());
  CHECK(duplicates == 0);
  CHECK(check_in_order_at_least_once({0, 1, 2, 1, 2, 3}, 4, duplicates).empty());
  CHECK(duplicates == 2);
  CHECK(check({0, 0, 1, 1, 2}, 3).empty());        // adjacent repeats
  CHECK(check({0, 1, 2, 0, 1, 2, 3}, 4).empty());  // a whole tail written again
  CHECK(check({0, 1, 2, 1, 2, 1, 2, 3}, 4).empty());

  CHECK(!check({0, 2, 3}, 4).empty());         // a gap
  CHECK(!check({0, 1, 2}, 4).empty());         // the end is missing
  CHECK(!check({1, 2, 3}, 4).empty());         // the start is missing
  CHECK(!check({0, 2, 1, 3}, 4).empty());      // reordered
  CHECK(!check({0, 1, 2, 3, 1}, 4).empty());   // a stray old number at the end
  CHECK(!check({0, 1, 2, 1, 3}, 4).empty());   // a re-sent run cut short
  CHECK(!check({0, 1, -1, 2, 3}, 4).empty());  // not a sequence number
  CHECK(!check({}, 1).empty());
}

TEST_CASE("sequence payloads round-trip", "[support]") {
  CHECK(seq_number(seq_payload(0)) == 0);
  CHECK(seq_number(seq_payload(1999)) == 1999);
  CHECK(seq_number("seq-12") == -1);
  CHECK(seq_number("seq-00000x1") == -1);
  CHECK(is_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(is_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  CHECK_FALSE(is_recent_rfc3339_utc("2001-01-01T00:00:00Z"));
}

}  // namespace holdfast::test::e2e

#include <catch2/catch.hpp>

#include <cstring>
#include <set>
#include <string>

#include "proxy/util/trace.h"

using holdfast::util::append_traceparent;
using holdfast::util::new_trace;
using holdfast::util::parse_traceparent;
using holdfast::util::random_span_id;
using holdfast::util::TraceContext;

namespace {

std::string traceparent(const TraceContext& t) {
  std::string out;
  append_traceparent(out, t, t.parent_id);
  return out;
}

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("trace: parses the spec's examples") {
  TraceContext t{};
  REQUIRE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", t));
  const uint8_t trace_id[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                                0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
  const uint8_t parent_id[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
  CHECK(std::memcmp(t.trace_id, trace_id, 16) == 0);
  CHECK(std::memcmp(t.parent_id, parent_id, 8) == 0);
  CHECK(t.flags == 0x01);
  CHECK(traceparent(t) == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

  REQUIRE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", t));
  CHECK(t.flags == 0x00);
}

TEST_CASE("trace: rejects malformed traceparent values") {
  TraceContext t{};
  t.flags = 0x77;
  for (const char* bad : {
           "",
           "00",
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",  // uppercase
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero parent id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // forbidden version
           "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",    // short trace id
           "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01",  // long trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // v00 has nothing more
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what",
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
           " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // later version, no dash
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
       }) {
    INFO(bad);
    CHECK_FALSE(parse_traceparent(bad, t));
  }
  CHECK(t.flags == 0x77);  // untouched
}

TEST_CASE("trace: later versions are read by the version 00 layout") {
  TraceContext t{};
  REQUIRE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", t));
  CHECK(traceparent(t) == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-extra", t));
  CHECK(t.flags == 0x01);  // only the sampled flag is known
  REQUIRE(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-08", t));
  CHECK(t.flags == 0x00);
}

TEST_CASE("trace: new traces are random, sampled and round-trip") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const TraceContext t = new_trace();
    CHECK(t.flags == 0x01);
    CHECK_FALSE(all_zero(t.trace_id, 16));
    CHECK_FALSE(all_zero(t.parent_id, 8));
    const std::string text = traceparent(t);
    REQUIRE(seen.insert(text).second);
    TraceContext back{};
    REQUIRE(parse_traceparent(text, back));
    CHECK(std::memcmp(back.trace_id, t.trace_id, 16) == 0);
  }
}

TEST_CASE("trace: a span continues the trace under a new parent id") {
  TraceContext t{};
  REQUIRE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", t));
  uint8_t span[8];
  random_span_id(span);
  CHECK_FALSE(all_zero(span, 8));
  std::string out = "tp=";
  append_traceparent(out, t, span);
  REQUIRE(out.size() == 3 + 55);
  CHECK(out.substr(0, 39) == "tp=00-0af7651916cd43dd8448eb211c80319c-");
  CHECK(out.substr(55) == "-01");
  CHECK(out.substr(39, 16) != "b7ad6b7169203331");
  std::set<std::string> spans;
  for (int i = 0; i < 1000; ++i) {
    random_span_id(span);
    spans.emplace(reinterpret_cast<const char*>(span), 8);
  }
  CHECK(spans.size() == 1000);
}

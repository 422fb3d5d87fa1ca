#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "proxy/contract.h"
#include "proxy/util/json.h"

namespace contract = holdfast::contract;
using contract::Attribute;
using contract::ControlKind;
using contract::Event;
using contract::Target;
using Pairs = std::vector<std::pair<std::string, std::string>>;

namespace {

struct Fixture {
  Pairs metadata = {{"room", "lobby"}, {"tenant", "acme"}};
  Event ev;

  Fixture() {
    ev.type = contract::kTypeMessage;
    ev.id = "abcdefgh2345-0-b-1";
    ev.source = "/holdfast/local/rooms";
    ev.time = "2026-11-23T19:36:14.123Z";
    ev.content_type = contract::kTextPlain;
    ev.connection_id = "abcdefgh2345-0-b";
    ev.auth_id = "user-7";
    ev.reply_to = "rooms.replies";
    ev.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    ev.metadata = &metadata;
    ev.data = "hello";
  }
};

struct Collected {
  std::vector<std::string> kafka, field, value;
};

Collected collect(const Event& ev, std::string& scratch) {
  Collected c;
  contract::for_each_attribute(ev, scratch, [&](const Attribute& a) {
    c.kafka.emplace_back(a.kafka_name);
    c.field.emplace_back(a.field_name);
    c.value.emplace_back(a.value);
  });
  return c;
}

std::string structured(const Event& ev) {
  std::string out;
  contract::append_structured_json(ev, out);
  CHECK(holdfast::util::valid_json(out));
  return out;
}

using Names = std::vector<std::string>;
using K = Target::Kind;
using KindName = std::pair<K, std::string_view>;

KindName kind_name(const Target& t) {
  return {t.kind, t.name};
}

}  // namespace

TEST_CASE("contract: message attributes carry the contract's header and field names") {
  Fixture f;
  std::string scratch;
  const Collected c = collect(f.ev, scratch);
  CHECK(c.kafka == Names{"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time",
                         "content-type", "ce_connectionid", "ce_authid", "kafka_replyTopic",
                         "kafka_correlationId", "traceparent", "ce_room", "ce_tenant"});
  CHECK(c.field == Names{"specversion", "id", "source", "type", "time", "datacontenttype",
                         "connectionid", "authid", "replyto", "correlationid", "traceparent",
                         "room", "tenant"});
  CHECK(c.value ==
        Names{"1.0", "abcdefgh2345-0-b-1", "/holdfast/local/rooms", "io.holdfast.message",
              "2026-11-23T19:36:14.123Z", "text/plain; charset=utf-8", "abcdefgh2345-0-b", "user-7",
              "rooms.replies", "abcdefgh2345-0-b",
              "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "lobby", "acme"});
  // The reply side reads these very names back.
  CHECK(c.kafka[5] == contract::kHeaderContentType);
  CHECK(c.kafka[9] == contract::kHeaderCorrelation);
}

TEST_CASE("contract: connect event has no content type, data or close code") {
  Fixture f;
  f.ev.type = contract::kTypeConnect;
  f.ev.id = "abcdefgh2345-0-b-connect";
  f.ev.content_type = {};
  f.ev.data = {};
  f.ev.auth_id = {};
  f.ev.reply_to = {};
  std::string scratch;
  const Collected c = collect(f.ev, scratch);
  CHECK(c.kafka == Names{"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time",
                         "ce_connectionid", "kafka_correlationId", "traceparent", "ce_room",
                         "ce_tenant"});
  CHECK(c.value[3] == "io.holdfast.connect");
  CHECK(structured(f.ev) ==
        R"({"specversion":"1.0","id":"abcdefgh2345-0-b-connect","source":"/holdfast/local/rooms",)"
        R"("type":"io.holdfast.connect","time":"2026-11-23T19:36:14.123Z",)"
        R"("connectionid":"abcdefgh2345-0-b","correlationid":"abcdefgh2345-0-b",)"
        R"("traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",)"
        R"("room":"lobby","tenant":"acme"})");
}

TEST_CASE("contract: disconnect event carries close code") {
  Fixture f;
  f.ev.type = contract::kTypeDisconnect;
  f.ev.content_type = {};
  f.ev.data = {};
  f.ev.close_code = 4001;
  f.ev.close_reason = "kicked";
  std::string scratch;
  const Collected c = collect(f.ev, scratch);
  REQUIRE(c.kafka.size() == 14);
  CHECK(Names(c.kafka.begin() + 12, c.kafka.end()) == Names{"ce_closecode", "ce_closereason"});
  CHECK(Names(c.field.begin() + 12, c.field.end()) == Names{"closecode", "closereason"});
  CHECK(Names(c.value.begin() + 12, c.value.end()) == Names{"4001", "kicked"});
  const std::string json = structured(f.ev);
  CHECK(json.find(R"("tenant":"acme","closecode":4001,"closereason":"kicked"})") !=
        std::string::npos);
  CHECK(json.find("\"data") == std::string::npos);

  f.ev.close_reason = {};  // the reason is always there when the code is
  const Collected empty_reason = collect(f.ev, scratch);
  CHECK(empty_reason.kafka.back() == "ce_closereason");
  CHECK(empty_reason.value.back().empty());
}

TEST_CASE("contract: optional attributes are left out when empty") {
  Fixture f;
  Pairs metadata = {{"room", ""}, {"tenant", "acme"}};
  f.ev.metadata = &metadata;
  f.ev.auth_id = {};
  f.ev.reply_to = {};
  f.ev.traceparent = {};
  std::string scratch;
  Collected c = collect(f.ev, scratch);
  CHECK(c.kafka == Names{"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time",
                         "content-type", "ce_connectionid", "kafka_correlationId", "ce_tenant"});
  f.ev.metadata = nullptr;
  c = collect(f.ev, scratch);
  CHECK(c.kafka.back() == "kafka_correlationId");
}

TEST_CASE("contract: metadata names are built in scratch without moving it") {
  Fixture f;
  Pairs metadata;
  for (int i = 0; i < 40; ++i)
    metadata.emplace_back("name" + std::to_string(i), "v");
  f.ev.metadata = &metadata;
  f.ev.close_code = 1000;
  std::string scratch;
  std::vector<std::string_view> views;
  contract::for_each_attribute(f.ev, scratch, [&](const Attribute& a) {
    views.push_back(a.kafka_name);
    views.push_back(a.field_name);
  });
  // Every view is still intact after the last call: nothing reallocated in between.
  REQUIRE(views.size() == 2 * (11 + 40 + 2));
  for (int i = 0; i < 40; ++i) {
    CHECK(views[2 * (11 + i)] == "ce_name" + std::to_string(i));
    CHECK(views[2 * (11 + i) + 1] == "name" + std::to_string(i));
  }
  CHECK(views[2 * 51] == "ce_closecode");
  const size_t capacity = scratch.capacity();
  const char* data = scratch.data();
  collect(f.ev, scratch);
  CHECK(scratch.capacity() == capacity);
  CHECK(scratch.data() == data);
}

TEST_CASE("contract: structured JSON for a text message") {
  Fixture f;
  f.ev.data = "say \"hi\"\n";
  CHECK(structured(f.ev) ==
        R"({"specversion":"1.0","id":"abcdefgh2345-0-b-1","source":"/holdfast/local/rooms",)"
        R"("type":"io.holdfast.message","time":"2026-11-23T19:36:14.123Z",)"
        R"("datacontenttype":"text/plain; charset=utf-8","connectionid":"abcdefgh2345-0-b",)"
        R"("authid":"user-7","replyto":"rooms.replies","correlationid":"abcdefgh2345-0-b",)"
        R"("traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",)"
        R"("room":"lobby","tenant":"acme","data":"say \"hi\"\n"})");
}

TEST_CASE("contract: structured JSON embeds JSON data under a JSON content type") {
  Fixture f;
  f.ev.data = R"({"n": [1, 2]})";
  for (const char* ct : {"application/json", "Application/JSON; charset=utf-8",
                         "application/cloudevents+json", " application/vnd.api+JSON ;x=1"}) {
    f.ev.content_type = ct;
    INFO(ct);
    CHECK(structured(f.ev).find(R"(,"data":{"n": [1, 2]}})") != std::string::npos);
  }
  for (const char* ct : {"text/plain", "text/json", "application/jsonx", "+json", ""}) {
    f.ev.content_type = ct;
    INFO(ct);
    CHECK(structured(f.ev).find(R"(,"data":"{\"n\": [1, 2]}"})") != std::string::npos);
  }
  f.ev.content_type = "application/json";
  f.ev.data = "{not json";
  CHECK(structured(f.ev).find(R"(,"data":"{not json"})") != std::string::npos);
  f.ev.data = "";
  CHECK(structured(f.ev).find(R"(,"data":""})") != std::string::npos);
}

TEST_CASE("contract: structured JSON carries binary data as base64") {
  Fixture f;
  f.ev.binary = true;
  f.ev.content_type = contract::kOctetStream;
  f.ev.data = std::string_view("\0\xff\x66oo", 5);  // 00 ff "foo"
  const std::string json = structured(f.ev);
  CHECK(json.find(R"("datacontenttype":"application/octet-stream")") != std::string::npos);
  CHECK(json.find(R"(,"data_base64":"AP9mb28="})") != std::string::npos);
  CHECK(json.find("\"data\"") == std::string::npos);
}

TEST_CASE("contract: structured JSON stays valid for hostile attribute values") {
  Fixture f;
  Pairs metadata = {{"room", "a\"b\\c\x01\xff"}};
  f.ev.metadata = &metadata;
  f.ev.auth_id = "\"}";
  f.ev.data = "\xc3";
  const std::string json = structured(f.ev);
  CHECK(json.find(R"("room":"a\"b\\c\u0001\ufffd")") != std::string::npos);
  CHECK(json.find(R"("data":"\ufffd"})") != std::string::npos);
}

TEST_CASE("contract: which replies become text frames") {
  using contract::reply_is_text;
  CHECK(reply_is_text("text/plain", "\xff"));
  CHECK(reply_is_text("TEXT/HTML; charset=utf-8", "x"));
  CHECK(reply_is_text("application/json", "{}"));
  CHECK(reply_is_text("application/JSON;charset=utf-8", "{}"));
  CHECK(reply_is_text("application/cloudevents+json", "{}"));
  CHECK_FALSE(reply_is_text("application/octet-stream", "hello"));
  CHECK_FALSE(reply_is_text("application/x-protobuf", "hello"));
  CHECK_FALSE(reply_is_text("image/png", "hello"));
  CHECK_FALSE(reply_is_text("texty/plain", "hello"));
  CHECK(reply_is_text("", "hello \xc3\xa9"));
  CHECK(reply_is_text("", ""));
  CHECK_FALSE(reply_is_text("", "\xc3"));
  CHECK_FALSE(reply_is_text("", "\xed\xa0\x80"));
}

TEST_CASE("contract: targets") {
  using contract::parse_target;
  CHECK(kind_name(parse_target("connection:abcdefgh2345-0-b")) ==
        KindName{K::Connection, "abcdefgh2345-0-b"});
  CHECK(kind_name(parse_target("user:alice")) == KindName{K::User, "alice"});
  CHECK(kind_name(parse_target("channel:room:lobby")) == KindName{K::Channel, "room:lobby"});
  CHECK(kind_name(parse_target("broadcast")) == KindName{K::Broadcast, ""});
  for (const char* bad : {"", "connection:", "user:", "channel:", "conn:abc", "Broadcast",
                          "broadcast:", " broadcast", "connection", "users:a", "group:a"}) {
    INFO(bad);
    CHECK(parse_target(bad).kind == K::Invalid);
  }
}

TEST_CASE("contract: redis reply channels") {
  using contract::parse_redis_channel;
  CHECK(kind_name(parse_redis_channel("conn:abcdefgh2345-0-b")) ==
        KindName{K::Connection, "abcdefgh2345-0-b"});
  CHECK(kind_name(parse_redis_channel("user:alice")) == KindName{K::User, "alice"});
  CHECK(kind_name(parse_redis_channel("channel:room:lobby")) == KindName{K::Channel, "room:lobby"});
  CHECK(kind_name(parse_redis_channel("broadcast")) == KindName{K::Broadcast, ""});
  for (const char* bad : {"", "conn:", "connection:abc", "control", "user:", "broadcastx"}) {
    INFO(bad);
    CHECK(parse_redis_channel(bad).kind == K::Invalid);
  }
}

TEST_CASE("contract: control header values") {
  using contract::parse_control;
  CHECK(parse_control("") == ControlKind::None);
  CHECK(parse_control("close") == ControlKind::Close);
  CHECK(parse_control("subscribe") == ControlKind::Subscribe);
  CHECK(parse_control("unsubscribe") == ControlKind::Unsubscribe);
  CHECK(parse_control("Close") == ControlKind::Invalid);
  CHECK(parse_control("close ") == ControlKind::Invalid);
  CHECK(parse_control("kick") == ControlKind::Invalid);
}

namespace {

// Parses and returns the error, empty on success.
std::string control_error(std::string_view json) {
  contract::RedisControl c;
  std::string error;
  const bool ok = contract::parse_redis_control(json, c, error);
  CHECK(ok == error.empty());
  return error;
}

}  // namespace

TEST_CASE("contract: redis control messages") {
  contract::RedisControl c;
  std::string error;
  REQUIRE(contract::parse_redis_control(
      R"({"target":"connection:abcdefgh2345-0-b","control":"close","code":4000,"reason":"bye"})", c,
      error));
  CHECK(kind_name(c.target) == KindName{K::Connection, "abcdefgh2345-0-b"});
  CHECK(c.control == ControlKind::Close);
  CHECK(c.code == 4000);
  CHECK(c.reason == "bye");

  REQUIRE(contract::parse_redis_control(
      R"( {"control":"subscribe", "target":"user:alice", "channel":"room:1", "extra":{"x":[1]}} )",
      c, error));
  CHECK(kind_name(c.target) == KindName{K::User, "alice"});
  CHECK(c.control == ControlKind::Subscribe);
  CHECK(c.channel == "room:1");
  CHECK(c.code == 1000);  // reset from the previous parse
  CHECK(c.reason.empty());

  REQUIRE(contract::parse_redis_control(
      R"({"target":"broadcast","control":"unsubscribe","channel":"news"})", c, error));
  CHECK(c.target.kind == K::Broadcast);
  CHECK(c.control == ControlKind::Unsubscribe);

  REQUIRE(contract::parse_redis_control(
      R"({"t\u0061rget":"channel:r\u00e9union","control":"clos\u0065","reason":"\ud83d\ude00"})", c,
      error));
  CHECK(kind_name(c.target) == KindName{K::Channel, "r\xc3\xa9union"});
  CHECK(c.control == ControlKind::Close);
  CHECK(c.code == 1000);
  CHECK(c.reason == "\xf0\x9f\x98\x80");
}

TEST_CASE("contract: redis close codes are 1000 or 3000..4999") {
  const std::string close = R"({"target":"broadcast","control":"close","code":)";
  for (const char* code : {"1000", "3000", "4000", "4999"}) {
    INFO(code);
    CHECK(control_error(close + code + "}") == "");
  }
  for (const char* code : {"999", "1001", "1011", "2999", "5000", "-1000", "4000.5", "4e3",
                           "\"4000\"", "null", "true", "99999999999999999999"}) {
    INFO(code);
    CHECK(control_error(close + code + "}") == R"("code" must be an integer: 1000 or 3000..4999)");
  }
}

TEST_CASE("contract: redis close reasons are cut to 123 bytes at a character boundary") {
  contract::RedisControl c;
  std::string error;
  const std::string reason = std::string(122, 'r') + "\xc3\xa9" + "tail";
  REQUIRE(contract::parse_redis_control(
      R"({"target":"user:u","control":"close","reason":")" + reason + "\"}", c, error));
  CHECK(c.reason == std::string(122, 'r'));
  REQUIRE(contract::parse_redis_control(
      R"({"target":"user:u","control":"close","reason":")" + std::string(123, 'x') + "\"}", c,
      error));
  CHECK(c.reason.size() == 123);
}

TEST_CASE("contract: malformed redis control messages are explained") {
  CHECK(control_error("") == "control message is not valid JSON");
  CHECK(control_error("{\"target\":") == "control message is not valid JSON");
  CHECK(control_error("{\"target\":\"broadcast\",}") == "control message is not valid JSON");
  CHECK(control_error(std::string(200, '[')) == "control message is not valid JSON");
  CHECK(control_error("[]") == "control message is not a JSON object");
  CHECK(control_error(" \"close\" ") == "control message is not a JSON object");
  CHECK(control_error("{}") == "missing \"target\"");
  CHECK(control_error(R"({"control":"close"})") == "missing \"target\"");
  CHECK(control_error(R"({"target":"broadcast"})") == "missing \"control\"");
  CHECK(control_error(R"({"target":"room:1","control":"close"})") == "invalid \"target\" 'room:1'");
  CHECK(control_error(R"({"target":"broadcast","control":"kick"})") == "unknown control 'kick'");
  CHECK(control_error(R"({"target":"broadcast","control":""})") == "unknown control ''");
  CHECK(control_error(R"({"target":"broadcast","control":"subscribe"})") ==
        "subscribe needs \"channel\"");
  CHECK(control_error(R"({"target":"broadcast","control":"unsubscribe","channel":""})") ==
        "unsubscribe needs \"channel\"");
  CHECK(control_error(R"({"target":1,"control":"close"})") == "\"target\" must be a string");
  CHECK(control_error(R"({"target":"broadcast","control":["close"]})") ==
        "\"control\" must be a string");
  CHECK(control_error(R"({"target":"broadcast","control":"close","reason":5})") ==
        "\"reason\" must be a string");
  CHECK(control_error(R"({"target":"user:a","target":"user:b","control":"close"})") ==
        "\"target\" appears twice");
  CHECK(control_error(R"({"target":"broadcast","control":"close","reason":"\udc00"})") ==
        "\"reason\" holds an unpaired surrogate escape");
  CHECK(control_error(R"({"target":"broadcast","control":")" + std::string(300, 'k') + "\"}") ==
        "unknown control '" + std::string(64, 'k') + "...'");
}

TEST_CASE("contract: redis control parsing survives random input") {
  const std::string seed =
      R"({"target":"connection:abcdefgh2345-0-b","control":"close","code":4000,"reason":"b\u00e9"})";
  std::mt19937 rng(5);
  for (int round = 0; round < 20000; ++round) {
    std::string s = seed;
    for (uint32_t e = 0, edits = 1 + rng() % 4; e < edits && !s.empty(); ++e) {
      const size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[at] = static_cast<char>(rng());
          break;
        case 1:
          s.erase(at, 1 + rng() % 8);
          break;
        default:
          s.resize(at);
      }
    }
    contract::RedisControl c;
    std::string err;
    if (contract::parse_redis_control(s, c, err)) {
      CHECK(c.target.kind != K::Invalid);
      CHECK(c.reason.size() <= 123);
    } else {
      CHECK_FALSE(err.empty());
    }
  }
}

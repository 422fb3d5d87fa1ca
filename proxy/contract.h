// Message contract v1: how one client message or connection event is written for the bus, and
// how a reply is read back. docs/contract.md is the prose version of this file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace holdfast::contract {

inline constexpr std::string_view kSpecVersion = "1.0";
inline constexpr std::string_view kTypeMessage = "io.holdfast.message";
inline constexpr std::string_view kTypeConnect = "io.holdfast.connect";
inline constexpr std::string_view kTypeDisconnect = "io.holdfast.disconnect";
inline constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
inline constexpr std::string_view kOctetStream = "application/octet-stream";

// Reply-side header names.
inline constexpr std::string_view kHeaderTarget = "holdfast-target";
inline constexpr std::string_view kHeaderControl = "holdfast-control";
inline constexpr std::string_view kHeaderCloseCode = "holdfast-close-code";
inline constexpr std::string_view kHeaderCloseReason = "holdfast-close-reason";
inline constexpr std::string_view kHeaderChannel = "holdfast-channel";
inline constexpr std::string_view kHeaderCorrelation = "kafka_correlationId";
inline constexpr std::string_view kHeaderContentType = "content-type";

// The attributes of one inbound event. Views stay valid for the duration of one encode call.
struct Event {
  std::string_view type;          // kTypeMessage, kTypeConnect or kTypeDisconnect
  std::string_view id;            // unique per event
  std::string_view source;        // /holdfast/<instance>/<route>
  std::string_view time;          // RFC 3339 UTC
  std::string_view content_type;  // messages only
  std::string_view connection_id;
  std::string_view auth_id;      // empty when anonymous
  std::string_view reply_to;     // Kafka reply topic, or the Redis reply channel
  std::string_view traceparent;  // W3C
  // Route metadata, name -> value; names are lowercase a-z0-9.
  const std::vector<std::pair<std::string, std::string>>* metadata = nullptr;
  int close_code = 0;             // disconnect only
  std::string_view close_reason;  // disconnect only
  std::string_view data;          // the payload, byte for byte
  bool binary = false;
};

// One named attribute, as the binary-mode encodings (Kafka headers, Redis stream fields) carry
// it. `kafka_name` is the header name, `field_name` the stream field name.
struct Attribute {
  std::string_view kafka_name;
  std::string_view field_name;
  std::string_view value;
};

// Calls `emit(const Attribute&)` for every attribute of `ev` that is present, in contract order:
// specversion, id, source, type, time, content-type, connectionid, authid, reply topic/replyto,
// correlation id, traceparent, metadata, closecode, closereason. content-type, authid, replyto
// and traceparent are left out when empty; so is a metadata entry whose value is empty.
// closecode and closereason come only when `close_code` is not 0. Metadata names come out as
// ce_<name> / <name>. `scratch` holds those names and the formatted close code; its capacity is
// reused. A view handed to `emit` is valid only during that call.
template <typename Emit>
void for_each_attribute(const Event& ev, std::string& scratch, Emit&& emit);

// The structured-mode CloudEvent JSON for a Redis pub/sub channel, appended to `out`.
// Text that is valid JSON under an application/json or */*+json content type goes in `data` as
// JSON; other text as a JSON string; binary as `data_base64`. Only messages have data.
void append_structured_json(const Event& ev, std::string& out);

// Whether a reply value becomes a text frame: a text/*, application/json or */*+json content
// type (case and parameters ignored); with no content type, when the value is valid UTF-8.
bool reply_is_text(std::string_view content_type, std::string_view value);

// A parsed `holdfast-target` value or Redis channel suffix.
struct Target {
  enum class Kind { Invalid, Connection, User, Channel, Broadcast };
  Kind kind = Kind::Invalid;
  std::string_view name;  // connection id, user id or channel name
};
// "connection:<id>", "user:<id>", "channel:<name>", "broadcast". Anything else is Invalid.
Target parse_target(std::string_view text);
// Redis channel names: "conn:<id>", "user:<id>", "channel:<name>", "broadcast" (after the
// prefix). Anything else is Invalid.
Target parse_redis_channel(std::string_view suffix);

enum class ControlKind { None, Close, Subscribe, Unsubscribe, Invalid };
ControlKind parse_control(std::string_view value);

// A control message read from the Redis control channel:
//   {"target":"connection:<id>","control":"close","code":4000,"reason":"bye"}
//   {"target":"user:<id>","control":"subscribe","channel":"room:1"}
// `target.name` points into `target_storage`, so a RedisControl is neither copied nor moved.
struct RedisControl {
  RedisControl() = default;
  RedisControl(const RedisControl&) = delete;
  RedisControl& operator=(const RedisControl&) = delete;

  Target target;
  std::string target_storage;
  ControlKind control = ControlKind::None;
  int code = 1000;
  std::string reason;
  std::string channel;
};
// "target" and "control" are required; "code" (default 1000; 1000 or 3000..4999) and "reason"
// (cut to 123 bytes at a character boundary) apply to close; "channel" is required for subscribe
// and unsubscribe. Other members are ignored. Returns false and sets `error` to a short message
// on malformed input (bad JSON, missing or wrong fields); `out` is then unspecified.
bool parse_redis_control(std::string_view json, RedisControl& out, std::string& error);

}  // namespace holdfast::contract

#include "proxy/contract_inl.h"

// The parsed, validated, immutable configuration. Built only by the loader (loader.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/template.h"

namespace holdfast::config {

using Duration = std::chrono::milliseconds;
using Properties = std::vector<std::pair<std::string, std::string>>;

// Where a key stood in its file, for errors found after parsing.
struct Mark {
  std::string file;
  int line = 0;  // 1-based
  int col = 0;   // 1-based
};

enum class KeyMode { Connection, User, None, Template };

struct KafkaUpstream {
  Template topic;
  KeyMode key_mode = KeyMode::Connection;
  Template key;  // set when key_mode == Template
};

struct RedisUpstream {
  enum class Kind { Stream, Channel };
  Kind kind = Kind::Stream;
  Template name;        // stream key or channel name
  uint64_t maxlen = 0;  // XADD MAXLEN ~ N when non-zero
};

struct Upstream {
  enum class Kind { Kafka, Redis, Echo };
  Kind kind = Kind::Echo;
  KafkaUpstream kafka;
  RedisUpstream redis;
};

// Where connect and disconnect events go. Absent: not produced.
struct Events {
  enum class Kind { None, Kafka, Redis };
  Kind kind = Kind::None;
  KafkaUpstream kafka;  // key follows the same rules as upstream
  RedisUpstream redis;
};

struct Replies {
  std::string kafka_topic;  // empty: no Kafka reply topic for this route
  bool redis = false;       // connections are addressable through the redis channels
};

struct Keepalive {
  Duration ping_interval{std::chrono::seconds(30)};  // 0 disables pings
  Duration pong_timeout{std::chrono::seconds(10)};   // no traffic for ping_interval + this: dead
  Duration idle_timeout{0};                          // no messages either way: close 1000; 0 = off
};

struct RouteLimits {
  size_t max_message_size = 1 << 20;               // reassembled message; past it close 1009
  size_t max_inflight_bytes = 1 << 20;             // produced but not yet acknowledged by the bus
  size_t max_outbound_bytes = 4 << 20;             // queued towards the client; past it close 1008
  Duration bus_timeout{std::chrono::seconds(30)};  // bus stalled this long: close 1013
};

// A filter's parsed settings. Each filter defines its own type (filters/<name>/settings.h);
// the registry's reader makes it and the filter's factory reads it back.
struct FilterSettings {
  virtual ~FilterSettings() = default;
  // Where the filter's settings ask for buses.redis, so a config without it is refused when it
  // is read, like an upstream that needs it.
  std::optional<Mark> uses_redis;
};

struct FilterSpec {
  std::string name;
  Mark mark;
  std::shared_ptr<const FilterSettings> settings;  // never null in a loaded config
};

struct RouteConfig {
  std::string name;
  std::string source;  // /holdfast/<instance>/<name>, the contract's `source`; set by the loader
  PathTemplate path;
  Upstream upstream;
  Replies replies;
  Events events;
  std::vector<Template> subscribe;                         // channels joined on connect
  std::vector<std::pair<std::string, Template>> metadata;  // name -> template, as ce_<name>
  std::string content_type;                                // empty: by frame type
  Template user;  // optional identity from a trusted template (e.g. path)
  RouteLimits limits;
  Keepalive keepalive;
  std::vector<FilterSpec> filters;
  Mark mark;
};

struct TlsConfig {
  std::string cert;
  std::string key;
};

struct ListenerConfig {
  std::string host;
  uint16_t port = 0;
  std::optional<TlsConfig> tls;
  // How many proxies in front of this listener append to X-Forwarded-For. 0: the header is
  // ignored and the client address is the socket peer; N: the Nth address from the right.
  int xff_trusted_hops = 0;
  // What each connection holds for reading, and about the most libwebsockets reads from it per
  // wake-up: a message larger than this takes several.
  size_t receive_buffer = 16384;
  std::vector<std::shared_ptr<const RouteConfig>> routes;
  Mark mark;
};

struct KafkaBus {
  std::string brokers;    // bootstrap list, or empty when embedded
  bool embedded = false;  // librdkafka's in-process mock cluster, for development
  Properties producer;    // passed through to librdkafka, after our defaults
  Properties consumer;
};

struct RedisBus {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  int db = 0;
  std::string password;
  std::string prefix = "holdfast:";
  Duration reconnect_max{std::chrono::seconds(5)};
};

struct AdminConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 9901;  // 0 picks a free port, logged at startup
};

struct Config {
  std::string file;
  std::string instance = "local";
  int workers = 0;  // 0: one per core
  // The open-file limit (RLIMIT_NOFILE) to run with; 0 keeps the one the process started with.
  int64_t file_limit = 0;
  std::string log_level = "info";
  std::string log_bus_file;  // librdkafka and hiredis lines go here when set; else to stderr
  // Without a traceparent on the upgrade, a new trace per connection, or per message.
  bool trace_per_message = false;
  Duration drain_timeout{std::chrono::seconds(10)};
  // Reload when the file (or the directory entry naming it, as a Kubernetes ConfigMap swaps it)
  // changes, as SIGHUP does.
  bool watch = false;
  AdminConfig admin;
  std::optional<KafkaBus> kafka;
  std::optional<RedisBus> redis;
  std::vector<ListenerConfig> listeners;
};

}  // namespace holdfast::config

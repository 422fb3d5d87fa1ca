// Stage one for where a route's messages go: upstream, replies and events.
#include <algorithm>
#include <limits>

#include "config/draft.h"
#include "config/schema.h"

namespace holdfast::config {
namespace {

void add_template(RouteDraft& draft, Template& target, std::string source, const Field& field,
                  bool kafka_topic) {
  PendingTemplate pending;
  pending.target = &target;
  pending.source = std::move(source);
  pending.mark = field.value_mark;
  pending.kafka_topic = kafka_topic;
  pending.key = field.name;
  draft.templates.push_back(std::move(pending));
}

void read_kafka_target(Diagnostics& diag, const Field& field, const std::string& where,
                       KafkaUpstream& out, RouteDraft& draft) {
  if (!expect_map(diag, field)) return;
  MapReader map(diag, field, where, {"topic", "key"});
  if (const Field* f = map.require("topic")) {
    if (auto topic = read_nonempty(diag, *f)) add_template(draft, out.topic, *topic, *f, true);
  }
  if (const Field* f = map.find("key")) {
    if (auto key = read_nonempty(diag, *f)) {
      if (*key == "connection") {
        out.key_mode = KeyMode::Connection;
      } else if (*key == "user") {
        out.key_mode = KeyMode::User;
      } else if (*key == "none") {
        out.key_mode = KeyMode::None;
      } else {
        out.key_mode = KeyMode::Template;
        add_template(draft, out.key, *key, *f, false);
      }
    }
  }
}

void read_redis_target(Diagnostics& diag, const Field& field, const std::string& where,
                       bool allow_channel, RedisUpstream& out, RouteDraft& draft) {
  if (!expect_map(diag, field)) return;
  MapReader map(diag, field, where,
                allow_channel ? std::vector<std::string_view>{"stream", "channel", "maxlen"}
                              : std::vector<std::string_view>{"stream", "maxlen"});
  const Field* name =
      allow_channel ? map.exactly_one({"stream", "channel"}) : map.require("stream");
  if (name != nullptr) {
    out.kind = name->name == "stream" ? RedisUpstream::Kind::Stream : RedisUpstream::Kind::Channel;
    if (auto text = read_nonempty(diag, *name)) add_template(draft, out.name, *text, *name, false);
  }
  if (const Field* f = map.find("maxlen")) {
    if (map.find("channel") != nullptr) {
      diag.error(f->key_mark, "maxlen applies only to a stream, not to a channel");
    } else if (auto maxlen = read_int(diag, *f, 0, std::numeric_limits<int64_t>::max())) {
      out.maxlen = static_cast<uint64_t>(*maxlen);
    }
  }
}

// A map that must be empty or null, such as `echo: {}`.
void read_empty(Diagnostics& diag, const Field& field, const std::string& where) {
  if (field.value.IsNull() || !expect_map(diag, field)) return;
  MapReader map(diag, field, where, {});
}

}  // namespace

bool is_kafka_topic_text(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

void read_upstream(Diagnostics& diag, const Field& field, RouteDraft& draft) {
  if (!expect_map(diag, field)) return;
  Upstream& up = draft.route->upstream;
  MapReader map(diag, field, "upstream", {"kafka", "redis", "echo"});
  const Field* one = map.exactly_one({"kafka", "redis", "echo"});
  if (one == nullptr) return;
  if (one->name == "kafka") {
    up.kind = Upstream::Kind::Kafka;
    draft.kafka_uses.push_back(one->key_mark);
    read_kafka_target(diag, *one, "upstream.kafka", up.kafka, draft);
  } else if (one->name == "redis") {
    up.kind = Upstream::Kind::Redis;
    draft.redis_uses.push_back(one->key_mark);
    read_redis_target(diag, *one, "upstream.redis", true, up.redis, draft);
  } else {
    up.kind = Upstream::Kind::Echo;
    read_empty(diag, *one, "upstream.echo");
  }
}

void read_replies(Diagnostics& diag, const Field& field, RouteDraft& draft) {
  if (!expect_map(diag, field)) return;
  Replies& replies = draft.route->replies;
  MapReader map(diag, field, "replies", {"kafka", "redis"});
  if (const Field* kafka = map.find("kafka")) {
    draft.kafka_uses.push_back(kafka->key_mark);
    if (expect_map(diag, *kafka)) {
      MapReader topic_map(diag, *kafka, "replies.kafka", {"topic"});
      const Field* f = topic_map.require("topic");
      const auto topic = f ? read_nonempty(diag, *f) : std::nullopt;
      if (topic && topic->find_first_of("{}") != std::string::npos) {
        diag.error(f->value_mark, "expected a fixed topic name for 'topic', got the template '" +
                                      *topic + "'; every instance reads the one reply topic");
      } else if (topic && (!is_kafka_topic_text(*topic) || topic->size() > 249)) {
        diag.error(f->value_mark, "invalid Kafka topic '" + *topic +
                                      "' for 'topic'; expected up to 249 letters, digits, '.', "
                                      "'_' or '-'");
      } else if (topic) {
        replies.kafka_topic = *topic;
      }
    }
  }
  if (const Field* redis = map.find("redis")) {
    if (redis->value.IsNull() || redis->value.IsMap()) {
      replies.redis = true;
      read_empty(diag, *redis, "replies.redis");
    } else if (redis->value.IsSequence()) {
      diag.error(redis->value_mark, "expected a map or a boolean for 'redis', got a sequence");
    } else if (auto on = read_bool(diag, *redis)) {
      replies.redis = *on;
    }
    if (replies.redis) draft.redis_uses.push_back(redis->key_mark);
  }
}

void read_events(Diagnostics& diag, const Field& field, RouteDraft& draft) {
  if (!expect_map(diag, field)) return;
  Events& events = draft.route->events;
  MapReader map(diag, field, "events", {"kafka", "redis"});
  const Field* one = map.exactly_one({"kafka", "redis"});
  if (one == nullptr) return;
  if (one->name == "kafka") {
    events.kind = Events::Kind::Kafka;
    draft.kafka_uses.push_back(one->key_mark);
    read_kafka_target(diag, *one, "events.kafka", events.kafka, draft);
  } else {
    events.kind = Events::Kind::Redis;
    draft.redis_uses.push_back(one->key_mark);
    read_redis_target(diag, *one, "events.redis", false, events.redis, draft);
  }
}

}  // namespace holdfast::config

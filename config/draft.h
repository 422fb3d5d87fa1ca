// What stage one (structure) hands to stage two (meaning): the config being built, plus where
// each cross-referenced value stood so that stage two can point at it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/diagnostics.h"
#include "config/schema.h"

namespace holdfast::config {

// A template read as text; stage two parses it against the route's path parameters.
struct PendingTemplate {
  Template* target = nullptr;  // inside the route, which is not resized after it is read
  std::string source;
  Mark mark;
  bool defines_user = false;  // the route's `user:` template, which cannot use {user} itself
  bool kafka_topic = false;   // its literal text must be valid in a Kafka topic name
  std::string key;            // the key it was read from, for messages
};

struct RouteDraft {
  std::shared_ptr<RouteConfig> route;
  std::string where;  // "listeners[0].routes[1]"
  bool has_name = false;
  Mark name_mark;
  bool has_path = false;  // the path parsed; templates can be checked
  Mark path_mark;
  std::vector<PendingTemplate> templates;
  std::vector<Mark> kafka_uses;  // the `kafka` keys under upstream, replies and events
  std::vector<Mark> redis_uses;
};

struct ListenerDraft {
  ListenerConfig listener;
  std::string where;  // "listeners[0]"
  bool has_address = false;
  Mark address_mark;
  Mark cert_mark;
  Mark key_mark;
  std::vector<RouteDraft> routes;
};

struct Draft {
  std::shared_ptr<Config> config;
  bool has_admin_address = false;
  Mark admin_mark;
  Mark kafka_mark;  // buses.kafka, when present
  Mark redis_mark;
  std::vector<ListenerDraft> listeners;
};

// Stage one: reads the document into `draft`, reporting structural errors.
void read_document(Diagnostics& diag, const YAML::Node& root, Draft& draft);
// Reads one item of a listener's `routes:`.
RouteDraft read_route(Diagnostics& diag, const Field& item, const std::string& where);

// Parts of a route, for read_route.
void read_upstream(Diagnostics& diag, const Field& field, RouteDraft& draft);
void read_replies(Diagnostics& diag, const Field& field, RouteDraft& draft);
void read_events(Diagnostics& diag, const Field& field, RouteDraft& draft);

// Letters, digits, '.', '_' and '-': the characters Kafka allows in a topic name.
bool is_kafka_topic_text(std::string_view text);

// Stage two: templates against path parameters, buses in use, duplicates, TLS files.
void check_meaning(Diagnostics& diag, Draft& draft);

}  // namespace holdfast::config

// Stage one for everything outside routes: instance, workers, log, admin, buses, listeners.
#include <algorithm>

#include "config/draft.h"
#include "config/schema.h"
#include "config/units.h"

namespace holdfast::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

bool valid_instance(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::optional<HostPort> read_address(Diagnostics& diag, const Field& field) {
  const auto text = read_string(diag, field);
  if (!text) return std::nullopt;
  std::string error;
  auto address = parse_host_port(*text, field.name, error);
  if (!address) diag.error(field.value_mark, std::move(error));
  return address;
}

Properties read_properties(Diagnostics& diag, const Field& field) {
  Properties out;
  if (!expect_map(diag, field)) return out;
  for (const Field& entry : map_entries(diag, field, field.name + ".")) {
    if (!entry.value.IsScalar()) {
      diag.error(entry.value_mark, "expected a string, number or boolean for '" + entry.name +
                                       "', got " + describe(entry.value));
      continue;
    }
    if (auto value = read_string(diag, entry)) {
      out.emplace_back(entry.name.substr(field.name.size() + 1), std::move(*value));
    }
  }
  return out;
}

void read_kafka(Diagnostics& diag, const Field& field, Draft& draft) {
  draft.kafka_mark = field.key_mark;
  KafkaBus bus;
  if (expect_map(diag, field)) {
    MapReader map(diag, field, "buses.kafka", {"brokers", "producer", "consumer"});
    if (const Field* f = map.require("brokers")) {
      if (auto brokers = read_nonempty(diag, *f)) {
        bus.embedded = *brokers == "embedded";
        if (!bus.embedded) bus.brokers = std::move(*brokers);
      }
    }
    if (const Field* f = map.find("producer")) bus.producer = read_properties(diag, *f);
    if (const Field* f = map.find("consumer")) bus.consumer = read_properties(diag, *f);
  }
  draft.config->kafka = std::move(bus);
}

void read_redis(Diagnostics& diag, const Field& field, Draft& draft) {
  draft.redis_mark = field.key_mark;
  RedisBus bus;
  if (expect_map(diag, field)) {
    MapReader map(diag, field, "buses.redis", {"url", "prefix", "reconnect_max"});
    if (const Field* f = map.require("url")) {
      if (auto url = read_string(diag, *f)) {
        std::string error;
        if (!parse_redis_url(*url, bus, error)) diag.error(f->value_mark, std::move(error));
      }
    }
    if (const Field* f = map.find("prefix")) {
      if (auto prefix = read_string(diag, *f)) bus.prefix = std::move(*prefix);
    }
    if (const Field* f = map.find("reconnect_max")) {
      if (auto d = read_duration(diag, *f, milliseconds(100), minutes(10))) bus.reconnect_max = *d;
    }
  }
  draft.config->redis = std::move(bus);
}

void read_buses(Diagnostics& diag, const Field& field, Draft& draft) {
  if (!expect_map(diag, field)) return;
  MapReader map(diag, field, "buses", {"kafka", "redis"});
  if (const Field* f = map.find("kafka")) read_kafka(diag, *f, draft);
  if (const Field* f = map.find("redis")) read_redis(diag, *f, draft);
}

void read_tls(Diagnostics& diag, const Field& field, ListenerDraft& out) {
  if (!expect_map(diag, field)) return;
  MapReader map(diag, field, out.where + ".tls", {"cert", "key"});
  const Field* cert = map.require("cert");
  const Field* key = map.require("key");
  TlsConfig tls;
  std::optional<std::string> cert_path;
  std::optional<std::string> key_path;
  if (cert) cert_path = read_nonempty(diag, *cert);
  if (key) key_path = read_nonempty(diag, *key);
  if (!cert_path || !key_path) return;
  out.cert_mark = cert->value_mark;
  out.key_mark = key->value_mark;
  out.listener.tls = TlsConfig{std::move(*cert_path), std::move(*key_path)};
}

ListenerDraft read_listener(Diagnostics& diag, const Field& item, std::string where) {
  ListenerDraft out;
  out.where = std::move(where);
  out.listener.mark = item.key_mark;
  if (!expect_map(diag, item)) return out;
  MapReader map(diag, item, out.where,
                {"address", "tls", "xff_trusted_hops", "receive_buffer", "routes"});
  if (const Field* f = map.require("address")) {
    if (auto address = read_address(diag, *f)) {
      out.has_address = true;
      out.address_mark = f->value_mark;
      out.listener.host = std::move(address->host);
      out.listener.port = address->port;
    }
  }
  if (const Field* f = map.find("tls")) read_tls(diag, *f, out);
  if (const Field* f = map.find("xff_trusted_hops")) {
    if (auto n = read_int(diag, *f, 0, 16)) out.listener.xff_trusted_hops = static_cast<int>(*n);
  }
  if (const Field* f = map.find("receive_buffer")) {
    if (auto n = read_size(diag, *f, 256, 64 << 10)) out.listener.receive_buffer = *n;
  }
  if (const Field* f = map.require("routes")) {
    if (auto items = sequence_items(diag, *f)) {
      if (items->empty()) {
        diag.error(f->value_mark,
                   "expected at least one route for 'routes', got an empty sequence");
      }
      for (size_t i = 0; i < items->size(); ++i) {
        out.routes.push_back(
            read_route(diag, (*items)[i], out.where + ".routes[" + std::to_string(i) + "]"));
      }
    }
  }
  return out;
}

}  // namespace

void read_document(Diagnostics& diag, const YAML::Node& root, Draft& draft) {
  draft.config = std::make_shared<Config>();
  Config& config = *draft.config;
  config.file = diag.file();
  const Mark start = diag.mark(root);
  Field doc{"", root.IsNull() ? YAML::Node(YAML::NodeType::Map) : root, start, start};
  if (!doc.value.IsMap()) {
    diag.error(start, "expected a map at the top level, got " + describe(root));
    return;
  }
  MapReader map(diag, doc, "",
                {"instance", "workers", "file_limit", "log", "tracing", "reload", "drain_timeout",
                 "admin", "buses", "listeners"});
  if (const Field* f = map.find("instance")) {
    if (auto instance = read_string(diag, *f)) {
      if (valid_instance(*instance)) {
        config.instance = std::move(*instance);
      } else {
        diag.error(f->value_mark, "invalid instance '" + *instance +
                                      "'; expected 1 to 64 letters, digits, '.', '_' or '-'");
      }
    }
  }
  if (const Field* f = map.find("workers")) {
    if (auto workers = read_int(diag, *f, 0, 64)) config.workers = static_cast<int>(*workers);
  }
  if (const Field* f = map.find("file_limit")) {
    if (auto limit = read_int(diag, *f, 256, 16777216)) config.file_limit = *limit;
  }
  if (const Field* f = map.find("log"); f && expect_map(diag, *f)) {
    MapReader log(diag, *f, "log", {"level", "bus_file"});
    if (const Field* level = log.find("level")) {
      auto value = read_choice(diag, *level, {"debug", "info", "warn", "error"}, "log level");
      if (value) config.log_level = std::move(*value);
    }
    if (const Field* file = log.find("bus_file")) {
      if (auto value = read_nonempty(diag, *file)) config.log_bus_file = std::move(*value);
    }
  }
  if (const Field* f = map.find("tracing"); f && expect_map(diag, *f)) {
    MapReader tracing(diag, *f, "tracing", {"new_trace"});
    if (const Field* per = tracing.find("new_trace")) {
      auto value = read_choice(diag, *per, {"per_connection", "per_message"}, "trace mode");
      if (value) config.trace_per_message = *value == "per_message";
    }
  }
  if (const Field* f = map.find("reload"); f && expect_map(diag, *f)) {
    MapReader reload(diag, *f, "reload", {"watch"});
    if (const Field* watch = reload.find("watch")) {
      if (auto value = read_bool(diag, *watch)) config.watch = *value;
    }
  }
  if (const Field* f = map.find("drain_timeout")) {
    if (auto d = read_duration(diag, *f, milliseconds(0), minutes(10))) config.drain_timeout = *d;
  }
  if (const Field* f = map.find("admin"); f && expect_map(diag, *f)) {
    MapReader admin(diag, *f, "admin", {"address"});
    if (const Field* address_field = admin.find("address")) {
      if (auto address = read_address(diag, *address_field)) {
        draft.has_admin_address = true;
        draft.admin_mark = address_field->value_mark;
        config.admin.host = std::move(address->host);
        config.admin.port = address->port;
      }
    }
  }
  if (const Field* f = map.find("buses")) read_buses(diag, *f, draft);
  if (const Field* f = map.require("listeners")) {
    if (auto items = sequence_items(diag, *f)) {
      if (items->empty()) {
        diag.error(f->value_mark,
                   "expected at least one listener for 'listeners', got an empty sequence");
      }
      for (size_t i = 0; i < items->size(); ++i) {
        draft.listeners.push_back(
            read_listener(diag, (*items)[i], "listeners[" + std::to_string(i) + "]"));
      }
    }
  }
}

}  // namespace holdfast::config

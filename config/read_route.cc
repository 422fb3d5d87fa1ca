// Stage one for a route: its keys, limits, keepalive and filters. Templates are kept as text
// for stage two, which knows the path's parameters.
#include <algorithm>
#include <array>

#include "config/draft.h"
#include "config/schema.h"
#include "filters/registry.h"

namespace holdfast::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

constexpr uint64_t kKiB = uint64_t{1} << 10;
constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

// Attributes every event already carries; metadata may not shadow them.
constexpr std::array<std::string_view, 14> kReservedMetadata = {
    "specversion",  "id",          "source",  "type",           "time",
    "connectionid", "authid",      "replyto", "correlationid",  "traceparent",
    "closecode",    "closereason", "data",    "datacontenttype"};

bool valid_route_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

bool valid_metadata_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

void add_template(RouteDraft& draft, Template& target, std::string source, const Field& field,
                  bool defines_user = false) {
  PendingTemplate pending;
  pending.target = &target;
  pending.source = std::move(source);
  pending.mark = field.value_mark;
  pending.defines_user = defines_user;
  pending.key = field.name;
  draft.templates.push_back(std::move(pending));
}

void read_name_and_path(Diagnostics& diag, MapReader& map, RouteDraft& out) {
  RouteConfig& route = *out.route;
  if (const Field* f = map.require("name")) {
    if (auto name = read_string(diag, *f)) {
      if (valid_route_name(*name)) {
        route.name = std::move(*name);
        out.has_name = true;
        out.name_mark = f->value_mark;
      } else {
        diag.error(f->value_mark, "invalid route name '" + *name +
                                      "'; expected 1 to 64 lowercase letters, digits, '.', '_' "
                                      "or '-'");
      }
    }
  }
  if (const Field* f = map.require("path")) {
    if (auto path = read_string(diag, *f)) {
      std::string error;
      if (PathTemplate::parse(*path, route.path, error)) {
        out.has_path = true;
        out.path_mark = f->value_mark;
      } else {
        diag.error(f->value_mark, std::move(error));
      }
    }
  }
}

void read_subscribe(Diagnostics& diag, const Field& field, RouteDraft& out) {
  const auto items = sequence_items(diag, field);
  if (!items) return;
  out.route->subscribe.resize(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    if (auto text = read_nonempty(diag, (*items)[i])) {
      add_template(out, out.route->subscribe[i], *text, (*items)[i]);
    }
  }
}

void read_metadata(Diagnostics& diag, const Field& field, RouteDraft& out) {
  if (!expect_map(diag, field)) return;
  const std::vector<Field> entries = map_entries(diag, field, "metadata.");
  auto& metadata = out.route->metadata;
  metadata.resize(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const Field& entry = entries[i];
    const std::string name = entry.name.substr(9);
    metadata[i].first = name;
    if (!valid_metadata_name(name)) {
      diag.error(entry.key_mark, "invalid metadata name '" + name +
                                     "'; expected lowercase letters and digits (e.g. room)");
    } else if (std::find(kReservedMetadata.begin(), kReservedMetadata.end(), name) !=
               kReservedMetadata.end()) {
      diag.error(entry.key_mark, "metadata name '" + name +
                                     "' is reserved; every event already carries that attribute");
    }
    if (auto text = read_nonempty(diag, entry)) add_template(out, metadata[i].second, *text, entry);
  }
}

void read_keepalive(Diagnostics& diag, const Field& field, Keepalive& out) {
  if (!expect_map(diag, field)) return;
  MapReader map(diag, field, "keepalive", {"ping_interval", "pong_timeout", "idle_timeout"});
  if (const Field* f = map.find("ping_interval")) {
    if (auto d = read_duration(diag, *f, milliseconds(100), hours(1), true)) out.ping_interval = *d;
  }
  if (const Field* f = map.find("pong_timeout")) {
    if (auto d = read_duration(diag, *f, milliseconds(100), hours(1))) out.pong_timeout = *d;
  }
  if (const Field* f = map.find("idle_timeout")) {
    if (auto d = read_duration(diag, *f, milliseconds(100), hours(24), true)) out.idle_timeout = *d;
  }
}

void read_filters(Diagnostics& diag, const Field& field, std::vector<FilterSpec>& out) {
  const auto items = sequence_items(diag, field);
  if (!items) return;
  for (const Field& item : *items) {
    if (!expect_map(diag, item)) continue;
    if (item.value.size() != 1) {
      diag.error(item.value_mark, "expected one filter name as the only key of " + item.name +
                                      " (e.g. - jwt: {...}), got " +
                                      std::to_string(item.value.size()) + " keys");
      continue;
    }
    const auto entry = *item.value.begin();
    const Mark mark = diag.mark(entry.first);
    const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
    const filters::FilterType* type = filters::find_type(name);
    if (type == nullptr) {
      std::vector<std::string_view> known;
      for (const auto& t : filters::registry())
        known.push_back(t.name);
      diag.error(mark,
                 "unknown filter '" + name + "'; expected one of: " + join_names(known, "or"));
      continue;
    }
    const Mark value_mark = entry.second.IsNull() ? mark : diag.mark(entry.second);
    const Field settings{item.name + "." + name, entry.second, mark, value_mark};
    if (auto parsed = type->read(diag, settings)) {
      out.push_back(FilterSpec{name, mark, std::move(parsed)});
    }
  }
}

}  // namespace

RouteDraft read_route(Diagnostics& diag, const Field& item, const std::string& where) {
  RouteDraft out;
  out.where = where;
  out.route = std::make_shared<RouteConfig>();
  RouteConfig& route = *out.route;
  route.mark = item.key_mark;
  if (!expect_map(diag, item)) return out;
  MapReader map(diag, item, where,
                {"name", "path", "upstream", "replies", "events", "subscribe", "metadata",
                 "content_type", "user", "max_message_size", "max_inflight_bytes",
                 "max_outbound_bytes", "bus_timeout", "keepalive", "filters"});
  read_name_and_path(diag, map, out);
  if (const Field* f = map.require("upstream")) read_upstream(diag, *f, out);
  if (const Field* f = map.find("replies")) read_replies(diag, *f, out);
  if (const Field* f = map.find("events")) read_events(diag, *f, out);
  if (const Field* f = map.find("subscribe")) read_subscribe(diag, *f, out);
  if (const Field* f = map.find("metadata")) read_metadata(diag, *f, out);
  if (const Field* f = map.find("content_type")) {
    if (auto type = read_nonempty(diag, *f)) {
      if (type->find('/') == std::string::npos) {
        diag.error(f->value_mark, "invalid content type '" + *type +
                                      "' for 'content_type'; expected type/subtype (e.g. "
                                      "application/json)");
      } else {
        route.content_type = std::move(*type);
      }
    }
  }
  if (const Field* f = map.find("user")) {
    if (auto text = read_nonempty(diag, *f)) add_template(out, route.user, *text, *f, true);
  }
  RouteLimits& limits = route.limits;
  if (const Field* f = map.find("max_message_size")) {
    if (auto n = read_size(diag, *f, 1, 64 * kMiB)) limits.max_message_size = *n;
  }
  if (const Field* f = map.find("max_inflight_bytes")) {
    if (auto n = read_size(diag, *f, kKiB, kGiB)) limits.max_inflight_bytes = *n;
  }
  if (const Field* f = map.find("max_outbound_bytes")) {
    if (auto n = read_size(diag, *f, kKiB, kGiB)) limits.max_outbound_bytes = *n;
  }
  if (const Field* f = map.find("bus_timeout")) {
    if (auto d = read_duration(diag, *f, milliseconds(100), hours(1))) limits.bus_timeout = *d;
  }
  if (const Field* f = map.find("keepalive")) read_keepalive(diag, *f, route.keepalive);
  if (const Field* f = map.find("filters")) read_filters(diag, *f, route.filters);
  return out;
}

}  // namespace holdfast::config

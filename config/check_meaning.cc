// Stage two of loading: what the values mean together. Templates against the route's path,
// buses that routes use, names and addresses that must be unique, TLS files that must exist.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "config/draft.h"

namespace holdfast::config {
namespace {

std::string address_text(const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// The shape a path matches, with parameter names left out: "/rooms/{}".
std::string path_shape(std::string_view source) {
  std::string shape;
  while (!source.empty()) {
    const size_t open = source.find('{');
    shape += source.substr(0, open);
    if (open == std::string_view::npos) break;
    shape += "{}";
    source = source.substr(source.find('}', open) + 1);
  }
  if (shape.size() > 1 && shape.back() == '/') shape.pop_back();
  return shape;
}

void resolve_templates(Diagnostics& diag, RouteDraft& draft) {
  const auto& params = draft.route->path.param_names();
  for (PendingTemplate& pending : draft.templates) {
    std::string error;
    if (!Template::parse(pending.source, params, *pending.target, error)) {
      diag.error(pending.mark, std::move(error));
      continue;
    }
    const auto& parts = pending.target->parts();
    if (pending.defines_user) {
      for (const auto& part : parts) {
        if (part.kind == Template::Kind::User) {
          diag.error(pending.mark,
                     "the 'user' template cannot use {user}, which it defines; the "
                     "path has no {user} parameter");
          break;
        }
      }
    }
    if (pending.kafka_topic) {
      for (const auto& part : parts) {
        if (part.kind == Template::Kind::Literal && !is_kafka_topic_text(part.text)) {
          diag.error(pending.mark, "invalid Kafka topic '" + pending.source + "' for '" +
                                       pending.key +
                                       "'; expected letters, digits, '.', '_' or '-'");
          break;
        }
      }
    }
  }
}

void check_buses(Diagnostics& diag, const Config& config, const RouteDraft& draft) {
  const std::string route = draft.has_name ? "route '" + draft.route->name + "'" : draft.where;
  if (!config.kafka) {
    for (const Mark& m : draft.kafka_uses) {
      diag.error(m, route + " uses kafka but buses.kafka is not configured");
    }
  }
  if (!config.redis) {
    for (const Mark& m : draft.redis_uses) {
      diag.error(m, route + " uses redis but buses.redis is not configured");
    }
    for (const FilterSpec& f : draft.route->filters) {
      if (f.settings && f.settings->uses_redis) {
        diag.error(*f.settings->uses_redis,
                   route + " filter " + f.name + " uses redis but buses.redis is not configured");
      }
    }
  }
}

void check_readable(Diagnostics& diag, const std::string& path, const Mark& mark,
                    std::string_view what) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  int err = errno;
  if (f != nullptr) {
    char byte;
    const bool bad = std::fread(&byte, 1, 1, f) == 0 && std::ferror(f);
    err = errno;
    std::fclose(f);
    if (!bad) return;
  }
  diag.error(mark, "cannot read " + std::string(what) + " '" + path + "': " + std::strerror(err));
}

struct FirstRoute {
  Mark mark;
  std::string name;
  std::string path;
};

void check_listener(Diagnostics& diag, ListenerDraft& listener,
                    std::map<std::string, Mark>& route_names) {
  std::map<std::string, FirstRoute> paths;  // shape -> first route with it
  for (RouteDraft& draft : listener.routes) {
    const RouteConfig& route = *draft.route;
    if (draft.has_name) {
      const auto [it, added] = route_names.emplace(route.name, draft.name_mark);
      if (!added) {
        diag.error(draft.name_mark, "duplicate route name '" + route.name + "' (first at " +
                                        to_string(it->second) + ")");
      }
    }
    if (!draft.has_path) continue;
    resolve_templates(diag, draft);
    const std::string& source = route.path.source();
    const auto [it, added] =
        paths.emplace(path_shape(source), FirstRoute{draft.path_mark, route.name, source});
    if (added) continue;
    const FirstRoute& first = it->second;
    std::string message = "duplicate path '" + source + "' in " + listener.where;
    if (first.path != source) message += "; it matches the same requests as '" + first.path + "'";
    diag.error(draft.path_mark,
               message + " (first at " + to_string(first.mark) + ", route '" + first.name + "')");
  }
  if (listener.listener.tls) {
    check_readable(diag, listener.listener.tls->cert, listener.cert_mark, "TLS certificate");
    check_readable(diag, listener.listener.tls->key, listener.key_mark, "TLS key");
  }
}

}  // namespace

void check_meaning(Diagnostics& diag, Draft& draft) {
  const Config& config = *draft.config;
  std::map<std::string, Mark> route_names;
  std::map<std::string, Mark> addresses;
  const std::string admin = address_text(config.admin.host, config.admin.port);
  for (ListenerDraft& listener : draft.listeners) {
    for (const RouteDraft& route : listener.routes)
      check_buses(diag, config, route);
    check_listener(diag, listener, route_names);
    if (!listener.has_address || listener.listener.port == 0) continue;
    const std::string address = address_text(listener.listener.host, listener.listener.port);
    const auto [it, added] = addresses.emplace(address, listener.address_mark);
    if (!added) {
      diag.error(listener.address_mark, "duplicate listener address '" + address + "' (first at " +
                                            to_string(it->second) + ")");
    } else if (address == admin && config.admin.port != 0) {
      diag.error(listener.address_mark,
                 "listener address '" + address + "' is also the admin address" +
                     (draft.has_admin_address ? " (at " + to_string(draft.admin_mark) + ")"
                                              : "; set admin.address to another port"));
    }
  }
}

}  // namespace holdfast::config

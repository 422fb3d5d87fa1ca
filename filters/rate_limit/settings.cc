#include "filters/rate_limit/settings.h"

#include "config/units.h"

namespace holdfast::filters::rate_limit {
namespace {

using config::Diagnostics;
using config::Field;
using config::MapReader;

constexpr int64_t kMaxCount = 1'000'000'000;
constexpr uint64_t kMaxBytes = uint64_t{1} << 40;  // 1 TiB

enum class Kind { Connections, Messages, Bytes };

// A field of a nested map, named after its parent: "messages.rate".
Field qualified(const Field& f, std::string_view parent) {
  Field out = f;
  out.name = std::string(parent) + "." + f.name;
  return out;
}

std::optional<uint64_t> read_rate(Diagnostics& diag, const Field& f, bool sizes, Rate& out) {
  const auto text = config::read_string(diag, f);
  if (!text) return std::nullopt;
  const auto rate = parse_rate(*text, sizes);
  if (!rate) {
    diag.error(f.value_mark, "invalid rate '" + *text + "' for '" + f.name + "'; expected " +
                                 (sizes ? "a size per s, m or h (e.g. 64KiB/s)"
                                        : "a count per s, m or h (e.g. 20/s)"));
    return std::nullopt;
  }
  const uint64_t max = sizes ? kMaxBytes : static_cast<uint64_t>(kMaxCount);
  if (rate->count < 1 || rate->count > max) {
    diag.error(f.value_mark, f.name + " must be between 1 and " + std::to_string(max) +
                                 (sizes ? " bytes" : "") + " per s, m or h, got " + *text);
    return std::nullopt;
  }
  out = *rate;
  return rate->count;
}

std::optional<Limit> read_limit(Diagnostics& diag, const Field& field, const std::string& where,
                                Kind kind, Action* action) {
  if (!config::expect_map(diag, field)) return std::nullopt;
  const bool sizes = kind == Kind::Bytes;
  std::vector<std::string_view> keys = {"rate", "burst"};
  if (kind == Kind::Messages) keys.push_back("action");
  MapReader map(diag, field, where + "." + field.name, keys);
  Limit limit;
  bool ok = true;
  Rate rate;
  if (const Field* f = map.require("rate")) {
    if (read_rate(diag, qualified(*f, field.name), sizes, rate)) {
      limit.count = static_cast<int64_t>(rate.count);
      limit.period_ns = rate.period_ns;
      limit.burst = static_cast<int64_t>(rate.count);
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  if (const Field* f = map.find("burst")) {
    const Field q = qualified(*f, field.name);
    if (sizes) {
      if (auto n = config::read_size(diag, q, 1, kMaxBytes)) {
        limit.burst = static_cast<int64_t>(*n);
      } else {
        ok = false;
      }
    } else if (auto n = config::read_int(diag, q, 1, kMaxCount)) {
      limit.burst = *n;
    } else {
      ok = false;
    }
  }
  if (const Field* f = map.find("action")) {
    if (auto a =
            config::read_choice(diag, qualified(*f, field.name), {"drop", "close"}, "action")) {
      *action = *a == "close" ? Action::Close : Action::Drop;
    }
  }
  if (!ok) return std::nullopt;
  return limit;
}

// A key that means something only with one backend.
void only_with(Diagnostics& diag, const Field* f, std::string_view backend) {
  if (f == nullptr) return;
  diag.error(f->key_mark, "'" + f->name + "' applies only to backend: " + std::string(backend));
}

}  // namespace

std::optional<Rate> parse_rate(std::string_view text, bool sizes) {
  const size_t slash = text.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view unit = text.substr(slash + 1);
  Rate out;
  if (unit == "s") {
    out.period_ns = 1'000'000'000;
  } else if (unit == "m") {
    out.period_ns = 60'000'000'000;
  } else if (unit == "h") {
    out.period_ns = 3'600'000'000'000;
  } else {
    return std::nullopt;
  }
  const std::string_view amount = text.substr(0, slash);
  if (sizes) {
    const auto n = config::parse_size(amount);
    if (!n) return std::nullopt;
    out.count = *n;
  } else {
    const auto n = config::parse_int(amount);
    if (!n) return std::nullopt;
    out.count = *n < 0 ? 0 : static_cast<uint64_t>(*n);
  }
  return out;
}

std::shared_ptr<const Settings> read_settings(Diagnostics& diag, const Field& field) {
  if (!config::expect_map(diag, field)) return nullptr;
  MapReader map(diag, field, field.name,
                {"connections", "messages", "bytes", "per", "backend", "failure_mode", "key_prefix",
                 "redis_timeout", "shadow", "table_size"});
  auto s = std::make_shared<Settings>();
  s->mark = field.key_mark;
  const Field* connections = map.find("connections");
  const Field* messages = map.find("messages");
  const Field* bytes = map.find("bytes");
  if (connections)
    s->connections = read_limit(diag, *connections, field.name, Kind::Connections, nullptr);
  if (messages) s->messages = read_limit(diag, *messages, field.name, Kind::Messages, &s->action);
  if (bytes) s->bytes = read_limit(diag, *bytes, field.name, Kind::Bytes, nullptr);
  if (!connections && !messages && !bytes) {
    diag.error(map.mark(),
               "expected at least one of connections, messages or bytes in '" + field.name + "'");
  }
  if (const Field* f = map.find("per")) {
    if (auto p = config::read_choice(diag, *f, {"connection", "user", "ip"}, "limit key")) {
      s->per = *p == "user" ? Per::User : *p == "ip" ? Per::Ip : Per::Connection;
    }
    if (!messages) {
      diag.error(f->key_mark, "'per' picks the key for 'messages', which is not set");
    }
  }
  bool backend_known = true;
  if (const Field* f = map.find("backend")) {
    if (auto b = config::read_choice(diag, *f, {"local", "redis"}, "backend")) {
      s->backend = *b == "redis" ? Backend::Redis : Backend::Local;
      if (s->backend == Backend::Redis) s->uses_redis = f->value_mark;
    } else {
      backend_known = false;
    }
  }
  const Field* failure_mode = map.find("failure_mode");
  const Field* key_prefix = map.find("key_prefix");
  const Field* redis_timeout = map.find("redis_timeout");
  const Field* table_size = map.find("table_size");
  if (failure_mode) {
    if (auto m = config::read_choice(diag, *failure_mode, {"allow", "deny"}, "failure mode")) {
      s->fail_open = *m == "allow";
    }
  }
  if (key_prefix) {
    if (auto p = config::read_nonempty(diag, *key_prefix)) s->key_prefix = std::move(*p);
  }
  if (redis_timeout) {
    using std::chrono::milliseconds;
    if (auto d = config::read_duration(diag, *redis_timeout, milliseconds(1), milliseconds(10000)))
      s->redis_timeout = *d;
  }
  if (table_size) {
    if (auto n = config::read_int(diag, *table_size, 1024, 16'777'216))
      s->table_size = static_cast<size_t>(*n);
  }
  if (const Field* f = map.find("shadow")) {
    if (auto b = config::read_bool(diag, *f)) s->shadow = *b;
  }
  if (!backend_known) {
    // Already reported; which keys fit depends on the backend meant.
  } else if (s->backend == Backend::Local) {
    only_with(diag, failure_mode, "redis");
    only_with(diag, key_prefix, "redis");
    only_with(diag, redis_timeout, "redis");
  } else {
    only_with(diag, table_size, "local");
  }
  return s;
}

}  // namespace holdfast::filters::rate_limit

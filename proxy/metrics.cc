#include "proxy/metrics.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>

#include "filters/registry.h"

namespace holdfast {
namespace {

const DurationHistogram kNoDurations{kDurationBounds};

constexpr const char* kResults[] = {"accepted", "rejected_auth", "rejected_rate", "rejected_origin",
                                    "no_route"};
constexpr const char* kUndeliverable[] = {"no_connection", "no_target", "bad_target", "bad_record"};
constexpr const char* kBusErrors[][2] = {{"kafka", "produce"},
                                         {"kafka", "delivery"},
                                         {"kafka", "consume"},
                                         {"redis", "command"},
                                         {"redis", "connect"}};

class Writer {
 public:
  explicit Writer(const std::vector<const Stats*>& stats) : stats_(stats) {}

  void family(const char* name, const char* type, const char* help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
  }
  void sample(const char* name, const std::string& labels, double value) {
    out += name;
    if (!labels.empty()) {
      out += '{';
      out += labels;
      out += '}';
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.17g\n", value);
    out += buf;
  }
  template <typename Get>
  double sum(Get get) const {
    double v = 0;
    for (const Stats* s : stats_)
      v += static_cast<double>(get(*s));
    return v;
  }

  std::string out;

 private:
  const std::vector<const Stats*>& stats_;
};

std::string label(const char* k, const std::string& v) {
  return std::string(k) + "=\"" + v + "\"";
}

std::string bound_text(double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", b);
  return buf;
}

// One histogram series: cumulative buckets, sum and count, summed over every thread.
template <typename Get>
void histogram(Writer& w, const char* name, const std::string& labels, Get get,
               const std::vector<const Stats*>& stats) {
  if (stats.empty()) return;
  const auto& bounds = get(*stats.front()).bounds();
  const std::string prefix = labels.empty() ? "" : labels + ",";
  const std::string bucket = std::string(name) + "_bucket";
  double cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += w.sum([&](const Stats& s) { return get(s).count(i); });
    const std::string le = i < bounds.size() ? bound_text(bounds[i]) : "+Inf";
    w.sample(bucket.c_str(), prefix + label("le", le), cumulative);
  }
  w.sample((std::string(name) + "_sum").c_str(), labels,
           w.sum([&](const Stats& s) { return get(s).sum(); }));
  w.sample((std::string(name) + "_count").c_str(), labels, cumulative);
}

double process_cpu_seconds() {
  std::ifstream f("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double process_open_fds() {
  double n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

double process_rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, rss = 0;
  f >> pages >> rss;
  return static_cast<double>(rss) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace

std::string render_metrics(const Runtime& rt, const std::vector<const Stats*>& stats,
                           const ProcessState& state) {
  Writer w(stats);
  const size_t routes = rt.route_names.size();
  auto route_label = [&](size_t r) { return label("route", rt.route_names.name(r)); };

  w.family("holdfast_build_info", "gauge", "Build information.");
  w.sample("holdfast_build_info", label("version", HOLDFAST_VERSION), 1);
  w.family("holdfast_ready", "gauge", "1 when every listener and bus is up and not draining.");
  w.sample("holdfast_ready", "", state.ready ? 1 : 0);

  w.family("holdfast_connections_active", "gauge", "Open WebSocket connections.");
  for (size_t r = 0; r < routes; ++r) {
    w.sample("holdfast_connections_active", route_label(r),
             w.sum([&](const Stats& s) { return s.route.empty() ? 0 : s.route[r].active.get(); }));
  }
  w.family("holdfast_connections_total", "counter", "Upgrade requests by outcome.");
  for (size_t r = 0; r < routes; ++r) {
    for (size_t k = 0; k < static_cast<size_t>(ConnResult::NoRoute); ++k) {
      w.sample("holdfast_connections_total", route_label(r) + "," + label("result", kResults[k]),
               w.sum([&](const Stats& s) {
                 return s.route.empty() ? 0 : s.route[r].connections[k].get();
               }));
    }
  }
  w.sample("holdfast_connections_total", label("route", "") + "," + label("result", "no_route"),
           w.sum([](const Stats& s) { return s.no_route.get(); }));

  w.family("holdfast_disconnects_total", "counter", "Closed connections by close code.");
  for (size_t r = 0; r < routes; ++r) {
    for (size_t c = 0; c < kCloseCodes.size(); ++c) {
      const std::string code = kCloseCodes[c] == 0 ? "other" : std::to_string(kCloseCodes[c]);
      w.sample("holdfast_disconnects_total", route_label(r) + "," + label("code", code),
               w.sum([&](const Stats& s) {
                 return s.route.empty() ? 0 : s.route[r].disconnects[c].get();
               }));
    }
  }

  w.family("holdfast_messages_total", "counter", "WebSocket messages by direction.");
  w.family("holdfast_message_bytes_total", "counter", "WebSocket payload bytes by direction.");
  for (size_t r = 0; r < routes; ++r) {
    auto get = [&](auto member) {
      return w.sum(
          [&](const Stats& s) { return s.route.empty() ? 0 : (s.route[r].*member).get(); });
    };
    w.sample("holdfast_messages_total", route_label(r) + ",direction=\"in\"",
             get(&RouteStats::messages_in));
    w.sample("holdfast_messages_total", route_label(r) + ",direction=\"out\"",
             get(&RouteStats::messages_out));
    w.sample("holdfast_message_bytes_total", route_label(r) + ",direction=\"in\"",
             get(&RouteStats::bytes_in));
    w.sample("holdfast_message_bytes_total", route_label(r) + ",direction=\"out\"",
             get(&RouteStats::bytes_out));
  }

  w.family("holdfast_replies_undeliverable_total", "counter",
           "Replies that reached no connection.");
  for (size_t k = 0; k < static_cast<size_t>(Undeliverable::Count); ++k) {
    w.sample("holdfast_replies_undeliverable_total", label("reason", kUndeliverable[k]),
             w.sum([&](const Stats& s) { return s.undeliverable[k].get(); }));
  }
  w.family("holdfast_replies_delivered_total", "counter", "Reply frames queued to connections.");
  w.sample("holdfast_replies_delivered_total", "",
           w.sum([](const Stats& s) { return s.replies_delivered.get(); }));

  w.family("holdfast_bus_errors_total", "counter", "Bus errors by bus and kind.");
  for (size_t k = 0; k < static_cast<size_t>(BusError::Count); ++k) {
    w.sample("holdfast_bus_errors_total",
             label("bus", kBusErrors[k][0]) + "," + label("kind", kBusErrors[k][1]),
             w.sum([&](const Stats& s) { return s.bus_errors[k].get(); }));
  }

  w.family("holdfast_config_reloads_total", "counter", "Config reloads by result.");
  constexpr const char* kReloads[] = {"success", "failure", "restart_required"};
  for (size_t k = 0; k < static_cast<size_t>(ReloadResult::Count); ++k) {
    w.sample("holdfast_config_reloads_total", label("result", kReloads[k]),
             w.sum([&](const Stats& s) { return s.config_reloads[k].get(); }));
  }

  w.family("holdfast_filter_decisions_total", "counter",
           "Filter decisions by filter and decision.");
  const auto types = filters::registry();
  for (size_t t = 0; t < types.size(); ++t) {
    for (size_t d = 0; d < types[t].decisions.size(); ++d) {
      w.sample("holdfast_filter_decisions_total",
               label("filter", std::string(types[t].name)) + "," +
                   label("decision", std::string(types[t].decisions[d])),
               w.sum([&](const Stats& s) {
                 return s.filter_decisions[filter_decision_offset(t) + d].get();
               }));
    }
  }

  auto scalar = [&](const char* name, const char* type, const char* help, auto get) {
    w.family(name, type, help);
    w.sample(name, "", w.sum(get));
  };
  scalar("holdfast_inflight_bytes", "gauge", "Bytes produced to a bus and not yet acknowledged.",
         [](const Stats& s) { return s.inflight_bytes.get(); });
  scalar("holdfast_backpressure_pauses_total", "counter",
         "Times a connection's reading was paused.",
         [](const Stats& s) { return s.backpressure_pauses.get(); });
  scalar("holdfast_slow_consumer_closes_total", "counter",
         "Connections closed with 1008 as slow consumers.",
         [](const Stats& s) { return s.slow_consumer_closes.get(); });
  scalar("holdfast_bus_timeout_closes_total", "counter",
         "Connections closed with 1013 for a stalled bus.",
         [](const Stats& s) { return s.bus_timeout_closes.get(); });
  scalar("holdfast_invalid_utf8_total", "counter", "Text messages closed with 1007.",
         [](const Stats& s) { return s.invalid_utf8.get(); });
  scalar("holdfast_message_too_big_total", "counter", "Messages closed with 1009.",
         [](const Stats& s) { return s.too_big.get(); });
  scalar("holdfast_control_messages_total", "counter", "Control commands received from upstream.",
         [](const Stats& s) { return s.control_messages.get(); });
  scalar("holdfast_control_invalid_total", "counter", "Malformed control commands ignored.",
         [](const Stats& s) { return s.bad_control.get(); });
  scalar("holdfast_channels_active", "gauge",
         "Channels with at least one local subscriber, per worker.",
         [](const Stats& s) { return s.channels.get(); });

  w.family("holdfast_connection_duration_seconds", "histogram",
           "How long connections stayed open.");
  for (size_t r = 0; r < routes; ++r) {
    histogram(
        w, "holdfast_connection_duration_seconds", route_label(r),
        [r](const Stats& s) -> const DurationHistogram& {
          return s.route.empty() ? kNoDurations : s.route[r].duration;
        },
        stats);
  }
  w.family("holdfast_bus_publish_duration_seconds", "histogram",
           "From handing a message to the bus until the bus acknowledged it.");
  histogram(
      w, "holdfast_bus_publish_duration_seconds", label("bus", "kafka"),
      [](const Stats& s) -> const LatencyHistogram& { return s.kafka_publish; }, stats);
  histogram(
      w, "holdfast_bus_publish_duration_seconds", label("bus", "redis"),
      [](const Stats& s) -> const LatencyHistogram& { return s.redis_publish; }, stats);

  double lag = 0;
  for (const Stats* s : stats)
    lag = std::max(lag, static_cast<double>(s->loop_lag_micros.get()) / 1e6);
  w.family("holdfast_event_loop_lag_seconds", "gauge",
           "The latest timer lateness of the busiest worker loop.");
  w.sample("holdfast_event_loop_lag_seconds", "", lag);

  w.family("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.");
  w.sample("process_cpu_seconds_total", "", process_cpu_seconds());
  w.family("process_open_fds", "gauge", "Number of open file descriptors.");
  w.sample("process_open_fds", "", process_open_fds());
  w.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  w.sample("process_resident_memory_bytes", "", process_rss_bytes());
  return w.out;
}

}  // namespace holdfast

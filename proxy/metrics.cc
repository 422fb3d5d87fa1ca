#include "proxy/metrics.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>

#include "filters/registry.h"
#include "proxy/file_limit.h"

namespace holdfast {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

const DurationHistogram kNoDurations{kDurationBounds};
const LatencyHistogram kNoLatencies{kLatencyBounds};

constexpr const char* kResults[] = {"accepted",        "rejected_auth", "rejected_rate",
                                    "rejected_origin", "bad_request",   "no_route"};
constexpr const char* kUndeliverable[] = {"no_connection", "no_target", "bad_target", "bad_record"};
constexpr const char* kRedisLinks[] = {"publisher", "subscriber", "rate_limit"};
constexpr const char* kBusErrors[][2] = {{"kafka", "produce"},
                                         {"kafka", "delivery"},
                                         {"kafka", "consume"},
                                         {"redis", "command"},
                                         {"redis", "connect"}};
constexpr const char* kReloads[] = {"success", "failure", "restart_required"};

// The families of one scrape, in the order they are written, with every thread's Stats summed.
class Families {
 public:
  explicit Families(const std::vector<const Stats*>& stats) : stats_(stats) {}

  // Starts a family; the samples that follow belong to it.
  void family(const char* name, MetricType type, const char* help) {
    MetricFamily& f = out_.emplace_back();
    f.name = name;
    f.type = type;
    f.help = help;
  }
  void sample(Labels labels, double value) {
    MetricFamily& f = out_.back();
    ClientMetric& m = f.metric.emplace_back();
    m.label = std::move(labels);
    if (f.type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
  }
  // One histogram series: cumulative buckets up to +Inf, sum and count.
  template <typename Get>
  void histogram(Labels labels, Get get) {
    if (stats_.empty()) return;
    const auto& bounds = get(*stats_.front()).bounds();
    ClientMetric& m = out_.back().metric.emplace_back();
    m.label = std::move(labels);
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds.size(); ++i) {
      for (const Stats* s : stats_)
        cumulative += get(*s).count(i);
      const double le = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
      m.histogram.bucket.push_back({cumulative, le});
    }
    m.histogram.sample_count = cumulative;
    m.histogram.sample_sum = sum([&](const Stats& s) { return get(s).sum(); });
  }
  template <typename Get>
  double sum(Get get) const {
    double v = 0;
    for (const Stats* s : stats_)
      v += static_cast<double>(get(*s));
    return v;
  }
  // A family of one unlabelled sample.
  template <typename Get>
  void scalar(const char* name, MetricType type, const char* help, Get get) {
    family(name, type, help);
    sample({}, sum(get));
  }

  std::vector<MetricFamily> take() {
    // A family with no samples (no routes yet, no Kafka broker seen) is left out.
    out_.erase(std::remove_if(out_.begin(), out_.end(),
                              [](const MetricFamily& f) { return f.metric.empty(); }),
               out_.end());
    return std::move(out_);
  }

 private:
  const std::vector<const Stats*>& stats_;
  std::vector<MetricFamily> out_;
};

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

void connection_families(Families& f, const Runtime& rt) {
  const size_t routes = rt.route_names.size();
  auto route = [&](size_t r) { return ClientMetric::Label{"route", rt.route_names.name(r)}; };
  auto per_route = [&](size_t r, auto get) {
    return f.sum([&](const Stats& s) { return s.route.empty() ? 0 : get(s.route[r]); });
  };

  f.family("holdfast_connections_active", MetricType::Gauge, "Open WebSocket connections.");
  for (size_t r = 0; r < routes; ++r)
    f.sample({route(r)}, per_route(r, [](const RouteStats& rs) { return rs.active.get(); }));

  f.family("holdfast_connections_total", MetricType::Counter, "Upgrade requests by outcome.");
  for (size_t r = 0; r < routes; ++r) {
    for (size_t k = 0; k < static_cast<size_t>(ConnResult::NoRoute); ++k) {
      f.sample({route(r), {"result", kResults[k]}},
               per_route(r, [k](const RouteStats& rs) { return rs.connections[k].get(); }));
    }
  }
  f.sample({{"route", ""}, {"result", "no_route"}},
           f.sum([](const Stats& s) { return s.no_route.get(); }));
  f.sample({{"route", ""}, {"result", "file_limit"}},
           f.sum([](const Stats& s) { return s.refused_file_limit.get(); }));

  f.family("holdfast_disconnects_total", MetricType::Counter, "Closed connections by close code.");
  for (size_t r = 0; r < routes; ++r) {
    for (size_t c = 0; c < kCloseCodes.size(); ++c) {
      const std::string code = kCloseCodes[c] == 0 ? "other" : std::to_string(kCloseCodes[c]);
      f.sample({route(r), {"code", code}},
               per_route(r, [c](const RouteStats& rs) { return rs.disconnects[c].get(); }));
    }
  }

  f.family("holdfast_messages_total", MetricType::Counter, "WebSocket messages by direction.");
  for (size_t r = 0; r < routes; ++r) {
    f.sample({route(r), {"direction", "in"}},
             per_route(r, [](const RouteStats& rs) { return rs.messages_in.get(); }));
    f.sample({route(r), {"direction", "out"}},
             per_route(r, [](const RouteStats& rs) { return rs.messages_out.get(); }));
  }
  f.family("holdfast_message_bytes_total", MetricType::Counter,
           "WebSocket payload bytes by direction.");
  for (size_t r = 0; r < routes; ++r) {
    f.sample({route(r), {"direction", "in"}},
             per_route(r, [](const RouteStats& rs) { return rs.bytes_in.get(); }));
    f.sample({route(r), {"direction", "out"}},
             per_route(r, [](const RouteStats& rs) { return rs.bytes_out.get(); }));
  }
}

void bus_and_reply_families(Families& f) {
  f.family("holdfast_replies_undeliverable_total", MetricType::Counter,
           "Replies that reached no connection.");
  for (size_t k = 0; k < static_cast<size_t>(Undeliverable::Count); ++k) {
    f.sample({{"reason", kUndeliverable[k]}},
             f.sum([k](const Stats& s) { return s.undeliverable[k].get(); }));
  }
  f.scalar("holdfast_replies_delivered_total", MetricType::Counter,
           "Reply frames queued to connections.",
           [](const Stats& s) { return s.replies_delivered.get(); });

  f.family("holdfast_redis_links_up", MetricType::Gauge,
           "Redis connections up, by use: publisher (one per worker), subscriber (one per "
           "worker) and rate_limit (one per worker and rate_limit filter with backend redis).");
  for (size_t k = 0; k < static_cast<size_t>(RedisLinkKind::Count); ++k) {
    f.sample({{"link", kRedisLinks[k]}},
             f.sum([k](const Stats& s) { return s.redis_links_up[k].get(); }));
  }
  f.family("holdfast_bus_errors_total", MetricType::Counter, "Bus errors by bus and kind.");
  for (size_t k = 0; k < static_cast<size_t>(BusError::Count); ++k) {
    f.sample({{"bus", kBusErrors[k][0]}, {"kind", kBusErrors[k][1]}},
             f.sum([k](const Stats& s) { return s.bus_errors[k].get(); }));
  }

  f.family("holdfast_config_reloads_total", MetricType::Counter, "Config reloads by result.");
  for (size_t k = 0; k < static_cast<size_t>(ReloadResult::Count); ++k) {
    f.sample({{"result", kReloads[k]}},
             f.sum([k](const Stats& s) { return s.config_reloads[k].get(); }));
  }

  f.family("holdfast_jwks_fetches_total", MetricType::Counter, "JWKS URL fetches by result.");
  f.sample({{"result", "success"}}, f.sum([](const Stats& s) { return s.jwks_fetch_ok.get(); }));
  f.sample({{"result", "failure"}},
           f.sum([](const Stats& s) { return s.jwks_fetch_failed.get(); }));
  f.family("holdfast_jwks_last_success_timestamp_seconds", MetricType::Gauge,
           "When a JWKS URL last answered with usable keys (0: never).");
  f.sample({}, f.sum([](const Stats& s) { return s.jwks_last_success.get(); }));

  f.family("holdfast_filter_decisions_total", MetricType::Counter,
           "Filter decisions by filter and decision.");
  const auto types = filters::registry();
  for (size_t t = 0; t < types.size(); ++t) {
    for (size_t d = 0; d < types[t].decisions.size(); ++d) {
      const size_t at = filter_decision_offset(t) + d;
      f.sample({{"filter", std::string(types[t].name)},
                {"decision", std::string(types[t].decisions[d])}},
               f.sum([at](const Stats& s) { return s.filter_decisions[at].get(); }));
    }
  }
}

void scalar_families(Families& f) {
  f.scalar("holdfast_inflight_bytes", MetricType::Gauge,
           "Bytes produced to a bus and not yet acknowledged.",
           [](const Stats& s) { return s.inflight_bytes.get(); });
  f.scalar("holdfast_backpressure_pauses_total", MetricType::Counter,
           "Times a connection's reading was paused.",
           [](const Stats& s) { return s.backpressure_pauses.get(); });
  f.scalar("holdfast_read_budget_spent_total", MetricType::Counter,
           "Times a connection sent its loop turn's share of frames and was read again next turn.",
           [](const Stats& s) { return s.read_budget_spent.get(); });
  f.scalar("holdfast_slow_consumer_closes_total", MetricType::Counter,
           "Connections closed with 1008 as slow consumers.",
           [](const Stats& s) { return s.slow_consumer_closes.get(); });
  f.scalar("holdfast_bus_timeout_closes_total", MetricType::Counter,
           "Connections closed with 1013 for a stalled bus.",
           [](const Stats& s) { return s.bus_timeout_closes.get(); });
  f.scalar("holdfast_invalid_utf8_total", MetricType::Counter, "Text messages closed with 1007.",
           [](const Stats& s) { return s.invalid_utf8.get(); });
  f.scalar("holdfast_message_too_big_total", MetricType::Counter, "Messages closed with 1009.",
           [](const Stats& s) { return s.too_big.get(); });
  f.scalar("holdfast_control_messages_total", MetricType::Counter,
           "Control commands received from upstream.",
           [](const Stats& s) { return s.control_messages.get(); });
  f.scalar("holdfast_control_invalid_total", MetricType::Counter,
           "Malformed control commands ignored.",
           [](const Stats& s) { return s.bad_control.get(); });
  f.scalar("holdfast_channels_active", MetricType::Gauge,
           "Channels with at least one local subscriber, per worker.",
           [](const Stats& s) { return s.channels.get(); });
}

void histogram_families(Families& f, const Runtime& rt) {
  const size_t routes = rt.route_names.size();
  f.family("holdfast_connection_duration_seconds", MetricType::Histogram,
           "How long connections stayed open.");
  for (size_t r = 0; r < routes; ++r) {
    f.histogram({{"route", rt.route_names.name(r)}},
                [r](const Stats& s) -> const DurationHistogram& {
                  return s.route.empty() ? kNoDurations : s.route[r].duration;
                });
  }
  f.family("holdfast_bus_publish_duration_seconds", MetricType::Histogram,
           "From handing a message to the bus until the bus acknowledged it.");
  f.histogram({{"bus", "kafka"}},
              [](const Stats& s) -> const LatencyHistogram& { return s.kafka_publish; });
  f.histogram({{"bus", "redis"}},
              [](const Stats& s) -> const LatencyHistogram& { return s.redis_publish; });
  f.family("holdfast_roundtrip_seconds", MetricType::Histogram,
           "From a message in to the next reply to its connection.");
  for (size_t r = 0; r < routes; ++r) {
    f.histogram({{"route", rt.route_names.name(r)}},
                [r](const Stats& s) -> const LatencyHistogram& {
                  return s.route.empty() ? kNoLatencies : s.route[r].roundtrip;
                });
  }
}

// librdkafka's statistics, from every Kafka client (the workers' producers and the reply
// consumer). A broker's round trip is the slowest client's.
void kafka_families(Families& f, const std::vector<const Stats*>& stats) {
  std::map<std::string, int64_t> rtt;
  for (const Stats* s : stats) {
    const KafkaClientStats& k = s->kafka;
    for (size_t i = 0, n = k.broker_count(); i < n; ++i) {
      int64_t& worst = rtt[k.broker_name(i)];
      worst = std::max(worst, k.broker_rtt_micros(i));
    }
  }
  f.family("holdfast_kafka_broker_rtt_seconds", MetricType::Gauge,
           "Round-trip time to the Kafka broker, 99th percentile over the latest statistics "
           "window.");
  for (const auto& [broker, micros] : rtt)
    f.sample({{"broker", broker}}, static_cast<double>(micros) / 1e6);
  f.scalar("holdfast_kafka_queue_messages", MetricType::Gauge,
           "Messages waiting in the Kafka producers' queues.",
           [](const Stats& s) { return s.kafka.queue_messages(); });
  f.scalar("holdfast_kafka_tx_errors_total", MetricType::Counter,
           "Kafka requests that failed to be sent to a broker.",
           [](const Stats& s) { return s.kafka.tx_errors(); });
}

}  // namespace

std::string render_metrics(const Runtime& rt, const std::vector<const Stats*>& stats,
                           const ProcessState& state) {
  Families f(stats);
  f.family("holdfast_build_info", MetricType::Gauge, "Build information.");
  f.sample({{"version", HOLDFAST_VERSION}}, 1);
  f.family("holdfast_ready", MetricType::Gauge,
           "1 when every listener and bus is up and not draining.");
  f.sample({}, state.ready ? 1 : 0);

  connection_families(f, rt);
  bus_and_reply_families(f);
  scalar_families(f);
  histogram_families(f, rt);
  if (rt.config && rt.config->kafka) kafka_families(f, stats);

  f.family("holdfast_tls_certificate_expiry_timestamp_seconds", MetricType::Gauge,
           "When the TLS listener's certificate expires, in seconds since the epoch.");
  for (const auto& c : state.certificates)
    f.sample({{"listener", c.listener}}, static_cast<double>(c.not_after));

  double lag = 0;
  for (const Stats* s : stats)
    lag = std::max(lag, static_cast<double>(s->loop_lag_micros.get()) / 1e6);
  f.family("holdfast_event_loop_lag_seconds", MetricType::Gauge,
           "The latest timer lateness of the busiest worker loop.");
  f.sample({}, lag);

  f.family("process_cpu_seconds_total", MetricType::Counter,
           "User and system CPU time spent in seconds.");
  f.sample({}, process_cpu_seconds());
  f.family("process_open_fds", MetricType::Gauge, "Number of open file descriptors.");
  f.sample({}, process_open_fds());
  f.family("process_max_fds", MetricType::Gauge, "Maximum number of open file descriptors.");
  f.sample({}, static_cast<double>(file_limit()));
  f.family("process_resident_memory_bytes", MetricType::Gauge, "Resident memory size in bytes.");
  f.sample({}, process_rss_bytes());
  return prometheus::TextSerializer().Serialize(f.take());
}

}  // namespace holdfast

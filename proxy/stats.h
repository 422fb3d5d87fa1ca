// Counters kept by one thread and read by the admin endpoint from another. Each thread owns its
// own Stats, so an increment is a plain relaxed load and store: no lock prefix, no sharing.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "proxy/kafka_client_stats.h"

namespace holdfast {

class Counter {
 public:
  void inc(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void add(int64_t n) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(int64_t n) { v_.store(n, std::memory_order_relaxed); }
  int64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// A fixed-bucket histogram written by one thread: an observation is a bucket search over a
// dozen bounds and three relaxed stores.
template <size_t N>
class Histogram {
 public:
  explicit constexpr Histogram(const std::array<double, N>& bounds) : bounds_(bounds) {}
  void observe(double value) {
    size_t i = 0;
    while (i < N && value > bounds_[i])
      ++i;
    counts_[i].inc();
    sum_micros_.inc(static_cast<uint64_t>(value * 1e6));
  }
  const std::array<double, N>& bounds() const { return bounds_; }
  uint64_t count(size_t bucket) const { return counts_[bucket].get(); }  // bucket N is +Inf
  double sum() const { return static_cast<double>(sum_micros_.get()) / 1e6; }

 private:
  std::array<double, N> bounds_;
  std::array<Counter, N + 1> counts_;
  Counter sum_micros_;
};

inline constexpr std::array<double, 14> kLatencyBounds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
inline constexpr std::array<double, 10> kDurationBounds = {1,   5,    30,    60,    300,
                                                           900, 3600, 14400, 86400, 604800};
using LatencyHistogram = Histogram<kLatencyBounds.size()>;
using DurationHistogram = Histogram<kDurationBounds.size()>;

// Close codes reported as their own label value; the rest are "other".
inline constexpr std::array<int, 11> kCloseCodes = {1000, 1001, 1006, 1007, 1008, 1009,
                                                    1011, 1013, 4000, 4001, 0};
size_t close_code_index(int code);  // index into kCloseCodes; the last slot is "other"

enum class ReloadResult { Success, Failure, RestartRequired, Count };

enum class ConnResult {
  Accepted,
  RejectedAuth,
  RejectedRate,
  RejectedOrigin,
  BadRequest,  // an upgrade request the proxy cannot serve, such as an unknown subprotocol
  NoRoute,
  Count
};
enum class Undeliverable { NoConnection, NoTarget, BadTarget, BadRecord, Count };
// What a Redis connection is for (holdfast_redis_links_up).
enum class RedisLinkKind { Publisher, Subscriber, RateLimit, Count };
enum class BusError {
  KafkaProduce,
  KafkaDelivery,
  KafkaConsume,
  RedisCommand,
  RedisConnect,
  Count
};

struct RouteStats {
  Gauge active;
  std::array<Counter, static_cast<size_t>(ConnResult::Count)> connections;
  std::array<Counter, kCloseCodes.size()> disconnects;
  Counter messages_in, messages_out, bytes_in, bytes_out;
  DurationHistogram duration{kDurationBounds};
  LatencyHistogram roundtrip{kLatencyBounds};  // a message in to the next reply to its connection
};

// Where each filter type's decision counters start in Stats::filter_decisions (the decisions
// of filters::registry(), row after row), and how many there are in all.
size_t filter_decision_offset(size_t filter_type);
size_t filter_decision_count();

struct Stats {
  explicit Stats(size_t routes) : route(routes), filter_decisions(filter_decision_count()) {}
  std::vector<RouteStats> route;          // by global route index
  std::vector<Counter> filter_decisions;  // holdfast_filter_decisions_total
  Counter& filter_decision(size_t type, size_t decision) {
    return filter_decisions[filter_decision_offset(type) + decision];
  }
  Counter no_route;            // upgrade requests for paths with no route
  Counter refused_file_limit;  // connections answered 503 for want of file descriptors
  std::array<Counter, static_cast<size_t>(Undeliverable::Count)> undeliverable;
  std::array<Counter, static_cast<size_t>(BusError::Count)> bus_errors;
  std::array<Gauge, static_cast<size_t>(RedisLinkKind::Count)> redis_links_up;
  Gauge inflight_bytes;
  Counter backpressure_pauses;
  Counter read_budget_spent;  // a connection used its loop turn's share of frames
  Counter slow_consumer_closes;
  Counter bus_timeout_closes;
  Counter invalid_utf8;
  Counter too_big;
  Counter control_messages;
  Counter bad_control;
  Gauge channels;
  Counter replies_delivered;
  LatencyHistogram kafka_publish{kLatencyBounds};  // produce to broker acknowledgement
  LatencyHistogram redis_publish{kLatencyBounds};  // command written to reply read
  Gauge loop_lag_micros;                           // the worst timer lateness of the last tick
  std::array<Counter, static_cast<size_t>(ReloadResult::Count)> config_reloads;  // main loop
  Counter jwks_fetch_ok, jwks_fetch_failed;  // main loop: JWKS URL fetches
  Gauge jwks_last_success;                   // main loop: unix seconds of the newest good fetch
  KafkaClientStats kafka;  // librdkafka statistics of the Kafka client this thread serves
};

}  // namespace holdfast

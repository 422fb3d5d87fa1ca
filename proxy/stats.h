// Counters kept by one thread and read by the admin endpoint from another. Each thread owns its
// own Stats, so an increment is a plain relaxed load and store: no lock prefix, no sharing.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

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

// Close codes reported as their own label value; the rest are "other".
inline constexpr std::array<int, 11> kCloseCodes = {1000, 1001, 1006, 1007, 1008, 1009,
                                                    1011, 1013, 4000, 4001, 0};
size_t close_code_index(int code);  // index into kCloseCodes; the last slot is "other"

enum class ConnResult { Accepted, RejectedAuth, RejectedRate, RejectedOrigin, NoRoute, Count };
enum class Undeliverable { NoConnection, NoTarget, BadTarget, BadRecord, Count };
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
};

struct Stats {
  explicit Stats(size_t routes) : route(routes) {}
  std::vector<RouteStats> route;  // by global route index
  Counter no_route;               // upgrade requests for paths with no route
  std::array<Counter, static_cast<size_t>(Undeliverable::Count)> undeliverable;
  std::array<Counter, static_cast<size_t>(BusError::Count)> bus_errors;
  Gauge inflight_bytes;
  Counter backpressure_pauses;
  Counter slow_consumer_closes;
  Counter bus_timeout_closes;
  Counter invalid_utf8;
  Counter too_big;
  Counter control_messages;
  Counter bad_control;
  Gauge channels;
  Counter replies_delivered;
};

}  // namespace holdfast

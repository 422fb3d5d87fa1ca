// The librdkafka statistics one Kafka client exports: its producer queue depth, its transmit
// errors and the round-trip time to each broker. Like the rest of Stats, one thread writes (the
// one that serves the client's callbacks, where the statistics callback runs) and the scrape
// reads from another, so every value is a relaxed atomic and a broker's name is published once,
// before the count that makes it visible.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace holdfast {

// Brokers a client keeps apart, by "host:port". A cluster larger than this exports the first ones.
inline constexpr size_t kKafkaMaxBrokers = 64;

class KafkaClientStats {
 public:
  // Writer side: the client's statistics callback only.
  void set_queue_messages(int64_t n) { queue_messages_.store(n, std::memory_order_relaxed); }
  void add_tx_errors(uint64_t n) {
    tx_errors_.store(tx_errors_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // The slot of the broker `nodename`, added when new; kKafkaMaxBrokers when the table is full.
  size_t broker_slot(std::string_view nodename) {
    const size_t n = brokers_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < n; ++i) {
      if (broker_names_[i] == nodename) return i;
    }
    if (n == kKafkaMaxBrokers) return kKafkaMaxBrokers;
    broker_names_[n] = nodename;
    brokers_.store(n + 1, std::memory_order_release);
    return n;
  }
  void set_broker_rtt_micros(size_t slot, int64_t micros) {
    broker_rtt_micros_[slot].store(micros, std::memory_order_relaxed);
  }

  // Reader side: any thread.
  int64_t queue_messages() const { return queue_messages_.load(std::memory_order_relaxed); }
  uint64_t tx_errors() const { return tx_errors_.load(std::memory_order_relaxed); }
  size_t broker_count() const { return brokers_.load(std::memory_order_acquire); }
  const std::string& broker_name(size_t slot) const { return broker_names_[slot]; }
  int64_t broker_rtt_micros(size_t slot) const {
    return broker_rtt_micros_[slot].load(std::memory_order_relaxed);
  }

 private:
  std::atomic<int64_t> queue_messages_{0};
  std::atomic<uint64_t> tx_errors_{0};
  std::atomic<size_t> brokers_{0};
  std::array<std::string, kKafkaMaxBrokers> broker_names_;  // fixed once published
  std::array<std::atomic<int64_t>, kKafkaMaxBrokers> broker_rtt_micros_{};
};

}  // namespace holdfast

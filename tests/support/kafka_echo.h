// An upstream service for tests, as a request-reply framework behaves: it reads the inbound
// topic and answers each record on its kafka_replyTopic with the same value and the
// kafka_correlationId header copied (and used as the key, so one connection's replies keep their
// order). It runs on its own thread until stopped or destroyed.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/kafka_client.h"

namespace holdfast::test {

class KafkaEchoService {
 public:
  // The consumer is positioned at the end of `in_topic` before the constructor returns.
  explicit KafkaEchoService(const std::string& in_topic);
  ~KafkaEchoService();
  KafkaEchoService(const KafkaEchoService&) = delete;
  KafkaEchoService& operator=(const KafkaEchoService&) = delete;

  // Stops the thread after flushing the replies already produced. Idempotent.
  void stop();
  size_t echoed() const { return echoed_.load(); }
  // Every inbound record seen so far, in the order it was consumed.
  std::vector<KafkaRecord> records() const;
  // The first failure, empty when none (a record without reply headers counts as one).
  std::string error() const;

 private:
  void run();

  KafkaConsumer consumer_;
  KafkaProducer producer_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> echoed_{0};
  mutable std::mutex mu_;
  std::vector<KafkaRecord> records_;
  std::string error_;
  std::thread thread_;
};

}  // namespace holdfast::test

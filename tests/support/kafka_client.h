// Kafka the way an ordinary upstream service uses it: plain librdkafka, no holdfast code.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/net.h"

namespace holdfast::test {

struct KafkaRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string> key;  // nullopt when the record has no key
  std::string value;
  Headers headers;  // in record order; a null header value reads as empty

  // The first header named `name` (exact, case-sensitive as Kafka is).
  std::optional<std::string> header(std::string_view name) const;
  size_t header_count(std::string_view name) const;
};

// `prefix` plus a random suffix, e.g. "e2e.kecho.in.4f9c0a1b2d", so tests never share topics.
std::string unique_topic(std::string_view prefix);

// Creates the topics (replication 1) unless they exist, then waits until each has leaders for
// all its partitions. Throws std::runtime_error when that does not happen within `timeout`.
void create_topics(const std::vector<std::string>& topics, int partitions = 3,
                   Millis timeout = Millis(30000));

// Deletes the topics, waiting up to `timeout` for the answer. Best effort: errors are ignored.
void delete_topics(const std::vector<std::string>& topics, Millis timeout = Millis(10000));

// The topics of one test: created (and ready) by the constructor, deleted by the destructor, so
// repeated runs do not pile topics up on the broker. Declare it before anything that uses them.
class ScopedTopics {
 public:
  explicit ScopedTopics(std::vector<std::string> names, int partitions = 3);
  ~ScopedTopics() { delete_topics(names_); }
  ScopedTopics(const ScopedTopics&) = delete;
  ScopedTopics& operator=(const ScopedTopics&) = delete;

 private:
  std::vector<std::string> names_;
};

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const;
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

// Reads topics from their end at construction: every partition is assigned at the high
// watermark queried then, so exactly the records produced after the constructor returns are
// seen. No consumer group takes part.
class KafkaConsumer {
 public:
  explicit KafkaConsumer(const std::vector<std::string>& topics);
  explicit KafkaConsumer(const std::string& topic)
      : KafkaConsumer(std::vector<std::string>{topic}) {}

  // The next record from any assigned partition; nullopt after `timeout`.
  std::optional<KafkaRecord> next(Millis timeout);
  // Up to `count` records, returning early when `timeout` (for all of them) passes.
  std::vector<KafkaRecord> take(size_t count, Millis timeout);
  // The next record satisfying `pred`; records that do not are dropped.
  std::optional<KafkaRecord> next_matching(const std::function<bool(const KafkaRecord&)>& pred,
                                           Millis timeout);

 private:
  KafkaHandle rk_;
};

class KafkaProducer {
 public:
  KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Queues one record; retries while librdkafka's queue is full. Throws on other errors.
  void produce(const std::string& topic, std::string_view value, const Headers& headers = {},
               const std::optional<std::string>& key = std::nullopt);
  // Serves delivery reports without waiting.
  void poll();
  // Waits for every queued record. Throws when one failed or `timeout` passed.
  void flush(Millis timeout = Millis(15000));

 private:
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);

  KafkaHandle rk_;
  size_t failed_ = 0;
  std::string last_error_;
};

}  // namespace holdfast::test

#include "tests/support/kafka_echo.h"

#include <exception>

namespace holdfast::test {

KafkaEchoService::KafkaEchoService(const std::string& in_topic)
    : consumer_(in_topic), thread_([this] { run(); }) {}

KafkaEchoService::~KafkaEchoService() {
  stop();
}

void KafkaEchoService::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<KafkaRecord> KafkaEchoService::records() const {
  std::lock_guard lock(mu_);
  return records_;
}

std::string KafkaEchoService::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

void KafkaEchoService::run() {
  try {
    while (!stop_) {
      auto r = consumer_.next(Millis(50));
      producer_.poll();
      if (!r) continue;
      const auto reply_topic = r->header("kafka_replyTopic");
      const auto correlation = r->header("kafka_correlationId");
      if (!reply_topic || !correlation) {
        std::lock_guard lock(mu_);
        if (error_.empty()) error_ = "inbound record without kafka_replyTopic or correlation id";
      } else {
        // Keyed by the correlation id, so one connection's replies share a partition and keep
        // their order.
        producer_.produce(*reply_topic, r->value, {{"kafka_correlationId", *correlation}},
                          *correlation);
        ++echoed_;
      }
      std::lock_guard lock(mu_);
      records_.push_back(std::move(*r));
    }
    producer_.flush();
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    if (error_.empty()) error_ = e.what();
  }
}

}  // namespace holdfast::test

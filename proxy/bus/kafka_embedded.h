// `brokers: embedded`: librdkafka's in-process mock cluster, for development without Java.
// Ordinary Kafka clients reach it on the address it reports.
#pragma once

#include <string>

#include "proxy/bus/kafka_common.h"
// After rdkafka.h, which kafka_common.h includes.
#include <librdkafka/rdkafka_mock.h>

namespace holdfast {

class EmbeddedKafka {
 public:
  bool start(std::string& error);
  const std::string& bootstrap() const { return bootstrap_; }
  void create_topic(const std::string& name, int partitions);
  ~EmbeddedKafka();

 private:
  KafkaHandle owner_;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

}  // namespace holdfast

#include "proxy/bus/kafka_embedded.h"

#include <librdkafka/rdkafka_mock.h>

namespace holdfast {

bool EmbeddedKafka::start(std::string& error) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "client.id", "holdfast-embedded-broker", err, sizeof err);
  // This client only owns the mock cluster and never connects, which librdkafka warns about.
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  route_kafka_logs(conf);
  owner_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
  if (!owner_) {
    rd_kafka_conf_destroy(conf);
    error = err;
    return false;
  }
  cluster_ = rd_kafka_mock_cluster_new(owner_.get(), 1);
  if (cluster_ == nullptr) {
    error = "the embedded broker did not start";
    return false;
  }
  bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  return true;
}

void EmbeddedKafka::create_topic(const std::string& name, int partitions) {
  rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1);
}

EmbeddedKafka::~EmbeddedKafka() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
}

}  // namespace holdfast

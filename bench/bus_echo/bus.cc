#include "bus.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hfbench::bus {

std::atomic<bool> g_stop{false};

void HandleStopSignals() {
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
}

namespace {

rd_kafka_conf_t* BaseConf(const std::string& brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[256];
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err) !=
      RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "kafka: %s\n", err);
    std::exit(2);
  }
  return conf;
}

void Set(rd_kafka_conf_t* conf, const char* key, const char* value) {
  char err[256];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "kafka: %s=%s: %s\n", key, value, err);
    std::exit(2);
  }
}

rd_kafka_t* Make(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[256];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) {
    std::fprintf(stderr, "kafka: %s\n", err);
    std::exit(2);
  }
  return rk;
}

}  // namespace

rd_kafka_t* NewProducer(const std::string& brokers, bool idempotent) {
  rd_kafka_conf_t* conf = BaseConf(brokers);
  Set(conf, "linger.ms", "5");  // as holdfast and librdkafka by default
  Set(conf, "acks", "all");
  Set(conf, "enable.idempotence", idempotent ? "true" : "false");
  return Make(RD_KAFKA_PRODUCER, conf);
}

rd_kafka_t* NewTailConsumer(const std::string& brokers, const std::string& topic) {
  rd_kafka_conf_t* conf = BaseConf(brokers);
  Set(conf, "group.id", "hf-bench-unused");  // required by the API; offsets are never committed
  Set(conf, "enable.auto.commit", "false");
  Set(conf, "enable.auto.offset.store", "false");
  Set(conf, "fetch.wait.max.ms", "10");
  rd_kafka_t* rk = Make(RD_KAFKA_CONSUMER, conf);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 0, t, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1 ||
      md->topics[0].partition_cnt == 0) {
    std::fprintf(stderr, "kafka: no metadata for topic %s\n", topic.c_str());
    std::exit(2);
  }
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(0);
  for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), md->topics[0].partitions[i].id)
        ->offset = RD_KAFKA_OFFSET_END;
  }
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  return rk;
}

bool Produce(rd_kafka_t* p, const std::string& topic, std::string_view key, std::string_view value,
             const std::vector<Field>& headers) {
  for (;;) {
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(headers.size());
    for (const Field& h : headers) {
      rd_kafka_header_add(hdrs, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                          static_cast<ssize_t>(h.value.size()));
    }
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        p, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;  // the record owns the headers now
    rd_kafka_headers_destroy(hdrs);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;
    rd_kafka_poll(p, 1);
  }
}

std::string_view Header(const rd_kafka_message_t* m, const char* name) {
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  const void* v = nullptr;
  size_t n = 0;
  if (rd_kafka_header_get_last(hdrs, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  return {static_cast<const char*>(v), n};
}

redisContext* ConnectRedis(const std::string& address) {
  std::string a = address;
  if (a.rfind("redis://", 0) == 0) a = a.substr(8);
  const size_t colon = a.rfind(':');
  const std::string host = colon == std::string::npos ? a : a.substr(0, colon);
  const int port = colon == std::string::npos ? 6379 : std::atoi(a.c_str() + colon + 1);
  redisContext* c = redisConnect(host.c_str(), port);
  if (c == nullptr || c->err) {
    std::fprintf(stderr, "redis: cannot connect to %s\n", address.c_str());
    std::exit(2);
  }
  return c;
}

}  // namespace hfbench::bus

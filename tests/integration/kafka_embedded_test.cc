// `brokers: embedded`: the in-process broker answers ordinary librdkafka clients on the address
// it reports.
#include "proxy/bus/kafka_embedded.h"

#include <catch2/catch.hpp>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>

#include "tests/support/net.h"

namespace holdfast::test::integration {
namespace {

rd_kafka_t* plain_client(rd_kafka_type_t type, const std::string& bootstrap, const Headers& props) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  Headers all = {{"bootstrap.servers", bootstrap}, {"log_level", "3"}};
  all.insert(all.end(), props.begin(), props.end());
  for (const auto& [k, v] : all) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(k + ": " + err);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(err);
  }
  return rk;
}

struct Client {
  explicit Client(rd_kafka_t* h) : rk(h) {}
  ~Client() {
    if (rd_kafka_type(rk) == RD_KAFKA_CONSUMER) rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  rd_kafka_t* rk;
};

}  // namespace

TEST_CASE("embedded kafka round-trips a record for plain clients", "[kafka]") {
  EmbeddedKafka broker;
  std::string error;
  REQUIRE(broker.start(error));
  INFO("bootstrap " << broker.bootstrap());
  CHECK(std::regex_match(broker.bootstrap(), std::regex(R"(127\.0\.0\.1:[1-9][0-9]*)")));
  const std::string topic = "itest.embedded";
  broker.create_topic(topic, 1);

  {
    Client producer(plain_client(RD_KAFKA_PRODUCER, broker.bootstrap(), {{"linger.ms", "1"}}));
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(1);
    rd_kafka_header_add(hdrs, "kafka_correlationId", -1, "conn-1", 6);
    const std::string value = "through the embedded broker";
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer.rk, RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_KEY("k", 1),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_headers_destroy(hdrs);
    REQUIRE(err == RD_KAFKA_RESP_ERR_NO_ERROR);
    REQUIRE(rd_kafka_flush(producer.rk, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
    CHECK(rd_kafka_outq_len(producer.rk) == 0);
  }

  Client consumer(plain_client(RD_KAFKA_CONSUMER, broker.bootstrap(),
                               {{"group.id", "itest-embedded"},
                                {"enable.auto.commit", "false"},
                                {"fetch.wait.max.ms", "10"}}));
  rd_kafka_poll_set_consumer(consumer.rk);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  const rd_kafka_resp_err_t assigned = rd_kafka_assign(consumer.rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  REQUIRE(assigned == RD_KAFKA_RESP_ERR_NO_ERROR);

  std::optional<std::string> value, key, correlation;
  const auto deadline = Clock::now() + Millis(10000);
  while (!value && Clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.rk, millis_left(deadline));
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      value = std::string(static_cast<const char*>(m->payload), m->len);
      key = std::string(static_cast<const char*>(m->key), m->key_len);
      rd_kafka_headers_t* hdrs = nullptr;
      const void* v = nullptr;
      size_t size = 0;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(hdrs, "kafka_correlationId", &v, &size) ==
              RD_KAFKA_RESP_ERR_NO_ERROR) {
        correlation = std::string(static_cast<const char*>(v), size);
      }
    }
    rd_kafka_message_destroy(m);
  }
  REQUIRE(value);
  CHECK(*value == "through the embedded broker");
  CHECK(key == "k");
  CHECK(correlation == "conn-1");
}

}  // namespace holdfast::test::integration

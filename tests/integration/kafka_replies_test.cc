// The reply consumer against a real broker: it reads every partition from the end at start,
// hands each record over with its headers, and picks up a topic that appears after it started.
#include "proxy/bus/kafka_replies.h"

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/bus_harness.h"
#include "tests/support/env.h"
#include "tests/support/kafka_client.h"

namespace holdfast::test::integration {
namespace {

struct Received {
  std::string topic;
  std::string value;
  std::optional<std::string> key;
  Headers headers;
};

Received copy_record(const rd_kafka_message_t& m) {
  Received r;
  r.topic = rd_kafka_topic_name(m.rkt);
  if (m.payload != nullptr) r.value.assign(static_cast<const char*>(m.payload), m.len);
  if (m.key != nullptr) r.key = std::string(static_cast<const char*>(m.key), m.key_len);
  rd_kafka_headers_t* hdrs = nullptr;
  // rd_kafka_message_headers takes a non-const message but only reads it.
  if (rd_kafka_message_headers(const_cast<rd_kafka_message_t*>(&m), &hdrs) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      r.headers.emplace_back(name, value == nullptr
                                       ? std::string()
                                       : std::string(static_cast<const char*>(value), size));
    }
  }
  return r;
}

struct RepliesFixture {
  explicit RepliesFixture(std::vector<std::string> topics) {
    cfg.brokers = kafka_brokers();
    replies = std::make_unique<KafkaReplies>(
        loop.get(), kafka_brokers(), cfg, "itest", std::move(topics), stats,
        [this](const rd_kafka_message_t& m) { received.push_back(copy_record(m)); });
  }
  ~RepliesFixture() {
    if (replies) replies->stop();
    replies.reset();
  }

  TestLoop loop;
  config::KafkaBus cfg;
  Stats stats{0};
  std::vector<Received> received;
  std::unique_ptr<KafkaReplies> replies;
};

}  // namespace

TEST_CASE("kafka replies start at the end and deliver later records with headers", "[kafka]") {
  const std::string topic = unique_topic("itest.kreplies");
  create_topics({topic});
  KafkaProducer producer;
  for (int i = 0; i < 6; ++i)
    producer.produce(topic, "before-" + std::to_string(i), {}, "k" + std::to_string(i));
  producer.flush();

  RepliesFixture f({topic});
  std::string error;
  REQUIRE(f.replies->start(error));
  REQUIRE(f.loop.run_until([&] { return f.replies->ready(); }, Millis(20000)));

  for (int i = 0; i < 6; ++i) {
    producer.produce(topic, "after-" + std::to_string(i),
                     {{"holdfast-target", "user:alice"},
                      {"kafka_correlationId", "conn-" + std::to_string(i)},
                      {"content-type", "application/json"}},
                     "k" + std::to_string(i));
  }
  producer.flush();
  REQUIRE(f.loop.run_until([&] { return f.received.size() >= 6; }, Millis(15000)));
  f.loop.run_for(Millis(300));  // anything else that was coming has come

  std::set<std::string> values;
  for (const auto& r : f.received) {
    values.insert(r.value);
    CHECK(r.topic == topic);
    CHECK(r.value.rfind("after-", 0) == 0);  // nothing produced before start
    REQUIRE(r.key);
    const std::string n = r.value.substr(6);
    CHECK(*r.key == "k" + n);
    const Headers expected = {{"holdfast-target", "user:alice"},
                              {"kafka_correlationId", "conn-" + n},
                              {"content-type", "application/json"}};
    CHECK(r.headers == expected);
  }
  CHECK(f.received.size() == 6);
  CHECK(values.size() == 6);
  CHECK(bus_errors(f.stats, BusError::KafkaConsume) == 0);
}

TEST_CASE("kafka replies wait for a topic that does not exist yet", "[kafka]") {
  const std::string topic = unique_topic("itest.kreplies.late");
  RepliesFixture f({topic});
  std::string error;
  REQUIRE(f.replies->start(error));
  // The broker auto-creates topics on metadata requests, so asking is enough to create it.
  REQUIRE(f.loop.run_until([&] { return f.replies->ready(); }, Millis(30000)));

  KafkaProducer producer;
  producer.produce(topic, "first reply", {{"kafka_correlationId", "conn-1"}}, "k");
  producer.flush();
  REQUIRE(f.loop.run_until([&] { return !f.received.empty(); }, Millis(15000)));
  CHECK(f.received.size() == 1);
  CHECK(f.received[0].value == "first reply");
  CHECK(f.received[0].headers == Headers{{"kafka_correlationId", "conn-1"}});
}

}  // namespace holdfast::test::integration

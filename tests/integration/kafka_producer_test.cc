// The worker's Kafka producer against a real broker: what a plain consumer reads back, in what
// order, and what the worker hears when the broker is not there.
#include "proxy/bus/kafka_producer.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/bus_harness.h"
#include "tests/support/env.h"
#include "tests/support/kafka_client.h"

namespace holdfast::test::integration {
namespace {

struct ProducerFixture {
  explicit ProducerFixture(config::Properties props = {},
                           const std::string& brokers = kafka_brokers()) {
    cfg.brokers = brokers;
    cfg.producer = std::move(props);
    producer =
        holdfast::KafkaProducer::create(loop.get(), brokers, cfg, "itest", 0, sink, stats, error);
  }
  ~ProducerFixture() {
    if (producer) producer->close();
    producer.reset();
  }

  TestLoop loop;
  config::KafkaBus cfg;
  RecordingSink sink;
  Stats stats{0};
  EventScratch scratch;
  std::string error;
  std::unique_ptr<holdfast::KafkaProducer> producer;
};

BusTarget kafka_target(const std::string& topic, const std::string* key) {
  BusTarget t;
  t.kind = BusTarget::Kind::Kafka;
  t.name = topic;
  if (key != nullptr) {
    t.key = *key;
    t.has_key = true;
  }
  return t;
}

std::vector<std::string> header_names(const KafkaRecord& r) {
  std::vector<std::string> out;
  for (const auto& h : r.headers)
    out.push_back(h.first);
  return out;
}

}  // namespace

TEST_CASE("kafka producer writes a message record with every contract header", "[kafka]") {
  const std::string topic = unique_topic("itest.kprod.msg");
  KafkaConsumer consumer(topic);
  ProducerFixture f;
  REQUIRE(f.producer);

  TestEvent te;
  te.content_type = std::string(contract::kOctetStream);
  te.data = std::string("bin\0ary\xff\x01 payload", 17);
  te.binary = true;
  te.metadata = {{"room", "lobby"}, {"tenant", "acme"}};
  const std::string key = "lobby";
  const BusTarget target = kafka_target(topic, &key);

  REQUIRE(f.producer->produce(target, te.event(), 42, f.scratch) == BusStatus::Accepted);
  REQUIRE(f.loop.run_until([&] { return !f.sink.acks.empty(); }, Millis(15000)));
  REQUIRE(f.sink.acks.size() == 1);
  CHECK(f.sink.acks[0].handle == 42);
  CHECK(f.sink.acks[0].bytes == te.data.size());
  CHECK(f.sink.acks[0].result == BusResult::Ok);

  const auto rec = consumer.next(Millis(15000));
  REQUIRE(rec);
  CHECK(rec->value == te.data);
  REQUIRE(rec->key);
  CHECK(*rec->key == key);
  const std::vector<std::string> expected_names = {"ce_specversion",
                                                   "ce_id",
                                                   "ce_source",
                                                   "ce_type",
                                                   "ce_time",
                                                   "content-type",
                                                   "ce_connectionid",
                                                   "kafka_replyTopic",
                                                   "kafka_correlationId",
                                                   "traceparent",
                                                   "ce_room",
                                                   "ce_tenant"};
  CHECK(header_names(*rec) == expected_names);
  CHECK(rec->header("ce_specversion") == "1.0");
  CHECK(rec->header("ce_id") == te.id);
  CHECK(rec->header("ce_source") == te.source);
  CHECK(rec->header("ce_type") == "io.holdfast.message");
  CHECK(rec->header("ce_time") == te.time);
  CHECK(rec->header("content-type") == "application/octet-stream");
  CHECK(rec->header("ce_connectionid") == te.connection_id);
  CHECK(rec->header("kafka_replyTopic") == te.reply_to);
  CHECK(rec->header("kafka_correlationId") == te.connection_id);
  CHECK(rec->header("traceparent") == te.traceparent);
  CHECK(rec->header("ce_room") == "lobby");
  CHECK(rec->header("ce_tenant") == "acme");
  CHECK(rec->header_count("ce_authid") == 0);
  CHECK(rec->header_count("ce_closecode") == 0);
  CHECK(bus_errors(f.stats, BusError::KafkaProduce) == 0);
  CHECK(bus_errors(f.stats, BusError::KafkaDelivery) == 0);
}

TEST_CASE("kafka producer keeps one key's records in produce order and acknowledges all",
          "[kafka]") {
  constexpr int kCount = 1000;
  const std::string topic = unique_topic("itest.kprod.order");
  KafkaConsumer consumer(topic);
  ProducerFixture f;
  REQUIRE(f.producer);

  const std::string key = "one-connection";
  const BusTarget target = kafka_target(topic, &key);
  TestEvent te;
  for (int i = 0; i < kCount; ++i) {
    te.data = "m" + std::to_string(i);
    te.id = "itestboot0001-0-1-" + std::to_string(i);
    const BusStatus st = f.producer->produce(target, te.event(), 1000 + i, f.scratch);
    REQUIRE(st == BusStatus::Accepted);
  }
  REQUIRE(f.loop.run_until([&] { return f.sink.acks.size() >= kCount; }, Millis(30000)));
  CHECK(f.sink.acks.size() == kCount);
  CHECK(f.sink.count(BusResult::Ok) == kCount);
  const auto per_handle = f.sink.per_handle();
  CHECK(per_handle.size() == kCount);
  CHECK(per_handle.begin()->first == 1000);
  CHECK(per_handle.rbegin()->first == 1000 + kCount - 1);

  const auto records = consumer.take(kCount, Millis(30000));
  REQUIRE(records.size() == kCount);
  int out_of_order = 0, other_partition = 0, other_key = 0;
  for (int i = 0; i < kCount; ++i) {
    out_of_order += records[i].value == "m" + std::to_string(i) ? 0 : 1;
    other_partition += records[i].partition == records[0].partition ? 0 : 1;
    other_key += records[i].key == key ? 0 : 1;
  }
  CHECK(out_of_order == 0);
  CHECK(other_partition == 0);
  CHECK(other_key == 0);
}

TEST_CASE("kafka producer writes a disconnect event with close headers and no key", "[kafka]") {
  const std::string topic = unique_topic("itest.kprod.events");
  KafkaConsumer consumer(topic);
  ProducerFixture f;
  REQUIRE(f.producer);

  TestEvent te;
  te.type = std::string(contract::kTypeDisconnect);
  te.content_type.clear();
  te.auth_id = "alice";
  te.close_code = 1001;
  te.close_reason = "going away";
  const BusTarget target = kafka_target(topic, nullptr);

  REQUIRE(f.producer->produce(target, te.event(), 7, f.scratch) == BusStatus::Accepted);
  REQUIRE(f.loop.run_until([&] { return !f.sink.acks.empty(); }, Millis(15000)));
  CHECK(f.sink.acks[0].result == BusResult::Ok);
  CHECK(f.sink.acks[0].bytes == 0);

  const auto rec = consumer.next(Millis(15000));
  REQUIRE(rec);
  CHECK_FALSE(rec->key.has_value());
  CHECK(rec->value.empty());
  CHECK(rec->header("ce_type") == "io.holdfast.disconnect");
  CHECK(rec->header("ce_closecode") == "1001");
  CHECK(rec->header("ce_closereason") == "going away");
  CHECK(rec->header("ce_authid") == "alice");
  CHECK(rec->header_count("content-type") == 0);
  CHECK(rec->header_count("ce_closecode") == 1);
}

TEST_CASE("kafka producer rejects an unknown operator property by name", "[kafka]") {
  ProducerFixture f(config::Properties{{"no.such.property", "1"}});
  CHECK_FALSE(f.producer);
  CHECK_THAT(f.error, Catch::Contains("no.such.property"));
}

TEST_CASE("kafka producer takes an acks override from the operator", "[kafka]") {
  const std::string topic = unique_topic("itest.kprod.acks");
  KafkaConsumer consumer(topic);
  ProducerFixture f(config::Properties{{"acks", "1"}});
  INFO("create error: " << f.error);
  REQUIRE(f.producer);

  TestEvent te;
  te.data = "acked by the leader";
  const BusTarget target = kafka_target(topic, nullptr);
  REQUIRE(f.producer->produce(target, te.event(), 9, f.scratch) == BusStatus::Accepted);
  REQUIRE(f.loop.run_until([&] { return !f.sink.acks.empty(); }, Millis(15000)));
  CHECK(f.sink.acks[0].result == BusResult::Ok);
  const auto rec = consumer.next(Millis(15000));
  REQUIRE(rec);
  CHECK(rec->value == te.data);
}

TEST_CASE("kafka producer reports a timeout when no broker is there", "[kafka]") {
  ProducerFixture f(config::Properties{{"message.timeout.ms", "1500"}}, "127.0.0.1:1");
  INFO("create error: " << f.error);
  REQUIRE(f.producer);
  const uint64_t errors_before = bus_errors(f.stats, BusError::KafkaDelivery);

  TestEvent te;
  te.data = "nobody home";
  const std::string topic = "itest.kprod.nowhere";
  const BusTarget target = kafka_target(topic, nullptr);
  REQUIRE(f.producer->produce(target, te.event(), 11, f.scratch) == BusStatus::Accepted);
  const auto start = Clock::now();
  REQUIRE(f.loop.run_until([&] { return !f.sink.acks.empty(); }, Millis(10000)));
  const auto waited = std::chrono::duration_cast<Millis>(Clock::now() - start);
  INFO("acknowledged after " << waited.count() << " ms");
  REQUIRE(f.sink.acks.size() == 1);
  CHECK(f.sink.acks[0].handle == 11);
  CHECK(f.sink.acks[0].bytes == te.data.size());
  CHECK(f.sink.acks[0].result == BusResult::Timeout);
  CHECK(waited >= Millis(1000));  // it waited for the message timeout, not failed at once
  CHECK(bus_errors(f.stats, BusError::KafkaDelivery) == errors_before + 1);
}

}  // namespace holdfast::test::integration

// The worker's Redis writer against a real redis-server: stream fields, trimming, structured
// events on channels, refused commands, and nothing lost across a restart.
#include "proxy/bus/redis_publisher.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/bus_harness.h"
#include "tests/support/env.h"
#include "tests/support/json_lite.h"
#include "tests/support/kafka_client.h"
#include "tests/support/redis_client.h"

namespace holdfast::test::integration {
namespace {

struct PublisherFixture {
  PublisherFixture(const std::string& host, int port) {
    cfg.host = host;
    cfg.port = static_cast<uint16_t>(port);
    cfg.reconnect_max = std::chrono::milliseconds(200);
    publisher = std::make_unique<RedisPublisher>(loop.get(), cfg, sink, stats, 0);
  }
  PublisherFixture() : PublisherFixture(redis_address().host, redis_address().port) {}
  // Destroying the link frees its connection; stop() has a test of its own.
  ~PublisherFixture() { publisher.reset(); }
  bool connect() {
    publisher->start();
    return loop.run_until([&] { return publisher->connected(); }, Millis(5000));
  }
  bool wait_acks(size_t n, Millis timeout) {
    return loop.run_until(
        [&] {
          saw_down = saw_down || !publisher->connected();
          return sink.acks.size() >= n;
        },
        timeout);
  }
  // Runs the loop for `time`, noting whether the connection was seen down.
  void pump(Millis time) {
    loop.run_until(
        [&] {
          saw_down = saw_down || !publisher->connected();
          return false;
        },
        time);
  }

  TestLoop loop;
  config::RedisBus cfg;
  RecordingSink sink;
  Stats stats{0};
  EventScratch scratch;
  std::unique_ptr<RedisPublisher> publisher;
  bool saw_down = false;
};

BusTarget stream_target(const std::string& stream, uint64_t maxlen = 0) {
  BusTarget t;
  t.kind = BusTarget::Kind::RedisStream;
  t.name = stream;
  t.maxlen = maxlen;
  return t;
}

// The first appearance of every number must come in order, 0..count-1, with nothing else in the
// stream. A number may appear again later: a command whose reply was lost in a drop is written
// again, and so may be a whole run of them. Returns what is wrong, or empty.
std::string check_first_appearances(const std::vector<StreamEntry>& entries, int count,
                                    int& repeats) {
  int next = 0;
  repeats = 0;
  for (const auto& e : entries) {
    const std::string data = e.field("data").value_or("?");
    int n = -1;
    try {
      n = std::stoi(data);
    } catch (const std::exception&) {
      return "entry " + e.id + " has data '" + data + "'";
    }
    if (n == next) {
      ++next;
    } else if (n >= 0 && n < next) {
      ++repeats;
    } else {
      return "expected " + std::to_string(next) + ", found " + data + " at " + e.id;
    }
  }
  if (next != count) return "only " + std::to_string(next) + " of " + std::to_string(count);
  return {};
}

}  // namespace

TEST_CASE("redis publisher adds a stream entry with data and contract fields", "[redis]") {
  PublisherFixture f;
  REQUIRE(f.connect());
  const std::string stream = unique_topic("itest:rpub:fields");

  TestEvent te;
  te.data = std::string("hello\0world", 11);
  te.auth_id = "alice";
  te.reply_to = "holdfast:conn:itestboot0001-0-1";
  te.metadata = {{"room", "lobby"}};
  REQUIRE(f.publisher->send(stream_target(stream), te.event(), 5, f.scratch) ==
          BusStatus::Accepted);
  REQUIRE(f.wait_acks(1, Millis(5000)));
  CHECK(f.sink.acks[0].handle == 5);
  CHECK(f.sink.acks[0].bytes == te.data.size());
  CHECK(f.sink.acks[0].result == BusResult::Ok);

  RedisClient redis(redis_url());
  const auto entries = redis.xrange(stream);
  REQUIRE(entries.size() == 1);
  const Headers expected = {{"data", te.data},
                            {"specversion", "1.0"},
                            {"id", te.id},
                            {"source", te.source},
                            {"type", "io.holdfast.message"},
                            {"time", te.time},
                            {"datacontenttype", "text/plain; charset=utf-8"},
                            {"connectionid", te.connection_id},
                            {"authid", "alice"},
                            {"replyto", te.reply_to},
                            {"correlationid", te.connection_id},
                            {"traceparent", te.traceparent},
                            {"room", "lobby"}};
  CHECK(entries[0].fields == expected);
  redis.command({"DEL", stream});
}

TEST_CASE("redis publisher trims a stream with MAXLEN ~", "[redis]") {
  constexpr size_t kCount = 5000;
  constexpr uint64_t kMaxLen = 100;
  PublisherFixture f;
  REQUIRE(f.connect());
  const std::string stream = unique_topic("itest:rpub:maxlen");
  TestEvent te;
  for (size_t i = 0; i < kCount; ++i) {
    te.data = std::to_string(i);
    REQUIRE(f.publisher->send(stream_target(stream, kMaxLen), te.event(), i + 1, f.scratch) ==
            BusStatus::Accepted);
  }
  REQUIRE(f.wait_acks(kCount, Millis(20000)));
  CHECK(f.sink.count(BusResult::Ok) == kCount);

  RedisClient redis(redis_url());
  const long long len = redis.command({"XLEN", stream}).integer;
  INFO("XLEN " << len);
  CHECK(len >= static_cast<long long>(kMaxLen));  // approximate trimming never goes below
  CHECK(len < static_cast<long long>(kMaxLen + 200));
  // What is kept is the newest.
  const auto last = redis.xrange(stream, "-", "+", 0);
  REQUIRE_FALSE(last.empty());
  CHECK(last.back().field("data") == std::to_string(kCount - 1));
  redis.command({"DEL", stream});
}

TEST_CASE("redis publisher publishes one structured CloudEvent to a channel", "[redis]") {
  PublisherFixture f;
  REQUIRE(f.connect());
  const std::string channel = unique_topic("itest:rpub:chan");
  RedisSubscriber sub(redis_url(), {channel});

  BusTarget target;
  target.kind = BusTarget::Kind::RedisChannel;
  target.name = channel;
  TestEvent te;
  te.content_type = std::string(contract::kOctetStream);
  te.data = std::string("\x00\x01\xfe\xff binary", 11);
  te.binary = true;
  te.metadata = {{"room", "lobby"}};
  REQUIRE(f.publisher->send(target, te.event(), 3, f.scratch) == BusStatus::Accepted);
  REQUIRE(f.wait_acks(1, Millis(5000)));
  CHECK(f.sink.acks[0].result == BusResult::Ok);

  const auto msg = sub.next(Millis(5000));
  REQUIRE(msg);
  CHECK(msg->channel == channel);
  INFO(msg->payload);
  const auto json = parse_json(msg->payload);
  REQUIRE(json);
  CHECK(json->str("specversion") == "1.0");
  CHECK(json->str("id") == te.id);
  CHECK(json->str("source") == te.source);
  CHECK(json->str("type") == "io.holdfast.message");
  CHECK(json->str("time") == te.time);
  CHECK(json->str("datacontenttype") == "application/octet-stream");
  CHECK(json->str("connectionid") == te.connection_id);
  CHECK(json->str("replyto") == te.reply_to);
  CHECK(json->str("correlationid") == te.connection_id);
  CHECK(json->str("traceparent") == te.traceparent);
  CHECK(json->str("room") == "lobby");
  CHECK_FALSE(json->has("data"));
  CHECK_FALSE(json->has("authid"));
  REQUIRE((*json)["data_base64"].is_string());
  CHECK(base64_decode(json->str("data_base64")) == te.data);
  CHECK_FALSE(sub.next(Millis(200)));  // exactly one message
}

TEST_CASE("redis publisher reports a refused command as rejected", "[redis]") {
  PublisherFixture f;
  REQUIRE(f.connect());
  RedisClient redis(redis_url());
  const std::string key = unique_topic("itest:rpub:string");
  const std::string good = unique_topic("itest:rpub:good");
  REQUIRE(redis.command({"SET", key, "not a stream"}).str == "OK");

  TestEvent te;
  te.data = "refused";
  REQUIRE(f.publisher->send(stream_target(key), te.event(), 21, f.scratch) == BusStatus::Accepted);
  te.data = "accepted";
  REQUIRE(f.publisher->send(stream_target(good), te.event(), 22, f.scratch) == BusStatus::Accepted);
  REQUIRE(f.wait_acks(2, Millis(5000)));
  CHECK(f.sink.acks[0].handle == 21);
  CHECK(f.sink.acks[0].result == BusResult::Rejected);
  CHECK(f.sink.acks[1].handle == 22);  // the pipeline goes on
  CHECK(f.sink.acks[1].result == BusResult::Ok);
  CHECK(bus_errors(f.stats, BusError::RedisCommand) == 1);
  CHECK(redis.command({"TYPE", key}).str == "string");
  redis.command({"DEL", key, good});
}

TEST_CASE("redis publisher loses nothing while redis restarts", "[redis][restart]") {
  constexpr int kCount = 500;
  constexpr int kRestartAt = 150;
  RedisServer server;
  PublisherFixture f("127.0.0.1", server.port());
  REQUIRE(f.connect());
  const std::string stream = "itest:rpub:restart";

  std::string restart_error;
  int sent_while_down = 0;
  std::jthread restarter;
  TestEvent te;
  for (int i = 0; i < kCount; ++i) {
    if (i == kRestartAt) {
      restarter = std::jthread([&] {
        try {
          server.restart(Millis(300));
        } catch (const std::exception& e) {
          restart_error = e.what();
        }
      });
    }
    te.data = std::to_string(i);
    sent_while_down += f.publisher->connected() ? 0 : 1;
    REQUIRE(f.publisher->send(stream_target(stream), te.event(), i + 1, f.scratch) ==
            BusStatus::Accepted);
    f.pump(Millis(3));
  }
  restarter.join();
  INFO(sent_while_down << " messages were sent while the link was down");
  CHECK(sent_while_down > 0);  // the outage fell inside the stream of messages
  REQUIRE(restart_error.empty());
  const bool all_acked = f.wait_acks(kCount, Millis(15000));
  INFO(f.sink.acks.size() << " of " << kCount << " acknowledged; the link "
                          << (f.saw_down ? "saw" : "never saw") << " the drop and is "
                          << (f.publisher->connected() ? "connected" : "not connected"));
  CHECK(f.saw_down);
  CHECK(bus_errors(f.stats, BusError::RedisConnect) >= 1);
  REQUIRE(all_acked);
  CHECK(f.sink.count(BusResult::Ok) == kCount);
  const auto per_handle = f.sink.per_handle();
  CHECK(per_handle.size() == static_cast<size_t>(kCount));
  int acked_twice = 0;
  for (const auto& [handle, times] : per_handle)
    acked_twice += times == 1 ? 0 : 1;
  CHECK(acked_twice == 0);

  RedisClient redis(server.url());
  const auto entries = redis.xrange(stream);
  int repeats = 0;
  const std::string broken = check_first_appearances(entries, kCount, repeats);
  INFO(entries.size() << " entries, " << repeats << " repeated");
  CHECK(broken.empty());
}

TEST_CASE("redis publisher holds messages while redis is down and writes them after", "[redis]") {
  constexpr int kCount = 20;
  RedisServer server;
  PublisherFixture f("127.0.0.1", server.port());
  REQUIRE(f.connect());
  server.stop();
  REQUIRE(f.loop.run_until([&] { return !f.publisher->connected(); }, Millis(5000)));

  const std::string stream = "itest:rpub:down";
  TestEvent te;
  for (int i = 0; i < kCount; ++i) {
    te.data = std::to_string(i);
    REQUIRE(f.publisher->send(stream_target(stream), te.event(), i + 1, f.scratch) ==
            BusStatus::Accepted);
  }
  f.loop.run_for(Millis(500));
  CHECK(f.sink.acks.empty());  // nothing is acknowledged, and nothing is given up

  server.start();
  const bool all_acked = f.wait_acks(kCount, Millis(10000));
  INFO(f.sink.acks.size() << " of " << kCount << " acknowledged; the link is "
                          << (f.publisher->connected() ? "connected" : "not connected"));
  REQUIRE(all_acked);
  CHECK(f.sink.count(BusResult::Ok) == kCount);
  RedisClient redis(server.url());
  const auto entries = redis.xrange(stream);
  REQUIRE(entries.size() == static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i)
    CHECK(entries[i].field("data") == std::to_string(i));
}

}  // namespace holdfast::test::integration

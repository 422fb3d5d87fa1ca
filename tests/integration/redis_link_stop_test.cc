// Stopping a Redis link: a connected one answers what is pending first; one that has not
// connected yet must end just as cleanly. The second runs in a child process of this test
// binary, so that a crash is reported as a failure instead of ending the whole run.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <climits>
#include <memory>
#include <string>

#include "proxy/bus/redis_publisher.h"
#include "proxy/bus/redis_subscriber.h"
#include "proxy/util/ids.h"
#include "tests/integration/bus_harness.h"
#include "tests/support/env.h"
#include "tests/support/kafka_client.h"
#include "tests/support/process.h"
#include "tests/support/redis_client.h"

namespace holdfast::test::integration {
namespace {

constexpr const char* kChildCase = "redis link child: stop before the connection is up";

config::RedisBus shared_redis() {
  config::RedisBus cfg;
  cfg.host = redis_address().host;
  cfg.port = static_cast<uint16_t>(redis_address().port);
  cfg.reconnect_max = std::chrono::milliseconds(200);
  return cfg;
}

std::string self_path() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

TEST_CASE("redis publisher stop waits for pending replies", "[redis]") {
  TestLoop loop;
  const config::RedisBus cfg = shared_redis();
  RecordingSink sink;
  Stats stats{0};
  EventScratch scratch;
  auto publisher = std::make_unique<RedisPublisher>(loop.get(), cfg, sink, stats, 0);
  publisher->start();
  REQUIRE(loop.run_until([&] { return publisher->connected(); }, Millis(5000)));

  const std::string stream = unique_topic("itest:rlink:stop");
  BusTarget target;
  target.kind = BusTarget::Kind::RedisStream;
  target.name = stream;
  TestEvent te;
  te.data = "last words";
  REQUIRE(publisher->send(target, te.event(), 1, scratch) == BusStatus::Accepted);
  publisher->stop();
  REQUIRE(
      loop.run_until([&] { return !sink.acks.empty() && !publisher->connected(); }, Millis(5000)));
  CHECK(sink.acks[0].result == BusResult::Ok);
  loop.run_for(Millis(300));
  CHECK_FALSE(publisher->connected());  // it does not come back
  CHECK(bus_errors(stats, BusError::RedisConnect) == 0);
  publisher.reset();

  RedisClient redis(redis_url());
  const auto entries = redis.xrange(stream);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].field("data") == "last words");
  redis.command({"DEL", stream});
}

// Run by the next test in a process of its own; hidden from the normal run.
TEST_CASE("redis link child: stop before the connection is up", "[.][child]") {
  TestLoop loop;
  const config::RedisBus cfg = shared_redis();
  RecordingSink sink;
  Stats stats{0};
  {
    auto publisher = std::make_unique<RedisPublisher>(loop.get(), cfg, sink, stats, 0);
    publisher->start();  // the connection is under way, not up
    publisher->stop();
    publisher.reset();
    loop.run_for(Millis(50));
  }
  {
    auto subscriber = std::make_unique<holdfast::RedisSubscriber>(
        loop.get(), cfg, stats, util::IdGenerator(0).prefix(),
        [](std::string_view, std::string_view) {});
    subscriber->start();
    subscriber->stop();
    subscriber.reset();
    loop.run_for(Millis(50));
  }
  CHECK(sink.acks.empty());
}

TEST_CASE("redis link stopped before it connected ends cleanly", "[redis]") {
  const std::string self = self_path();
  REQUIRE_FALSE(self.empty());
  const pid_t pid = spawn_child({self, kChildCase}, {}, STDERR_FILENO, STDERR_FILENO);
  const int status = wait_child(pid, Millis(20000));
  if (status == -1) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  INFO("child exit status " << status << " (128 + n means killed by signal n)");
  CHECK(status == 0);
}

}  // namespace holdfast::test::integration

// Redis replies by user, channel, broadcast and connection, and Redis control messages, on an
// instance with two workers. Each worker holds its own subscription, so every check here has
// connections on both workers, and the counters must count each message once, not once per worker.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_client.h"
#include "tests/support/redis_client.h"

namespace holdfast::test::e2e {
namespace {

constexpr Millis kWait{15000};

constexpr std::string_view kConfig = R"(
instance: e2e-raddr
workers: 2
admin: { address: 127.0.0.1:0 }
buses:
  redis: { url: "@REDIS@", prefix: "@PREFIX@" }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: users
        path: /users/{user}
        user: "{user}"
        upstream: { redis: { stream: "@STREAM@" } }
        replies: { redis: {} }
      - name: rooms
        path: /rooms/{room}
        upstream: { redis: { stream: "@STREAM@" } }
        replies: { redis: {} }
        subscribe: ["room:{room}"]
)";

// The worker index in a connection id `<boot>-<worker>-<seq>`.
std::string worker_of(const std::string& id) {
  const size_t a = id.find('-');
  const size_t b = id.find('-', a + 1);
  return a == std::string::npos || b == std::string::npos ? "" : id.substr(a + 1, b - a - 1);
}

class Instance {
 public:
  Instance()
      : prefix_(unique_topic("e2e:raddr") + ":"),
        stream_(unique_topic("e2e:raddr:in")),
        proxy_(fill(kConfig, {{"PREFIX", prefix_}, {"STREAM", stream_}})),
        redis_(redis_url()) {}
  ~Instance() {
    try {
      redis_.command({"DEL", stream_});
    } catch (const std::exception&) {
    }
  }

  // Opens connections to `path` until one lands on `worker` (the kernel spreads them over the
  // workers' sockets), closing the others; each one's first message tells its id.
  NamedClient open_on(const std::string& name, const std::string& path, const std::string& worker) {
    for (int attempt = 0; attempt < 64; ++attempt) {
      NamedClient c{name, open_ws(proxy_, path), ""};
      const std::string hello = "hello " + name + " " + std::to_string(++hellos_);
      REQUIRE(c.ws->send_text(hello));
      for (;;) {
        auto entries = redis_.read_stream(stream_, last_id_, 1, kWait);
        REQUIRE(entries.size() == 1);
        last_id_ = entries[0].id;
        if (entries[0].field("data") == hello) {
          c.id = entries[0].field("connectionid").value_or("");
          break;
        }
      }
      if (worker_of(c.id) == worker) return c;
    }
    FAIL("no connection to " << path << " landed on worker " << worker);
    return {};
  }

  long long publish(const std::string& channel, std::string_view payload) {
    return redis_.publish(prefix_ + channel, payload);
  }

  // Publishes a broadcast sentinel after what was published, and returns what each client got
  // before it: one subscription connection keeps the order of what is published to it.
  Deliveries collect(std::vector<NamedClient>& clients) {
    const std::string sentinel = "sentinel-" + std::to_string(++rounds_);
    CHECK(publish("broadcast", sentinel) == 2);
    return receive_until(clients, sentinel);
  }

  const HoldfastProcess& proxy() const { return proxy_; }

 private:
  std::string prefix_;
  std::string stream_;
  HoldfastProcess proxy_;
  RedisClient redis_;
  std::string last_id_ = "0";
  int hellos_ = 0;
  int rounds_ = 0;
};

}  // namespace

TEST_CASE("redis replies and control reach connections on every worker once each", "[redis]") {
  Instance hf;
  std::vector<NamedClient> clients;
  clients.push_back(hf.open_on("alice@0", "/users/alice", "0"));
  clients.push_back(hf.open_on("alice@1", "/users/alice", "1"));
  clients.push_back(hf.open_on("bob@1", "/users/bob", "1"));
  clients.push_back(hf.open_on("room42@0", "/rooms/42", "0"));
  clients.push_back(hf.open_on("room42@1", "/rooms/42", "1"));
  clients.push_back(hf.open_on("room7@0", "/rooms/7", "0"));
  const std::string bob = clients[2].id;
  const std::string alice1 = clients[1].id;
  const auto metric = [&](const char* name) { return hf.proxy().metric(name); };

  SECTION("user, channel, broadcast and connection replies") {
    // One subscription per worker: user, channel and broadcast messages reach both, a
    // connection's reply only the worker that holds it.
    CHECK(hf.publish("user:alice", "to alice") == 2);
    CHECK(hf.publish("channel:room:42", "to room 42") == 2);
    CHECK(hf.publish("conn:" + bob, "to bob") == 1);
    CHECK(hf.publish("user:nobody", "to no one") == 2);
    CHECK(hf.collect(clients) == expect_only(clients, {{"alice@0", {"to alice"}},
                                                       {"alice@1", {"to alice"}},
                                                       {"bob@1", {"to bob"}},
                                                       {"room42@0", {"to room 42"}},
                                                       {"room42@1", {"to room 42"}}}));
  }

  SECTION("subscribe and unsubscribe controls move one connection") {
    const double controls = metric("holdfast_control_messages_total");
    CHECK(hf.publish("control", R"({"target":"connection:)" + bob +
                                    R"(","control":"subscribe","channel":"room:42"})") == 2);
    CHECK(hf.publish("channel:room:42", "room 42 with bob") == 2);
    CHECK(hf.collect(clients) == expect_only(clients, {{"bob@1", {"room 42 with bob"}},
                                                       {"room42@0", {"room 42 with bob"}},
                                                       {"room42@1", {"room 42 with bob"}}}));
    CHECK(hf.publish("control",
                     R"({"target":"user:bob","control":"unsubscribe","channel":"room:42"})") == 2);
    CHECK(hf.publish("channel:room:42", "room 42 again") == 2);
    CHECK(hf.collect(clients) ==
          expect_only(clients, {{"room42@0", {"room 42 again"}}, {"room42@1", {"room 42 again"}}}));
    CHECK(metric("holdfast_control_messages_total") == controls + 2);
  }

  SECTION("a close control closes its connection only") {
    CHECK(hf.publish("control", R"({"target":"connection:)" + alice1 +
                                    R"(","control":"close","code":4001,"reason":"bye"})") == 2);
    const WsEvent ev = clients[1].ws->recv(kWait);
    INFO(describe(ev));
    CHECK(ev.is_close(4001));
    CHECK(ev.close_reason == "bye");
    std::vector<NamedClient> rest;
    for (auto& c : clients) {
      if (c.id != alice1) rest.push_back(std::move(c));
    }
    CHECK(hf.publish("user:alice", "after the close") == 2);
    CHECK(hf.collect(rest) == expect_only(rest, {{"alice@0", {"after the close"}}}));
  }

  SECTION("faults are counted once, not once per worker") {
    const double bad_target =
        metric(R"(holdfast_replies_undeliverable_total{reason="bad_target"})");
    const double no_connection =
        metric(R"(holdfast_replies_undeliverable_total{reason="no_connection"})");
    const double bad_control = metric("holdfast_control_invalid_total");
    const std::string boot = bob.substr(0, bob.find('-'));
    // An id that is not one, a worker this instance does not have, a control that is not JSON,
    // and a reply to a connection of this worker that is gone.
    CHECK(hf.publish("control", R"({"target":"connection:not-an-id","control":"close"})") == 2);
    CHECK(hf.publish("control",
                     R"({"target":"connection:)" + boot + R"(-7-a","control":"close"})") == 2);
    CHECK(hf.publish("control", "{not json") == 2);
    CHECK(hf.publish("conn:" + boot + "-1-zzzz", "to no one") == 1);
    CHECK(hf.collect(clients) == expect_only(clients, {}));
    CHECK(hf.proxy().wait_metric(R"(holdfast_replies_undeliverable_total{reason="bad_target"})",
                                 [&](double v) { return v >= bad_target + 1; },
                                 kWait) == bad_target + 1);
    CHECK(metric(R"(holdfast_replies_undeliverable_total{reason="no_connection"})") ==
          no_connection + 2);
    CHECK(metric("holdfast_control_invalid_total") == bad_control + 1);
  }
}

}  // namespace holdfast::test::e2e

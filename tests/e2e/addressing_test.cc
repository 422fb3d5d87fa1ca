// Replies addressed by user, channel and broadcast reach the right connections across two
// instances that share a reply topic; subscribe and unsubscribe controls move a connection.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_client.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kConfig = R"(
instance: @INSTANCE@
workers: 2
admin: { address: 127.0.0.1:0 }
buses:
  kafka: { brokers: "@KAFKA@" }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: users
        path: /users/{user}
        user: "{user}"
        upstream: { kafka: { topic: "@IN@" } }
        replies: { kafka: { topic: "@OUT@" } }
      - name: rooms
        path: /rooms/{room}
        upstream: { kafka: { topic: "@IN@", key: "{room}" } }
        replies: { kafka: { topic: "@OUT@" } }
        subscribe: ["room:{room}"]
        metadata: { room: "{room}" }
)";

// Produces `records` and then a broadcast sentinel, all with one key so they share a partition
// and arrive in that order. Returns, per client, the messages that came before the sentinel.
class Round {
 public:
  Round(KafkaProducer& producer, std::string topic) : producer_(producer), topic_(topic) {}

  void send(const std::string& value, const Headers& headers) {
    producer_.produce(topic_, value, headers, std::string("e2e-addressing"));
  }

  Deliveries collect(std::vector<NamedClient>& clients) {
    const std::string sentinel = "sentinel-" + std::to_string(++round_);
    send(sentinel, {{"holdfast-target", "broadcast"}});
    producer_.flush();
    return receive_until(clients, sentinel);
  }

 private:
  KafkaProducer& producer_;
  std::string topic_;
  int round_ = 0;
};

}  // namespace

TEST_CASE("user, channel and broadcast delivery across two instances", "[kafka]") {
  const std::string in = unique_topic("e2e.addr.in");
  const std::string out = unique_topic("e2e.addr.out");
  ScopedTopics topics({in, out});
  KafkaConsumer inbound(in);
  KafkaProducer producer;
  HoldfastProcess a(fill(kConfig, {{"INSTANCE", "e2e-a"}, {"IN", in}, {"OUT", out}}));
  HoldfastProcess b(fill(kConfig, {{"INSTANCE", "e2e-b"}, {"IN", in}, {"OUT", out}}));

  const std::vector<std::tuple<std::string, HoldfastProcess*, std::string>> plan = {
      {"alice@a", &a, "/users/alice"}, {"bob@a", &a, "/users/bob"},
      {"room42@a", &a, "/rooms/42"},   {"room7@a", &a, "/rooms/7"},
      {"alice@b", &b, "/users/alice"}, {"bob@b", &b, "/users/bob"},
      {"room42@b", &b, "/rooms/42"},   {"room7@b", &b, "/rooms/7"},
  };
  std::vector<NamedClient> clients;
  for (const auto& [name, proxy, path] : plan) {
    clients.push_back(NamedClient{name, open_ws(*proxy, path), ""});
    REQUIRE(clients.back().ws->send_text("hello from " + name));
  }
  // Each client's first message proves its session is registered and tells its id.
  for (size_t i = 0; i < clients.size(); ++i) {
    const auto r = inbound.next(Millis(15000));
    REQUIRE(r);
    for (auto& c : clients) {
      if (r->value == "hello from " + c.name) c.id = r->header("ce_connectionid").value_or("");
    }
  }
  for (const auto& c : clients) {
    INFO(c.name);
    REQUIRE(!c.id.empty());
  }
  const std::string bob_a_id = clients[1].id;
  Round round(producer, out);

  SECTION("user delivery reaches that user on both instances only") {
    round.send("to-alice", {{"holdfast-target", "user:alice"}});
    CHECK(round.collect(clients) ==
          expect_only(clients, {{"alice@a", {"to-alice"}}, {"alice@b", {"to-alice"}}}));
  }
  SECTION("channel delivery reaches the subscribers on both instances only") {
    round.send("to-42", {{"holdfast-target", "channel:room:42"}});
    CHECK(round.collect(clients) ==
          expect_only(clients, {{"room42@a", {"to-42"}}, {"room42@b", {"to-42"}}}));
  }
  SECTION("broadcast reaches every connection") {
    round.send("to-all", {{"holdfast-target", "broadcast"}});
    Deliveries all;
    for (const auto& c : clients)
      all[c.name] = {"to-all"};
    CHECK(round.collect(clients) == all);
  }
  SECTION("connection delivery reaches that connection only") {
    round.send("to-bob-a", {{"holdfast-target", "connection:" + bob_a_id}});
    CHECK(round.collect(clients) == expect_only(clients, {{"bob@a", {"to-bob-a"}}}));
  }
  SECTION("subscribe and unsubscribe controls") {
    // The control record's value is ignored: it must not reach bob.
    round.send("control-value", {{"holdfast-target", "connection:" + bob_a_id},
                                 {"holdfast-control", "subscribe"},
                                 {"holdfast-channel", "room:42"}});
    round.send("to-42-with-bob", {{"holdfast-target", "channel:room:42"}});
    CHECK(round.collect(clients) == expect_only(clients, {{"room42@a", {"to-42-with-bob"}},
                                                          {"room42@b", {"to-42-with-bob"}},
                                                          {"bob@a", {"to-42-with-bob"}}}));

    round.send("control-value", {{"holdfast-target", "connection:" + bob_a_id},
                                 {"holdfast-control", "unsubscribe"},
                                 {"holdfast-channel", "room:42"}});
    round.send("to-42-without-bob", {{"holdfast-target", "channel:room:42"}});
    CHECK(round.collect(clients) == expect_only(clients, {{"room42@a", {"to-42-without-bob"}},
                                                          {"room42@b", {"to-42-without-bob"}}}));
  }
}

}  // namespace holdfast::test::e2e
